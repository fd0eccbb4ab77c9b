// --set reaching the runs a sweep makes: one of them by its generated name, or all of them
// through the sweep's own run.
#include <gtest/gtest.h>

#include "study/study.hpp"
#include "study/study_text.hpp"
#include "support/test_support.hpp"

namespace nnlab {
namespace {

using test::error_of;

const char* kOverridesStudy = R"(name = "sweeps"
[model]
layers = [{type = "dense", units = 16}, {type = "dense", units = 10, activation = "softmax"}]
[train]
epochs = 5
[[runs]]
name = "plain"
[[runs]]
name = "reg"
sweep = {"model.l2" = [1e-05, 0.0001]}
)";

TEST(Overrides, SetReachesOneRunOfASweepByItsNameOrAllThroughTheSweepsRun) {
  // The name holds '=' and '.': the longest run name the key starts with is the run.
  const Study s = parse_study(
      kOverridesStudy, "sweeps.toml",
      {"runs.reg-l2=0.0001.train.epochs=2", "runs.reg-l2=0.0001.model.layers[0].units=8",
       "runs.reg-l2=1e-05.reference.test_accuracy=0.98", "runs.reg.train.batch=16"});
  const RunSpec& chosen = s.run("reg-l2=0.0001");
  EXPECT_EQ(chosen.train.epochs, 2);
  EXPECT_EQ(chosen.model.layers[0].numbers.at("units"), 8);
  EXPECT_DOUBLE_EQ(chosen.model.layers[0].numbers.at("l2"), 1e-4);  // the swept value stays
  const RunSpec& sibling = s.run("reg-l2=1e-05");
  EXPECT_EQ(sibling.train.epochs, 5);
  EXPECT_EQ(sibling.model.layers[0].numbers.at("units"), 16);
  EXPECT_DOUBLE_EQ(*sibling.reference.test_accuracy, 0.98);
  // The sweep's own run: every run it makes, and no other.
  EXPECT_EQ(chosen.train.batch, 16);
  EXPECT_EQ(sibling.train.batch, 16);
  EXPECT_EQ(s.run("plain").train.batch, 64);
  EXPECT_EQ(s.run("plain").train.epochs, 5);
}

TEST(Overrides, SetOnAStudyWithoutRunsNamesItsOneRun) {
  const Study s =
      parse_study("name = \"solo\"\n[model]\nlayers = [{type = \"dense\", units = 10}]\n",
                  "solo.toml", {"runs.solo.train.epochs=2"});
  EXPECT_EQ(s.runs[0].train.epochs, 2);
}

TEST(Overrides, ErrorsNameTheRuns) {
  EXPECT_EQ(error_of([] {
              parse_study(kOverridesStudy, "sweeps.toml", {"runs.reg-l2=0.5.train.epochs=2"});
            }),
            "--set runs.reg-l2=0.5.train.epochs=2: unknown key 'runs.reg-l2=0': the study has no "
            "run named 'reg-l2=0' (runs: plain, reg-l2=1e-05, reg-l2=0.0001)");
  EXPECT_EQ(
      error_of([] { parse_study(kOverridesStudy, "sweeps.toml", {"runs.reg-l2=1e-05.sweep={}"}); }),
      "--set runs.reg-l2=1e-05.sweep={}: run 'reg-l2=1e-05' has no [[runs]] entry of its "
      "own (a sweep makes it), so its name and sweep cannot be set");
  EXPECT_EQ(
      error_of([] {
        parse_study(kOverridesStudy, "sweeps.toml", {"runs.reg-l2=1e-05.train.epochs=0"});
      }),
      "--set runs.reg-l2=1e-05.train.epochs=0: train.epochs must be in [1, 2147483647], got 0");
  const std::string unknown = error_of(
      [] { parse_study(kOverridesStudy, "sweeps.toml", {"runs.reg-l2=1e-05.train.epoch=1"}); });
  EXPECT_NE(unknown.find("unknown key 'train.epoch'"), std::string::npos) << unknown;
}

}  // namespace
}  // namespace nnlab
