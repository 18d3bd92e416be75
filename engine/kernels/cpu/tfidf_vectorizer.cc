// TfIdfVectorizer: counts the n-grams of each input row (with up to
// max_skip_count skipped tokens between grams) that occur in a fixed pool,
// and writes term frequencies, IDF weights or TF-IDF values per pool n-gram.
#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

enum class WeightingMode { kTF, kIDF, kTFIDF };

// N-grams are looked up by a byte key: each int token is 8 bytes, each string
// token its 8-byte length followed by its bytes.
void AppendToken(std::string& key, int64_t token) {
  char bytes[sizeof token];
  std::memcpy(bytes, &token, sizeof token);
  key.append(bytes, sizeof token);
}
void AppendToken(std::string& key, const std::string& token) {
  AppendToken(key, static_cast<int64_t>(token.size()));
  key.append(token);
}

class TfIdfVectorizerKernel final : public OpKernel {
 public:
  struct Config {
    int64_t min_gram = 1;
    int64_t max_gram = 1;
    int64_t max_skip = 0;
    WeightingMode mode = WeightingMode::kTF;
    bool string_pool = false;
    std::unordered_map<std::string, size_t> pool;  // n-gram key -> ordinal in the pool
    std::vector<int64_t> output_index;              // per ordinal
    std::vector<float> weights;                     // per ordinal
    int64_t output_size = 0;
  };

  explicit TfIdfVectorizerKernel(Config config) : c_(std::move(config)) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    const Tensor& input = ctx.input(0);
    const DataType dt = input.dtype();
    if (c_.string_pool != (dt == DataType::kString) ||
        (!c_.string_pool && dt != DataType::kInt32 && dt != DataType::kInt64)) {
      return Status::InvalidArgument(std::string("input must be a ") +
                                     (c_.string_pool ? "string" : "int32 or int64") + " tensor for this pool, got " +
                                     std::string(DataTypeName(dt)));
    }
    if (input.rank() != 1 && input.rank() != 2) {
      return Status::InvalidArgument("input must have shape [C] or [N, C], got " + ShapeToString(input.shape()));
    }
    const int64_t rows = input.rank() == 2 ? input.dim(0) : 1;
    const int64_t row_len = input.rank() == 2 ? input.dim(1) : input.dim(0);
    Tensor& out = ctx.AllocateOutput(0, DataType::kFloat,
                                     input.rank() == 2 ? Shape{rows, c_.output_size} : Shape{c_.output_size});
    std::fill_n(out.data<float>(), out.num_elements(), 0.0f);
    return DispatchType<TypeList<int32_t, int64_t, std::string>>(dt, [&](auto tag) {
      using T = typename decltype(tag)::type;
      std::vector<int64_t> counts(c_.output_index.size());
      for (int64_t r = 0; r < rows; ++r) {
        std::fill(counts.begin(), counts.end(), 0);
        CountRow(input.data<T>() + r * row_len, row_len, counts);
        WriteRow(counts, out.data<float>() + r * c_.output_size);
      }
    });
  }

 private:
  template <typename T>
  void CountRow(const T* tokens, int64_t len, std::vector<int64_t>& counts) const {
    std::string key;
    for (int64_t n = c_.min_gram; n <= c_.max_gram; ++n) {
      // Skips do not change a 1-gram, so 1-grams are counted once.
      const int64_t max_skip = n == 1 ? 0 : c_.max_skip;
      for (int64_t skip = 0; skip <= max_skip; ++skip) {
        const int64_t stride = skip + 1;
        for (int64_t start = 0; start + (n - 1) * stride < len; ++start) {
          key.clear();
          for (int64_t k = 0; k < n; ++k) {
            const T& token = tokens[start + k * stride];
            if constexpr (std::is_same_v<T, std::string>) AppendToken(key, token);
            else AppendToken(key, static_cast<int64_t>(token));
          }
          auto it = c_.pool.find(key);
          if (it != c_.pool.end()) ++counts[it->second];
        }
      }
    }
  }

  void WriteRow(const std::vector<int64_t>& counts, float* row) const {
    for (size_t j = 0; j < counts.size(); ++j) {
      if (counts[j] == 0) continue;
      float value = 0;
      switch (c_.mode) {
        case WeightingMode::kTF: value = static_cast<float>(counts[j]); break;
        case WeightingMode::kIDF: value = c_.weights[j]; break;
        case WeightingMode::kTFIDF: value = static_cast<float>(counts[j]) * c_.weights[j]; break;
      }
      row[c_.output_index[j]] = value;
    }
  }

  Config c_;
};

