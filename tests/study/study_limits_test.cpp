// The stated limits of a study's values, each checked before anything is narrowed, allocated or
// handed to toml++: integers in their full 64-bit width, floats finite, augmentation and layer
// sizes bounded, and TOML nesting bounded before it is parsed.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "study/preflight.hpp"
#include "study/study.hpp"
#include "study/study_text.hpp"
#include "study/toml_access.hpp"
#include "support/test_support.hpp"

namespace nnlab {
namespace {

using test::kOneDenseLayer;
using test::parse_error;

void expect_error(const std::string& text, const std::string& message,
                  const std::vector<std::string>& sets = {}) {
  const std::string e = parse_error(text, sets);
  EXPECT_NE(e.find(message), std::string::npos) << "got: " << e << "\nfor: " << text.substr(0, 200);
}

// 2^31 epochs trained none and 2^32 + 1 trained one: every integer is checked in the width TOML
// gives it, against its key's range, whatever type the key is kept in.
TEST(StudyLimits, IntegersAreCheckedInFullWidthBeforeNarrowing) {
  expect_error(kOneDenseLayer + "[train]\nepochs = 2147483648\n",
               "bad.toml:4: train.epochs must be in [1, 2147483647], got 2147483648");
  expect_error("repeats = 4294967296\n" + kOneDenseLayer,
               "bad.toml:1: repeats must be in [1, 2147483647], got 4294967296");
  expect_error("[data]\nnoisy_copies = 4294967296\n" + kOneDenseLayer,
               "bad.toml:2: data.noisy_copies must be in [0, 2147483647], got 4294967296");
  expect_error(kOneDenseLayer + "[diagnostics]\nmisclassified = 4294967296\n",
               "bad.toml:4: diagnostics.misclassified must be in [0, 2147483647], got 4294967296");
  expect_error(kOneDenseLayer + "[diagnostics]\nreceptive_fields = 4294967296\n",
               "bad.toml:4: diagnostics.receptive_fields must be in [0, 1024], got 4294967296");
  expect_error(kOneDenseLayer + "[train]\nbatch = 0\n",
               "train.batch must be in [1, 1000000], got 0");
  // The same accessor reads --set values and sweeps.
  expect_error(kOneDenseLayer,
               "--set train.epochs=4294967297: train.epochs must be in [1, 2147483647]",
               {"train.epochs=4294967297"});
  expect_error(kOneDenseLayer + "[[runs]]\nname = \"a\"\nsweep = {\"repeats\" = [1, 4294967296]}\n",
               "repeats must be in [1, 2147483647], got 4294967296");
}

// TOML's inf and nan mean nothing as a study's setting: every number read is finite.
TEST(StudyLimits, NumbersMustBeFinite) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[data]\naugment = {shift = inf}\n", "data.augment.shift"},
      {"[data]\naugment = {elastic_alpha = inf}\n", "data.augment.elastic_alpha"},
      {"[data]\naugment = {noise = inf}\n", "data.augment.noise"},
      {"[data]\nnoisy_sigma = inf\n", "data.noisy_sigma"},
      {"[train]\noptimizer = {eps = inf}\n", "train.optimizer.eps"},
      {"[train]\noptimizer = {lr = inf}\n", "train.optimizer.lr"},
      {"[train]\nschedule = {type = \"step\", gamma = inf}\n", "train.schedule.gamma"},
      {"[train]\nschedule = {min_lr = inf}\n", "train.schedule.min_lr"},
      {"[train]\nearly_stopping = {min_delta = inf}\n", "train.early_stopping.min_delta"},
  };
  for (const auto& [text, key] : cases)
    expect_error(text + kOneDenseLayer, "bad.toml:2: " + key + " must be a finite number, got inf");
  expect_error(kOneDenseLayer + "[train]\noptimizer = {lr = nan}\n",
               "train.optimizer.lr must be a finite number, got nan");
  expect_error(kOneDenseLayer, "--set train.optimizer.lr=-inf: train.optimizer.lr must be a finite",
               {"train.optimizer.lr=-inf"});
  expect_error(
      kOneDenseLayer + "[[runs]]\nname = \"a\"\n[lr_sweep]\nrun = \"a\"\nrates = [0.1, inf]\n",
      "bad.toml:7: lr_sweep.rates must be finite and > 0, got inf");
}

TEST(StudyLimits, AugmentationSettingsHaveStatedBounds) {
  // elastic_sigma = 1e9 overflowed the kernel's radius in the augmenter (a crash), and 1e7 made
  // a one-second run take minutes.
  expect_error("[data]\naugment = {elastic_alpha = 34, elastic_sigma = 1e9}\n" + kOneDenseLayer,
               "bad.toml:2: data.augment.elastic_sigma must be in (0, 100], got 1000000000");
  expect_error("[data]\naugment = {elastic_sigma = 0}\n" + kOneDenseLayer,
               "data.augment.elastic_sigma must be in (0, 100], got 0");
  expect_error("[data]\naugment = {elastic_alpha = 1e6}\n" + kOneDenseLayer,
               "data.augment.elastic_alpha must be in [0, 1000], got 1000000");
  expect_error("[data]\naugment = {noise = 2}\n" + kOneDenseLayer,
               "data.augment.noise must be in [0, 1], got 2");
  expect_error("[data]\noversample = {rotation = 181}\n" + kOneDenseLayer,
               "data.oversample.rotation must be in [0, 180], got 181");
}

