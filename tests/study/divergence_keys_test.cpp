// train.on_divergence, train.rollback_lr_factor and train.max_rollbacks: their defaults, and
// each bad value refused naming the file, the line and the key, as every study key is.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "study/study.hpp"
#include "study/study_text.hpp"
#include "support/test_support.hpp"

namespace nnlab {
namespace {

using test::kOneDenseLayer;
using test::parse_error;

TEST(DivergenceKeys, DefaultToStoppingAndReadRollbackSettings) {
  const TrainConfig stop = parse_study(kOneDenseLayer, "s.toml", {}).runs.at(0).train;
  EXPECT_EQ(stop.on_divergence, "stop");
  EXPECT_EQ(stop.rollback_lr_factor, 0.5);
  EXPECT_EQ(stop.max_rollbacks, 3);
  const TrainConfig t =
      parse_study(kOneDenseLayer +
                      "[train]\non_divergence = \"rollback\"\nrollback_lr_factor = 0.1\n"
                      "max_rollbacks = 5\n",
                  "s.toml", {})
          .runs.at(0)
          .train;
  EXPECT_EQ(t.on_divergence, "rollback");
  EXPECT_EQ(t.rollback_lr_factor, 0.1);
  EXPECT_EQ(t.max_rollbacks, 5);
  EXPECT_EQ(parse_study(kOneDenseLayer, "s.toml", {"train.max_rollbacks=100"})
                .runs[0]
                .train.max_rollbacks,
            100);
}

TEST(DivergenceKeys, BadValuesNameTheKey) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"on_divergence = \"retry\"",
       "bad.toml:4: train.on_divergence must be one of stop, rollback, got 'retry'"},
      {"on_divergence = 1", "bad.toml:4: train.on_divergence must be a string, got an integer"},
      {"rollback_lr_factor = 1", "bad.toml:4: train.rollback_lr_factor must be in (0, 1), got 1"},
      {"rollback_lr_factor = 0.0", "bad.toml:4: train.rollback_lr_factor must be in (0, 1), got 0"},
      {"rollback_lr_factor = -0.5",
       "bad.toml:4: train.rollback_lr_factor must be in (0, 1), got -0.5"},
      {"rollback_lr_factor = inf",
       "bad.toml:4: train.rollback_lr_factor must be a finite number, got inf"},
      {"rollback_lr_factor = nan",
       "bad.toml:4: train.rollback_lr_factor must be a finite number, got nan"},
      {"max_rollbacks = 0", "bad.toml:4: train.max_rollbacks must be in [1, 100], got 0"},
      {"max_rollbacks = 101", "bad.toml:4: train.max_rollbacks must be in [1, 100], got 101"},
      // Checked in TOML's full width: 2^32 + 1 is not 1.
      {"max_rollbacks = 4294967297",
       "bad.toml:4: train.max_rollbacks must be in [1, 100], got 4294967297"},
      {"max_rollbacks = 2.5", "bad.toml:4: train.max_rollbacks must be an integer, got a float"},
      {"on_divergance = \"stop\"",
       "unknown key 'train.on_divergance'; did you mean "
       "'train.on_divergence'?"},
  };
  for (const auto& [line, message] : cases) {
    const std::string e = parse_error(kOneDenseLayer + "[train]\n" + line + "\n");
    EXPECT_NE(e.find(message), std::string::npos) << "got: " << e << "\nfor: " << line;
  }
  const std::string e = parse_error(kOneDenseLayer, {"train.max_rollbacks=-1"});
  EXPECT_NE(e.find("--set train.max_rollbacks=-1: train.max_rollbacks must be in [1, 100]"),
            std::string::npos)
      << e;
}

}  // namespace
}  // namespace nnlab
