// End-to-end tests of the `kiln` binary: documented exit statuses and a
// precise first line on stderr for every kind of bad input, and correct
// outputs for good input.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "engine/io/file_bytes.h"
#include "engine/io/npy.h"
#include "tests/support/kiln_command.h"
#include "tests/support/model_builder.h"

namespace fs = std::filesystem;
using kiln::DataType;
using kiln::Tensor;
using kiln::testing::CommandResult;
using kiln::testing::ModelBuilder;
using kiln::testing::RunCommand;
using kiln::testing::Slurp;

namespace {

class KilnCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kiln_cli_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "in");
  }
  void TearDown() override { fs::remove_all(dir_); }

  CommandResult Kiln(const std::string& args) { return RunCommand(KILN_BINARY, args, dir_); }

  // Z = X + Y, float [2,3].
  std::string SaveAddModel() {
    ModelBuilder b;
    b.Input("X", DataType::kFloat, {2, 3}).Input("Y", DataType::kFloat, {2, 3});
    b.Node("Add", {"X", "Y"}, {"Z"}).Output("Z", DataType::kFloat, {2, 3});
    return Save(b, "add.onnx");
  }
  std::string Save(const ModelBuilder& b, const std::string& name) {
    std::string path = (dir_ / name).string();
    b.Save(path);
    return path;
  }
  void WriteInput(const std::string& name, const Tensor& t) {
    ASSERT_TRUE(kiln::io::WriteNpyFile((dir_ / "in" / (name + ".npy")).string(), t).ok());
  }
  std::string RunArgs(const std::string& model) {
    return "run " + model + " --inputs " + (dir_ / "in").string() + " --outputs " + (dir_ / "out").string();
  }

  fs::path dir_;
};

Tensor Floats(kiln::Shape shape, float start = 0) {
  Tensor t = Tensor::Allocate(DataType::kFloat, shape);
  for (int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] = start + static_cast<float>(i);
  return t;
}

TEST_F(KilnCli, RunsModelAndWritesOutputs) {
  std::string model = SaveAddModel();
  WriteInput("X", Floats({2, 3}));
  WriteInput("Y", Floats({2, 3}, 10));
  auto r = Kiln(RunArgs(model));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto z = kiln::io::ReadNpyFile((dir_ / "out" / "Z.npy").string());
  ASSERT_TRUE(z.ok()) << z.status().ToString();
  ASSERT_EQ(z->shape(), (kiln::Shape{2, 3}));
  for (int i = 0; i < 6; ++i) EXPECT_EQ(z->data<float>()[i], 10.0f + 2 * i);
}

TEST_F(KilnCli, RunsWithInputFlags) {
  std::string model = SaveAddModel();
  WriteInput("X", Floats({2, 3}));
  WriteInput("Y", Floats({2, 3}));
  auto r = Kiln("run " + model + " --input X=" + (dir_ / "in/X.npy").string() + " --input Y=" +
                (dir_ / "in/Y.npy").string() + " --output-dir " + (dir_ / "o2").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir_ / "o2" / "Z.npy"));
}

TEST_F(KilnCli, VersionAndHelp) {
  EXPECT_EQ(Kiln("--version").exit_code, 0);
  EXPECT_EQ(Kiln("run --help").exit_code, 0);
  EXPECT_EQ(Kiln("inspect --help").exit_code, 0);
}

TEST_F(KilnCli, BenchRunsWithAdaptiveOrFixedThreads) {
  const std::string model = SaveAddModel();
  for (const std::string flags : {"", " --fixed-threads"}) {
    // 80 runs: past the first look at one thread (after 64).
    auto r = Kiln("bench " + model + " --threads 2 --iterations 80 --warmup 2 --json" + flags);
    ASSERT_EQ(r.exit_code, 0) << flags << ": " << r.err;
    EXPECT_NE(r.out.find("\"threads\": 2"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"iterations\": 80"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"one_thread_runs\": "), std::string::npos) << r.out;
    if (!flags.empty()) {
      EXPECT_NE(r.out.find("\"one_thread_runs\": 0,"), std::string::npos) << r.out;
    }
  }
  EXPECT_NE(Kiln("bench --help").out.find("--fixed-threads"), std::string::npos);
}

