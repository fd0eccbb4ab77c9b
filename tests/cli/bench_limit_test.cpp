// `nnlab bench` prints the CPU and the share of the machine's limit a run reached, and puts them
// in its --json line beside the keys bench/compare_pytorch.py always read. Bounds only: speed is
// never asserted.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/nnlab_binary.hpp"
#include "support/test_support.hpp"
#include "tensor/cpu_info.hpp"

namespace {

TEST(BenchLimit, JsonHasTheCpuAndTheShareOfTheLimit) {
  if (!std::filesystem::exists(nnlab::test::nnlab_binary()))
    return nnlab::test::skip_for_missing(nnlab::test::nnlab_binary() + " not built");
  const auto study = std::filesystem::path(NNLAB_SOURCE_DIR) / "experiments" / "quickstart.toml";
  const auto r = nnlab::test::run_nnlab(
      "bench " + study.string() +
      " --run quickstart --epochs 2 --threads 1 --json --set data.train_limit=300 --data-dir " +
      nnlab::test::shared_data_dir().string());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\ncpu: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("% of the limit"), std::string::npos) << r.out;
  const size_t brace = r.out.rfind("\n{");
  ASSERT_NE(brace, std::string::npos) << r.out;
  const auto j = nlohmann::json::parse(r.out.substr(brace + 1));
  for (const char* key : {"samples_per_second",
                          "seconds",
                          "peak_rss_kb",
                          "process_peak_rss_kb",
                          "parameters",
                          "steps",
                          "batch",
                          "us_per_step",
                          "useful_flops_per_sample",
                          "useful_gflops",
                          "limit_gflops",
                          "limit_seconds_per_step",
                          "limit_share",
                          "limit_rounds",
                          "cpu_model",
                          "cpu_isa",
                          "onednn_isa",
                          "compiled_isa",
                          "cpu",
                          "phase_us"})
    EXPECT_TRUE(j.contains(key)) << key << " missing in " << j.dump();
  // The quick start's CNN on 300 images, batch 64: 5 steps an epoch, the last of 44; the limit
  // measured after each of the 2 timed epochs.
  EXPECT_EQ(j["steps"], 10);
  EXPECT_EQ(j["limit_rounds"], 2);
  EXPECT_EQ(j["batch"], 64);
  EXPECT_GT(j["useful_flops_per_sample"].get<double>(), 0);
  const double share = j["limit_share"];
  EXPECT_GT(share, 0);
  EXPECT_LE(share, 1.5);
  EXPECT_FALSE(j["cpu_model"].get<std::string>().empty());
  // Where a step's time went: the phases sum to no more than the step.
  double phases = 0;
  for (const char* phase : {"loader", "forward", "loss", "backward", "optimizer", "other"}) {
    ASSERT_TRUE(j["phase_us"].contains(phase)) << phase;
    phases += j["phase_us"][phase].get<double>();
  }
  EXPECT_GT(phases, 0);
  EXPECT_LE(phases, j["us_per_step"].get<double>() * 1.001);
}

}  // namespace

// Over many timed epochs the limit is measured after every k-th, at most 5 times: 12 epochs of
// the tiny regression net give rounds after the 3rd, 6th, 9th and 12th.
TEST(BenchLimit, AtMostFiveLimitRounds) {
  if (!std::filesystem::exists(nnlab::test::nnlab_binary()))
    return nnlab::test::skip_for_missing(nnlab::test::nnlab_binary() + " not built");
  const auto study = std::filesystem::path(NNLAB_SOURCE_DIR) / "bench" / "s3-regression-tiny.toml";
  const auto r = nnlab::test::run_nnlab("bench " + study.string() +
                                        " --run tiny --epochs 12 --threads 1 --json --data-dir " +
                                        nnlab::test::shared_data_dir().string());
  ASSERT_EQ(r.status, 0) << r.err;
  const size_t brace = r.out.rfind("\n{");
  ASSERT_NE(brace, std::string::npos) << r.out;
  const auto j = nlohmann::json::parse(r.out.substr(brace + 1));
  EXPECT_EQ(j["limit_rounds"], 4);
  EXPECT_GT(j["limit_share"].get<double>(), 0);
}