// Adds the pool's n-grams to `config.pool`, numbered in pool order.
template <typename T>
Status BuildPool(const std::vector<T>& pool, const std::vector<int64_t>& starts, TfIdfVectorizerKernel::Config& config) {
  const int64_t pool_size = static_cast<int64_t>(pool.size());
  size_t ordinal = 0;
  for (size_t g = 0; g < starts.size(); ++g) {
    const int64_t n = static_cast<int64_t>(g) + 1;
    const int64_t begin = starts[g];
    const int64_t end = g + 1 < starts.size() ? starts[g + 1] : pool_size;
    if (begin < 0 || end < begin || end > pool_size || (end - begin) % n != 0) {
      return Status::InvalidArgument("ngram_counts does not split the pool into whole " + std::to_string(n) + "-grams");
    }
    for (int64_t p = begin; p < end; p += n) {
      std::string key;
      for (int64_t k = 0; k < n; ++k) AppendToken(key, pool[static_cast<size_t>(p + k)]);
      config.pool.emplace(std::move(key), ordinal++);
    }
  }
  if (ordinal != config.output_index.size()) {
    return Status::InvalidArgument("the pool has " + std::to_string(ordinal) + " n-grams but ngram_indexes has " +
                                   std::to_string(config.output_index.size()) + " entries");
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeTfIdfVectorizer(const KernelInit& init) {
  const ir::Node& node = init.node;
  TfIdfVectorizerKernel::Config config;
  config.min_gram = node.GetInt("min_gram_length", 0);
  config.max_gram = node.GetInt("max_gram_length", 0);
  config.max_skip = node.GetInt("max_skip_count", 0);
  if (config.min_gram < 1 || config.max_gram < config.min_gram || config.max_skip < 0) {
    return Status::InvalidArgument("need 1 <= min_gram_length <= max_gram_length and max_skip_count >= 0");
  }
  const std::string mode = node.GetString("mode", "");
  if (mode == "TF") config.mode = WeightingMode::kTF;
  else if (mode == "IDF") config.mode = WeightingMode::kIDF;
  else if (mode == "TFIDF") config.mode = WeightingMode::kTFIDF;
  else return Status::InvalidArgument("mode must be TF, IDF or TFIDF, got '" + mode + "'");

  config.output_index = node.GetInts("ngram_indexes");
  for (int64_t index : config.output_index) {
    if (index < 0) return Status::InvalidArgument("ngram_indexes must be non-negative");
    config.output_size = std::max(config.output_size, index + 1);
  }
  std::vector<float> weights = node.GetFloats("weights");
  if (weights.empty()) weights.assign(config.output_index.size(), 1.0f);
  if (weights.size() != config.output_index.size()) {
    return Status::InvalidArgument("weights must have one entry per n-gram of the pool");
  }
  config.weights = std::move(weights);

  const bool has_ints = node.HasAttribute("pool_int64s");
  const bool has_strings = node.HasAttribute("pool_strings");
  if (has_ints == has_strings) return Status::InvalidArgument("exactly one of pool_int64s and pool_strings must be set");
  config.string_pool = has_strings;
  const std::vector<int64_t> starts = node.GetInts("ngram_counts");
  Status built = has_strings ? BuildPool(node.GetStrings("pool_strings"), starts, config)
                             : BuildPool(node.GetInts("pool_int64s"), starts, config);
  KILN_RETURN_IF_ERROR(built);
  return std::unique_ptr<OpKernel>(new TfIdfVectorizerKernel(std::move(config)));
}

}  // namespace kiln::cpu