TEST_F(KilnCli, BenchProfileListsEveryNodeAndOperator) {
  ModelBuilder b;
  b.Input("X", DataType::kFloat, {2, 3}).Input("Y", DataType::kFloat, {2, 3});
  b.Node("Add", {"X", "Y"}, {"S"}).Node("Relu", {"S"}, {"R"}).Node("Mul", {"R", "Y"}, {"Z"});
  b.Output("Z", DataType::kFloat, {2, 3});
  const std::string model = Save(b, "three.onnx");
  auto r = Kiln("bench " + model + " --iterations 7 --warmup 1 --no-opt --profile 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("median per node over 7 measured runs; 3 nodes"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(1 more nodes; --json lists them all)"), std::string::npos) << r.out;
  for (const char* op : {"Add ", "Relu ", "Mul "}) EXPECT_NE(r.out.find(op), std::string::npos) << op << r.out;

  r = Kiln("bench " + model + " --iterations 5 --warmup 0 --no-opt --profile --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  rapidjson::Document json;
  ASSERT_FALSE(json.Parse(r.out.c_str()).HasParseError()) << r.out;
  ASSERT_TRUE(json.HasMember("profile")) << r.out;
  const auto& profile = json["profile"];
  EXPECT_EQ(profile["runs"].GetUint64(), 5u);
  ASSERT_EQ(profile["nodes"].Size(), 3u);
  EXPECT_STREQ(profile["nodes"][0]["op"].GetString(), "Add");  // execution order
  EXPECT_STREQ(profile["nodes"][2]["op"].GetString(), "Mul");
  double shares = 0;
  for (const auto& op : profile["operators"].GetArray()) {
    EXPECT_GE(op["median_ms"].GetDouble(), 0.0);
    shares += op["share"].GetDouble();
  }
  EXPECT_EQ(profile["operators"].Size(), 3u);
  EXPECT_NEAR(shares, 1.0, 1e-9);
  // Without --profile there is none.
  r = Kiln("bench " + model + " --iterations 2 --json");
  EXPECT_EQ(r.out.find("profile"), std::string::npos) << r.out;
  EXPECT_NE(Kiln("bench " + model + " --profile 0").exit_code, 0);
}

TEST_F(KilnCli, BadUsageIsExitTwo) {
  auto r = Kiln("run");
  EXPECT_EQ(r.exit_code, 2);
  r = Kiln("frobnicate");
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(KilnCli, MissingModelFile) {
  auto r = Kiln(RunArgs((dir_ / "nope.onnx").string()));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.FirstErrorLine().find("does not exist"), std::string::npos) << r.err;
}

TEST_F(KilnCli, TruncatedModel) {
  std::string model = SaveAddModel();
  std::string bytes = Slurp(model);
  std::ofstream(model, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  auto r = Kiln(RunArgs(model));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.FirstErrorLine().find("not a valid ONNX model"), std::string::npos) << r.err;
}

TEST_F(KilnCli, GarbageModel) {
  std::string model = (dir_ / "garbage.onnx").string();
  std::ofstream(model) << "this is not a protobuf \x01\x02\x03\xff\xfe";
  auto r = Kiln(RunArgs(model));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(r.FirstErrorLine().empty());
}

TEST_F(KilnCli, EmptyModelFile) {
  std::string model = (dir_ / "empty.onnx").string();
  std::ofstream(model).close();
  auto r = Kiln(RunArgs(model));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.FirstErrorLine().find("empty"), std::string::npos) << r.err;
}

TEST_F(KilnCli, GraphWithCycle) {
  ModelBuilder b;
  b.Input("X", DataType::kFloat, {2});
  b.Node("Add", {"X", "B"}, {"A"}).Node("Add", {"X", "A"}, {"B"});
  b.Output("B", DataType::kFloat, {2});
  auto r = Kiln(RunArgs(Save(b, "cycle.onnx")));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cycle"), std::string::npos) << r.err;
}

TEST_F(KilnCli, DanglingValue) {
  ModelBuilder b;
  b.Input("X", DataType::kFloat, {2});
  b.Node("Add", {"X", "ghost"}, {"Y"}).Output("Y", DataType::kFloat, {2});
  auto r = Kiln(RunArgs(Save(b, "dangling.onnx")));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("ghost"), std::string::npos) << r.err;
}

TEST_F(KilnCli, UnknownOperatorIsExitThree) {
  ModelBuilder b;
  b.Input("X", DataType::kFloat, {2});
  b.Node("FrobnicateTensor", {"X"}, {"Y"}).Output("Y", DataType::kFloat, {2});
  auto r = Kiln(RunArgs(Save(b, "unknown_op.onnx")));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.FirstErrorLine().find("FrobnicateTensor"), std::string::npos) << r.err;
}