namespace {

// The limit's products are timed a layer at a time, each layer's random tensors freed before the
// next layer's are made: measuring it raises the process's peak memory (what compare_pytorch.py
// compares with PyTorch's) by about one layer's tensors, not the whole net's. Four same-sized
// convolutions at batch 128, each 128 x 32 x 28 x 28 floats (12.8 MB) per tensor.
TEST(BenchLimit, MeasuringTheLimitAddsOneLayersBuffersToThePeak) {
  if (!std::filesystem::exists(nnlab::test::nnlab_binary()))
    return nnlab::test::skip_for_missing(nnlab::test::nnlab_binary() + " not built");
  const auto study = nnlab::test::temp_dir() / "limit_memory.toml";
  std::string conv;
  for (int i = 0; i < 4; ++i)
    conv += "{type = \"conv2d\", filters = 32, kernel = 3, padding = 1, activation = \"relu\"}, ";
  nnlab::test::write_text(study,
                          "name = \"limit-memory\"\n[data]\ndataset = \"mnist\"\n"
                          "validation = 0\ntrain_limit = 128\n[model]\nlayers = [" +
                              conv +
                              "{type = \"flatten\"}, {type = \"dense\", units = 10, "
                              "activation = \"softmax\"}]\n[train]\nbatch = 128\n");
  const auto r = nnlab::test::run_nnlab("bench " + study.string() +
                                        " --run limit-memory --epochs 1 --threads 2 --json "
                                        "--data-dir " +
                                        nnlab::test::shared_data_dir().string());
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out.substr(r.out.rfind("\n{") + 1));
  ASSERT_EQ(j["limit_rounds"], 1);
  const int64_t training = j["peak_rss_kb"], process = j["process_peak_rss_kb"];
  EXPECT_GE(process, training);
#if !defined(__SANITIZE_ADDRESS__)  // AddressSanitizer keeps freed memory in its quarantine
  // One layer's x, y, dy and dx (4 x 12.8 MB), the forward pass that finds the step's layouts
  // and what the allocator keeps of them: 86-123 MB here, under 12 tensors. All four layers'
  // tensors at once (the measurement before this test) added 306 MB, 24 tensors.
  constexpr int64_t kTensorKb = 128 * 32 * 28 * 28 * 4 / 1024;
  EXPECT_LT(process - training, 12 * kTensorKb)
      << "the limit's measurement added " << (process - training) / 1024 << " MB to the peak";
#endif
}

// bench/compare_pytorch.py on S3's tiny regression net, 1 epoch and round: its --json output
// (printed before a missed goal's exit status 1; a refusal prints none), and its stderr.
struct Comparison {
  nlohmann::json result;  // null when the script printed no JSON
  std::string err;
};
Comparison compare_tiny(const std::string& env, const std::string& options) {
  const auto root = std::filesystem::path(NNLAB_SOURCE_DIR);
  const auto r = nnlab::test::run_command(
      env + " /usr/bin/python3 " + (root / "bench" / "compare_pytorch.py").string() + " " +
      (root / "bench" / "s3-regression-tiny.toml").string() +
      ":tiny:1 --epochs 1 --rounds 1 --warmup-batches 1 --json --data-dir " +
      nnlab::test::shared_data_dir().string() + " --nnlab " + nnlab::test::nnlab_binary() + " " +
      options);
  const size_t brace = r.out.find("{");
  return {
      brace == std::string::npos ? nlohmann::json() : nlohmann::json::parse(r.out.substr(brace)),
      r.err};
}

bool torch_importable() {
  return nnlab::test::run_command("/usr/bin/python3 -c 'import torch'").status == 0;
}

// By default both sides run the CPU's full ISA, even where the caller's environment lowers it;
// --max-isa avx2 lowers oneDNN (both sides), ATen and OpenBLAS, and refuses an nnlab whose own
// loops were built for more.
TEST(BenchLimit, ComparePytorchRunsTheIsaItSays) {
  if (!std::filesystem::exists(nnlab::test::nnlab_binary()))
    return nnlab::test::skip_for_missing(nnlab::test::nnlab_binary() + " not built");
  if (!torch_importable()) return nnlab::test::skip_for_missing("PyTorch (python3-torch)");
  const nnlab::CpuInfo cpu = nnlab::cpu_info();  // this test's own oneDNN: the full ISA

  const Comparison full = compare_tiny(
      "ONEDNN_MAX_CPU_ISA=SSE41 ATEN_CPU_CAPABILITY=default OPENBLAS_CORETYPE=Haswell", "");
  ASSERT_FALSE(full.result.is_null()) << full.err;
  EXPECT_EQ(full.result["meta"]["onednn_isa"], cpu.onednn_isa);
  EXPECT_EQ(full.result["meta"]["compiled_isa"], cpu.compiled_isa);
  const auto& torch_run = full.result["rows"][0]["torch_runs"][0];
  EXPECT_TRUE(torch_run["openblas_coretype"].is_null()) << torch_run.dump();
  EXPECT_NE(torch_run["cpu_capability"], "DEFAULT") << torch_run.dump();

  const Comparison avx2 = compare_tiny("", "--max-isa avx2");
  if (!cpu.has("avx2")) {  // oneDNN then runs less than AVX2: no such measurement here
    EXPECT_TRUE(avx2.result.is_null());
    EXPECT_NE(avx2.err.find("nnlab's oneDNN runs"), std::string::npos) << avx2.err;
  } else if (cpu.compiled_isa == "AVX-512") {
    EXPECT_TRUE(avx2.result.is_null());
    EXPECT_NE(avx2.err.find("was built for 'AVX-512'"), std::string::npos) << avx2.err;
  } else {
    ASSERT_FALSE(avx2.result.is_null()) << avx2.err;
    EXPECT_EQ(avx2.result["meta"]["onednn_isa"], "avx2");
    EXPECT_EQ(avx2.result["meta"]["max_isa"], "avx2");
    EXPECT_EQ(avx2.result["meta"]["torch_cpu_capability"], "AVX2");
    EXPECT_EQ(avx2.result["rows"][0]["torch_runs"][0]["openblas_coretype"], "Haswell");
  }
}

}  // namespace
