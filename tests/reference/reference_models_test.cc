// Real architectures exported from PyTorch (scripts/export_models.py):
// Kiln's outputs must match PyTorch's within
//   max |kiln - torch| <= 1e-4 * max(1, max |torch|)
// The models live in $KILN_MODELS_DIR (default: <build>/models); the test
// command exports them first.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <map>
#include <sstream>

#include "engine/io/npy.h"
#include "engine/io/value_files.h"
#include "engine/runtime/session.h"

namespace fs = std::filesystem;
using namespace kiln;

namespace {

fs::path ModelsDir() {
  const char* env = std::getenv("KILN_MODELS_DIR");
  return env && *env ? fs::path(env) : fs::path(KILN_DEFAULT_MODELS_DIR);
}

class ReferenceModel : public ::testing::TestWithParam<std::string> {};

TEST_P(ReferenceModel, MatchesPyTorch) {
  const fs::path dir = ModelsDir() / GetParam();
  ASSERT_TRUE(fs::exists(dir / "done")) << dir << " is missing: run /usr/bin/python3 scripts/export_models.py "
                                        << ModelsDir();
  auto session = Session::Create((dir / "model.onnx").string());
  ASSERT_TRUE(session.ok()) << session.status().ToString();

  std::map<std::string, Value> feeds;
  for (const auto* input : (*session)->inputs()) {
    auto v = io::ReadValueFromDir((dir / "inputs").string(), input->name);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    feeds[input->name] = std::move(v).value();
  }
  // Twice: the first run records the memory plan, the second uses it.
  for (int pass = 0; pass < 2; ++pass) {
    SCOPED_TRACE(pass == 0 ? "first run" : "planned run");
    auto outputs = (*session)->Run(feeds);
    ASSERT_TRUE(outputs.ok()) << outputs.status().ToString();

    const auto& names = (*session)->outputs();
    ASSERT_EQ(outputs->size(), names.size());
    for (size_t i = 0; i < names.size(); ++i) {
      auto expected = io::ReadNpyFile((dir / "expected" / (names[i].name + ".npy")).string());
      ASSERT_TRUE(expected.ok()) << expected.status().ToString();
      ASSERT_TRUE((*outputs)[i].is_tensor());
      const Tensor& got = (*outputs)[i].tensor();
      ASSERT_EQ(got.dtype(), expected->dtype()) << names[i].name;
      ASSERT_EQ(got.shape(), expected->shape()) << names[i].name;
      double max_ref = 0, max_err = 0;
      for (int64_t k = 0; k < got.num_elements(); ++k) {
        double e = expected->GetDouble(k), a = got.GetDouble(k);
        max_ref = std::max(max_ref, std::fabs(e));
        max_err = std::max(max_err, std::isnan(a) ? INFINITY : std::fabs(a - e));
      }
      const double bound = 1e-4 * std::max(1.0, max_ref);
      EXPECT_LE(max_err, bound) << GetParam() << " output '" << names[i].name << "': max abs error " << max_err
                                << " exceeds " << bound;
      std::ostringstream err;
      err << std::scientific << std::setprecision(2) << max_err << " (bound " << bound << ")";
      RecordProperty(names[i].name + (pass ? "_planned" : "") + "_max_abs_error", err.str());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Architectures, ReferenceModel,
                         ::testing::Values("mlp", "mobilenet_v2", "resnet50", "bert_mini", "bert_base"));

}  // namespace