TEST_F(KilnCli, UnknownDomainIsExitThree) {
  ModelBuilder b;
  b.Opset("com.example", 1);
  b.Input("X", DataType::kFloat, {2});
  b.Node("Fancy", {"X"}, {"Y"}, "com.example").Output("Y", DataType::kFloat, {2});
  auto r = Kiln(RunArgs(Save(b, "unknown_domain.onnx")));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.FirstErrorLine().find("Fancy"), std::string::npos) << r.err;
}

TEST_F(KilnCli, TooNewOpsetIsExitThree) {
  ModelBuilder b(/*opset=*/99);
  b.Input("X", DataType::kFloat, {2}).Node("Identity", {"X"}, {"Y"}).Output("Y", DataType::kFloat, {2});
  auto r = Kiln(RunArgs(Save(b, "opset99.onnx")));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.FirstErrorLine().find("opset 99"), std::string::npos) << r.err;
}

TEST_F(KilnCli, WrongInputDtype) {
  std::string model = SaveAddModel();
  WriteInput("X", Tensor::Allocate(DataType::kDouble, {2, 3}, true));
  WriteInput("Y", Floats({2, 3}));
  auto r = Kiln(RunArgs(model));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.FirstErrorLine().find("data type float32, got float64"), std::string::npos) << r.err;
}

TEST_F(KilnCli, WrongInputRank) {
  std::string model = SaveAddModel();
  WriteInput("X", Floats({6}));
  WriteInput("Y", Floats({2, 3}));
  auto r = Kiln(RunArgs(model));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.FirstErrorLine().find("rank 2"), std::string::npos) << r.err;
}

TEST_F(KilnCli, WrongInputShape) {
  std::string model = SaveAddModel();
  WriteInput("X", Floats({2, 4}));
  WriteInput("Y", Floats({2, 3}));
  auto r = Kiln(RunArgs(model));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.FirstErrorLine().find("dimension 1 must be 3"), std::string::npos) << r.err;
}

TEST_F(KilnCli, MissingInput) {
  std::string model = SaveAddModel();
  WriteInput("X", Floats({2, 3}));
  auto r = Kiln(RunArgs(model));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.FirstErrorLine().find("'Y'"), std::string::npos) << r.err;
}

TEST_F(KilnCli, ExtraInput) {
  std::string model = SaveAddModel();
  WriteInput("X", Floats({2, 3}));
  WriteInput("Y", Floats({2, 3}));
  WriteInput("W", Floats({2, 3}));
  auto r = Kiln(RunArgs(model));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.FirstErrorLine().find("W.npy"), std::string::npos) << r.err;
  r = Kiln("run " + model + " --input W=" + (dir_ / "in/W.npy").string() + " --output-dir " + (dir_ / "o").string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.FirstErrorLine().find("no input named 'W'"), std::string::npos) << r.err;
}

TEST_F(KilnCli, MalformedNpy) {
  std::string model = SaveAddModel();
  WriteInput("Y", Floats({2, 3}));
  std::ofstream(dir_ / "in" / "X.npy") << "NOT NUMPY AT ALL";
  auto r = Kiln(RunArgs(model));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.FirstErrorLine().find("not a .npy file"), std::string::npos) << r.err;
}

TEST_F(KilnCli, TruncatedNpy) {
  std::string model = SaveAddModel();
  WriteInput("Y", Floats({2, 3}));
  std::string bytes = kiln::io::SerializeNpy(Floats({2, 3}));
  std::ofstream(dir_ / "in" / "X.npy", std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() - 5));
  auto r = Kiln(RunArgs(model));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.FirstErrorLine().find("truncated"), std::string::npos) << r.err;
}

