// `nnlab bench` prints the CPU and the share of the machine's limit a run reached, and puts them
// in its --json line beside the keys bench/compare_pytorch.py always read. Bounds only: speed is
// never asserted.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/nnlab_binary.hpp"
#include "support/test_support.hpp"

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
  for (const char* key : {"samples_per_second", "seconds", "peak_rss_kb", "parameters", "steps",
                          "batch", "us_per_step", "useful_flops_per_sample", "useful_gflops",
                          "limit_gflops", "limit_seconds_per_step", "limit_share", "limit_rounds",
                          "cpu_model", "cpu_isa", "onednn_isa", "cpu", "phase_us"})
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
