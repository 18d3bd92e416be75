// StringNormalizer: removes stop words (case-sensitively or not) from a [C]
// or [1, C] string tensor, then optionally lower- or upper-cases what is left.
// Case mapping is Unicode-aware: UTF-8 is decoded and mapped with the ctype
// facet of the requested locale (falling back to C.UTF-8, then "C").
#include <locale>
#include <stdexcept>
#include <unordered_set>

#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

enum class CaseChange { kNone, kLower, kUpper };

// Decodes UTF-8 into code points; invalid bytes decode as themselves (Latin-1)
// so that no input is rejected or lost.
std::u32string DecodeUtf8(const std::string& s) {
  std::u32string out;
  out.reserve(s.size());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char lead = static_cast<unsigned char>(s[i]);
    size_t extra = lead < 0x80 ? 0 : (lead & 0xE0) == 0xC0 ? 1 : (lead & 0xF0) == 0xE0 ? 2 : (lead & 0xF8) == 0xF0 ? 3 : 4;
    bool valid = extra < 4 && i + extra < n;
    char32_t cp = extra == 0 ? lead : lead & (0x7F >> (extra + 1));
    for (size_t k = 1; valid && k <= extra; ++k) {
      const unsigned char cont = static_cast<unsigned char>(s[i + k]);
      valid = (cont & 0xC0) == 0x80;
      cp = (cp << 6) | (cont & 0x3F);
    }
    if (!valid) {
      cp = lead;
      extra = 0;
    }
    out.push_back(cp);
    i += extra + 1;
  }
  return out;
}

std::string EncodeUtf8(const std::u32string& s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t cp : s) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  return out;
}

// The first of "<name>.UTF-8", "<name>", "C.UTF-8" that the system has, else "C".
std::locale FindLocale(const std::string& name) {
  const std::string candidates[] = {name + ".UTF-8", name, "C.UTF-8"};
  for (const std::string& candidate : candidates) {
    if (candidate.empty() || candidate == ".UTF-8") continue;
    try {
      return std::locale(candidate);
    } catch (const std::runtime_error&) {
      // Not installed; try the next one.
    }
  }
  return std::locale::classic();
}

class StringNormalizerKernel final : public OpKernel {
 public:
  StringNormalizerKernel(CaseChange action, bool case_sensitive, const std::vector<std::string>& stopwords,
                         std::locale locale)
      : action_(action), case_sensitive_(case_sensitive), locale_(std::move(locale)),
        ctype_(std::use_facet<std::ctype<wchar_t>>(locale_)) {
    for (const std::string& w : stopwords) stopwords_.insert(case_sensitive_ ? w : ChangeCase(w, CaseChange::kLower));
  }

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& input = ctx.input(0);
    if (input.dtype() != DataType::kString) return Status::InvalidArgument("input must be a string tensor");
    const bool two_dim = input.rank() == 2;
    if (!(input.rank() == 1 || (two_dim && input.dim(0) == 1))) {
      return Status::InvalidArgument("input must have shape [C] or [1, C], got " + ShapeToString(input.shape()));
    }
    const std::string* x = input.data<std::string>();
    std::vector<std::string> kept;
    kept.reserve(static_cast<size_t>(input.num_elements()));
    for (int64_t i = 0; i < input.num_elements(); ++i) {
      const bool is_stopword =
          !stopwords_.empty() &&
          stopwords_.count(case_sensitive_ ? x[i] : ChangeCase(x[i], CaseChange::kLower)) > 0;
      if (!is_stopword) kept.push_back(action_ == CaseChange::kNone ? x[i] : ChangeCase(x[i], action_));
    }
    if (kept.empty()) kept.emplace_back();  // all removed: a single empty string
    const int64_t count = static_cast<int64_t>(kept.size());
    Tensor& out = ctx.AllocateOutput(0, DataType::kString, two_dim ? Shape{1, count} : Shape{count});
    std::move(kept.begin(), kept.end(), out.data<std::string>());
    return Status::Ok();
  }

 private:
  std::string ChangeCase(const std::string& s, CaseChange action) const {
    std::u32string cps = DecodeUtf8(s);
    for (char32_t& cp : cps) {
      const wchar_t w = static_cast<wchar_t>(cp);
      cp = static_cast<char32_t>(action == CaseChange::kLower ? ctype_.tolower(w) : ctype_.toupper(w));
    }
    return EncodeUtf8(cps);
  }

  CaseChange action_;
  bool case_sensitive_;
  std::locale locale_;
  const std::ctype<wchar_t>& ctype_;  // owned by locale_
  std::unordered_set<std::string> stopwords_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeStringNormalizer(const KernelInit& init) {
  const std::string action_name = init.node.GetString("case_change_action", "NONE");
  CaseChange action;
  if (action_name == "NONE") action = CaseChange::kNone;
  else if (action_name == "LOWER") action = CaseChange::kLower;
  else if (action_name == "UPPER") action = CaseChange::kUpper;
  else return Status::InvalidArgument("case_change_action must be NONE, LOWER or UPPER, got '" + action_name + "'");
  return std::unique_ptr<OpKernel>(new StringNormalizerKernel(
      action, init.node.GetInt("is_case_sensitive", 0) != 0, init.node.GetStrings("stopwords"),
      FindLocale(init.node.GetString("locale", "en_US"))));
}

}  // namespace kiln::cpu