TEST_F(KilnCli, InspectListsUnsupportedOperators) {
  ModelBuilder b;
  b.Input("X", DataType::kFloat, {-1, 3});
  b.Node("FrobnicateTensor", {"X"}, {"Y"}).Output("Y", DataType::kFloat, {-1, 3});
  auto r = Kiln("inspect " + Save(b, "m.onnx"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("FrobnicateTensor"), std::string::npos);
  EXPECT_NE(r.out.find("unsupported"), std::string::npos);
  EXPECT_NE(r.out.find("tensor(float32)[d0,3]"), std::string::npos) << r.out;
}

// Z = X + Identity(C) for an initializer C, plus a Neg nobody reads.
TEST_F(KilnCli, InspectOptimizedListsChangingPasses) {
  ModelBuilder b;
  b.Input("X", DataType::kFloat, {2, 3}).Initializer("C", {1, 2, 3, 4, 5, 6}, {2, 3});
  b.Node("Identity", {"C"}, {"Y"}).Node("Add", {"X", "Y"}, {"Z"}).Node("Neg", {"X"}, {"unused"});
  b.Output("Z", DataType::kFloat, {2, 3});
  const std::string model = Save(b, "m.onnx");
  auto r = Kiln("inspect --optimized " + model);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("operators (1 nodes)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("3 -> 1 nodes"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("constant_folding, dead_code_elimination"), std::string::npos) << r.out;

  auto kept = Kiln("inspect --optimized --disable-pass constant_folding --disable-pass dead_code_elimination " + model);
  EXPECT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_NE(kept.out.find("passes that changed the graph: none"), std::string::npos) << kept.out;

  WriteInput("X", Floats({2, 3}));
  for (const char* flags : {"", " --no-opt"}) {
    auto run = Kiln(RunArgs(model) + flags);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    auto z = kiln::io::ReadNpyFile((dir_ / "out" / "Z.npy").string());
    ASSERT_TRUE(z.ok());
    EXPECT_EQ(z->ToVector<float>(), (std::vector<float>{1, 3, 5, 7, 9, 11}));
  }
  EXPECT_EQ(Kiln(RunArgs(model) + " --disable-pass no_such_pass").exit_code, 2);
}

TEST_F(KilnCli, ServeRejectsBadUsage) {
  EXPECT_EQ(Kiln("serve").exit_code, 2);
  EXPECT_EQ(Kiln("serve --model-repository " + (dir_ / "missing").string()).exit_code, 2);
  EXPECT_EQ(Kiln("serve --model-repository " + dir_.string() + " --model-control-mode sometimes").exit_code, 2);
  auto r = Kiln("serve --model-repository " + dir_.string() + " --load-model simple");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.FirstErrorLine(), "kiln: --load-model needs --model-control-mode explicit");
  EXPECT_EQ(Kiln("serve --model-repository " + dir_.string() + " --log-format xml").exit_code, 2);
  auto warmup = Kiln("serve --model-repository " + dir_.string() + " --batch-size-warmup maybe");
  EXPECT_EQ(warmup.exit_code, 2);
  EXPECT_NE(warmup.FirstErrorLine().find("--batch-size-warmup"), std::string::npos) << warmup.FirstErrorLine();
}

// Starts `kiln serve` on the example repository (free ports), waits until it
// has started, sends SIGTERM: the server drains and exits 0.
TEST_F(KilnCli, ServeShutsDownCleanlyOnSigterm) {
  const std::string log = (dir_ / "serve.log").string();
  const std::string environ_copy = (dir_ / "environ.txt").string();
  // The server also re-executed itself with GOMP_SPINCOUNT set
  // (tools/kiln/openmp_wait_policy.h): its environment shows it.
  const std::string script = "env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT " + std::string(KILN_BINARY) +
                             " serve --model-repository " + KILN_SOURCE_DIR +
                             "/examples/model_repository --grpc-port 0 --http-port 0 --metrics-port 0 "
                             "--log-format json 2>" + log + " & p=$!; "
                             "for i in $(seq 300); do grep -q 'started' " + log + " && break; sleep 0.05; done; "
                             "tr '\\0' '\\n' < /proc/$p/environ > " + environ_copy + "; "
                             "kill -TERM $p; wait $p";
  const std::string script_path = (dir_ / "serve.sh").string();
  std::ofstream(script_path) << script << "\n";
  int status = std::system(("sh " + script_path).c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << Slurp(log);
  const std::string text = Slurp(log);
  EXPECT_NE(text.find("\"message\":\"loaded model 'simple' version 1"), std::string::npos) << text;
  EXPECT_NE(text.find("shut down cleanly"), std::string::npos) << text;
  EXPECT_NE(Slurp(environ_copy).find("GOMP_SPINCOUNT=20000\n"), std::string::npos) << Slurp(environ_copy);
}

TEST_F(KilnCli, PerfRejectsBadUsage) {
  EXPECT_EQ(Kiln("perf").exit_code, 2);
  EXPECT_EQ(Kiln("perf -m simple -i smtp").exit_code, 2);
  auto r = Kiln("perf -m simple --concurrency-range 4:2");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.FirstErrorLine().find("--concurrency-range"), std::string::npos) << r.err;
  EXPECT_EQ(Kiln("perf -m simple --concurrency-range 1 --request-rate 10").exit_code, 2);
  r = Kiln("perf -m simple -i http --async");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.FirstErrorLine().find("--async needs -i grpc"), std::string::npos) << r.err;
  r = Kiln("perf -m simple -u 127.0.0.1:1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.FirstErrorLine().find("cannot connect"), std::string::npos) << r.err;
}

// `kiln perf` against `kiln serve` on the example repository, over HTTP and
// gRPC: every step measured, the server's split read back, errors exit 2.
TEST_F(KilnCli, PerfMeasuresAServingKiln) {
  const std::string d = dir_.string();
  const std::string kiln = KILN_BINARY;
  const std::string script =
      kiln + " serve --model-repository " + KILN_SOURCE_DIR +
      "/examples/model_repository --grpc-port 0 --http-port 0 --metrics-port 0 2>" + d + "/serve.log & p=$!\n"
      "for i in $(seq 300); do grep -q 'started' " + d + "/serve.log && break; sleep 0.05; done\n"
      "hp=$(sed -n 's/.*HTTP.REST service listening on port \\([0-9]*\\).*/\\1/p' " + d + "/serve.log)\n"
      "gp=$(sed -n 's/.*gRPC service listening on port \\([0-9]*\\).*/\\1/p' " + d + "/serve.log)\n" +
      kiln + " perf -m simple -u 127.0.0.1:$hp --duration 0.3 --warmup 0.1 --json >" + d + "/http.json; a=$?\n" +
      kiln + " perf -m simple -i grpc -u 127.0.0.1:$gp --concurrency-range 1:2 -b 2 --duration 0.3 --warmup 0.1 "
             "--json >" + d + "/grpc.json; b=$?\n" +
      kiln + " perf -m nope -u 127.0.0.1:$hp 2>" + d + "/nope.err; c=$?\n" +
      kiln + " perf -m simple -i grpc -u 127.0.0.1:$gp --concurrency-range 3 --async --duration 0.3 --warmup 0.1 "
             "--json >" + d + "/async.json; e=$?\n" +
      kiln + " perf -m simple -i grpc -u 127.0.0.1:$gp --request-rate 200 --rate-threads 2 --async --duration 0.3 "
             "--warmup 0.1 --json >" + d + "/rate.json; f=$?\n"
      "echo $a $b $c $e $f >" + d + "/codes\n"
      "kill -TERM $p; wait $p\n";
  const std::string script_path = d + "/perf.sh";
  std::ofstream(script_path) << script;
  int status = std::system(("sh " + script_path).c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << Slurp(dir_ / "serve.log");
  EXPECT_EQ(Slurp(dir_ / "codes"), "0 0 2 0 0\n") << Slurp(dir_ / "nope.err") << Slurp(dir_ / "serve.log");
  const std::string http = Slurp(dir_ / "http.json");
  EXPECT_NE(http.find("\"protocol\": \"http\""), std::string::npos) << http;
  EXPECT_NE(http.find("\"failed\": 0"), std::string::npos) << http;
  EXPECT_EQ(http.find("\"succeeded\": 0,"), std::string::npos) << http;
  EXPECT_NE(http.find("\"server\": {\"requests\": "), std::string::npos) << http;
  const std::string grpc = Slurp(dir_ / "grpc.json");
  EXPECT_NE(grpc.find("\"batch_size\": 2"), std::string::npos) << grpc;
  EXPECT_NE(grpc.find("\"concurrency\": 1"), std::string::npos) << grpc;
  EXPECT_NE(grpc.find("\"concurrency\": 2"), std::string::npos) << grpc;
  EXPECT_EQ(grpc.find("\"succeeded\": 0,"), std::string::npos) << grpc;
  EXPECT_NE(Slurp(dir_ / "nope.err").find("'nope'"), std::string::npos);
  // --async: one client thread, the same report.
  for (const char* file : {"async.json", "rate.json"}) {
    const std::string json = Slurp(dir_ / file);
    EXPECT_NE(json.find("\"failed\": 0"), std::string::npos) << file << json;
    EXPECT_EQ(json.find("\"succeeded\": 0,"), std::string::npos) << file << json;
  }
  EXPECT_NE(Slurp(dir_ / "async.json").find("\"concurrency\": 3"), std::string::npos);
  EXPECT_NE(Slurp(dir_ / "rate.json").find("\"request_rate\": 200"), std::string::npos);
}

}  // namespace