// A shift is at most the images' size, known once the dataset is: refused before any data is
// loaded.
TEST(StudyLimits, AShiftIsAtMostTheImageSize) {
  const auto preflight_error = [](const std::string& augment) {
    const Study s = parse_study("[data]\n" + augment + "\n" + kOneDenseLayer, "s.toml", {});
    return test::error_of([&] { check_runs_before_training(s, {}); });
  };
  EXPECT_NE(preflight_error("augment = {shift = 1e30}")
                .find("s.toml: run 's': data.augment.shift must be in [0, 28], got 1e+30"),
            std::string::npos)
      << preflight_error("augment = {shift = 1e30}");
  EXPECT_NE(preflight_error("oversample = {shift = 29}")
                .find("data.oversample.shift must be in [0, 28], got 29"),
            std::string::npos);
  const Study fits = parse_study("[data]\naugment = {shift = 28}\n" + kOneDenseLayer, "s.toml", {});
  EXPECT_NO_THROW(check_runs_before_training(fits, {}));
}

// units = 2e6 reached 6.3 GB before std::bad_alloc.
TEST(StudyLimits, LayerSizesHaveStatedLimits) {
  expect_error("[model]\nlayers = [{type=\"dense\", units=2e6}]\n",
               "bad.toml:2: model.layers[0].units must be <= 100000, got 2000000");
  expect_error("[model]\nlayers = [{type=\"conv2d\", filters=5000, kernel=3}]\n",
               "bad.toml:2: model.layers[0].filters must be <= 4096, got 5000");
  expect_error("[model]\nlayers = [{type=\"conv2d\", filters=8, kernel=1000}]\n",
               "bad.toml:2: model.layers[0].kernel must be <= 64, got 1000");
  expect_error("[model]\nlayers = [{type=\"dropout\", rate=nan}, {type=\"dense\", units=10}]\n",
               "bad.toml:2: model.layers[0].rate must be a finite number, got nan");
  // From the command line, a sweep and a run's quoted key alike.
  expect_error(kOneDenseLayer,
               "--set model.layers.units=2000000: model.layers[0].units must be <= 100000",
               {"model.layers.units=2000000"});
  expect_error(
      kOneDenseLayer + "[[runs]]\nname = \"a\"\nsweep = {\"model.layers[0].units\" = [10, 1e6]}\n",
      "bad.toml:5: model.layers[0].units must be <= 100000, got 1000000");
  expect_error(kOneDenseLayer + "[[runs]]\nname = \"a\"\n\"model.layers[0].units\" = 1e6\n",
               "bad.toml:5: runs.a.model.layers[0].units must be <= 100000");
  EXPECT_NO_THROW(
      parse_study("[model]\nlayers = [{type=\"dense\", units=100000}]\n", "s.toml", {}));
}

std::string repeated(const std::string& part, int n, const std::string& separator) {
  std::string out;
  for (int i = 0; i < n; ++i) out += (i ? separator : "") + part;
  return out;
}

// A dotted key of 50,000 parts or a header of 100,000 overflowed the stack inside toml++.
TEST(StudyLimits, NestingIsBoundedBeforeTomlParses) {
  const std::string deep = "the study nests deeper than 64 levels";
  expect_error(repeated("a", 50'000, ".") + " = 1\n", "bad.toml:1: " + deep);
  expect_error(kOneDenseLayer + "[" + repeated("a", 100'000, ".") + "]\n", "bad.toml:3: " + deep);
  expect_error("x = " + repeated("[", 100'000, "") + "\n", "bad.toml:1: " + deep);
  expect_error("x = " + repeated("{a = ", 100'000, "") + "\n", "bad.toml:1: " + deep);
  expect_error(kOneDenseLayer, "--set data.dir=" + repeated("[", 10, ""),
               {"data.dir=" + repeated("[", 100'000, "")});
  expect_error(kOneDenseLayer, "the value nests deeper than 64 levels",
               {"data.dir=" + repeated("[", 100'000, "")});
  // 64 levels pass the scan (and then meet the schema).
  expect_error(repeated("a", 64, ".") + " = 1\n", "bad.toml:1: unknown key 'a'");
  expect_error("[" + repeated("a", 63, ".") + "]\nb = 1\n", "unknown key 'a'");
}

TEST(StudyLimits, TheNestingScanCountsKeysHeadersAndBrackets) {
  using study_detail::line_nested_too_deep;
  EXPECT_FALSE(line_nested_too_deep(repeated("a", 64, ".") + " = 1"));
  EXPECT_EQ(line_nested_too_deep(repeated("a", 65, ".") + " = 1"), 1);
  // Header parts, dotted keys and brackets add up; an array of tables is one level more.
  EXPECT_FALSE(line_nested_too_deep("[" + repeated("a", 30, ".") + "]\n" + repeated("b", 30, ".") +
                                    " = [[[1]]]\n"));
  EXPECT_EQ(line_nested_too_deep("\n[" + repeated("a", 30, ".") + "]\n" + repeated("b", 32, ".") +
                                 " = [[[1]]]\n"),
            3);
  EXPECT_EQ(line_nested_too_deep("[[" + repeated("a", 64, ".") + "]]\n"), 1);
  EXPECT_EQ(line_nested_too_deep("x = [\n" + repeated("{a = [", 40, "") + "\n"), 2);
  // Strings, numbers and comments hold no levels; a multi-line string's lines are counted.
  const std::string noise = repeated("a", 100, ".") + repeated("[{", 100, "");
  EXPECT_FALSE(line_nested_too_deep("x = \"" + noise + "\"\ny = '" + noise + "'\n# " + noise +
                                    "\nz = 1.5\n"));
  EXPECT_FALSE(line_nested_too_deep("x = \"\\\"" + noise + "\"\n"));
  EXPECT_EQ(line_nested_too_deep("x = \"\"\"\n" + noise + "\n\"\"\"\n" + repeated("a", 65, ".") +
                                 " = 1\n"),
            4);
}

}  // namespace
}  // namespace nnlab
