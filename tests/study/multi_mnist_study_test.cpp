// data.dataset = "multi-mnist" with [data.generate]: settings read and range-checked with the
// file, line and key in every error; the model checked against the generated width; the data
// cache telling settings apart.
#include <gtest/gtest.h>

#include <string>

#include "study/preflight.hpp"
#include "study/run_data.hpp"
#include "study/study.hpp"
#include "support/test_support.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

using test::error_of;

// Line 5 holds [data.generate]'s first key; `extra` goes on line 6.
std::string multi_mnist_study(const std::string& extra,
                              const std::string& dataset = "multi-mnist") {
  return "name = \"s5\"\n"
         "[data]\n"
         "dataset = \"" +
         dataset +
         "\"\n"
         "[data.generate]\n"
         "seed = 7\n" +
         extra +
         "\n"
         "[model]\n"
         "layers = [{type = \"dense\", units = 80}, {type = \"dense\", units = 50, "
         "activation = \"softmax\"}]\n"
         "[[runs]]\n"
         "name = \"a\"\n";
}

Study parse(const std::string& text, const std::vector<std::string>& overrides = {}) {
  return parse_study(text, "s5.toml", overrides);
}

TEST(MultiMnistStudy, GenerateSettingsAreRead) {
  const Study s = parse(multi_mnist_study(
      "train_count = 1000\ntest_count = 200\nprofile = \"uniform\"\nwidth = 42\nshift = 2\n"
      "intensity_min = 0.3\nintensity_max = 0.9\ncombine = \"max\""));
  const MultiMnistConfig& g = s.runs.at(0).data.generate;
  EXPECT_EQ(g.seed, 7u);
  EXPECT_EQ(g.train_count, 1000);
  EXPECT_EQ(g.test_count, 200);
  EXPECT_EQ(g.profile, "uniform");
  EXPECT_EQ(g.width, 42);
  EXPECT_EQ(g.shift, 2);
  EXPECT_DOUBLE_EQ(g.intensity_min, 0.3);
  EXPECT_DOUBLE_EQ(g.intensity_max, 0.9);
  EXPECT_EQ(g.combine, "max");
  // Absent keys keep the generator's defaults; --set reaches them.
  const Study d = parse(multi_mnist_study(""), {"data.generate.width=45"});
  EXPECT_EQ(d.runs.at(0).data.generate.train_count, MultiMnistConfig{}.train_count);
  EXPECT_EQ(d.runs.at(0).data.generate.width, 45);
}

TEST(MultiMnistStudy, BadValueNamesFileLineAndKey) {
  struct Case {
    std::string line, key;
  };
  for (const Case& c :
       {Case{"train_count = 10", "data.generate.train_count must be in [50, 10000000], got 10"},
        Case{"test_count = 20000000", "data.generate.test_count must be in [50, 10000000]"},
        Case{"profile = \"zipf\"", "data.generate.profile must be one of"},
        Case{"width = 27", "data.generate.width must be in [28, 56], got 27"},
        Case{"shift = 9", "data.generate.shift must be in [0, 8], got 9"},
        Case{"intensity_min = 0", "data.generate.intensity_min must be in"},
        Case{"intensity_max = 1.5", "data.generate.intensity_max must be in"},
        Case{"combine = \"mean\"", "data.generate.combine must be one of"},
        Case{"seed = -1", "data.generate.seed must be >= 0"},
        Case{"width = \"wide\"", "data.generate.width must be an integer"}}) {
    // "seed" on line 6 replaces the one on line 5: TOML forbids the duplicate, so drop line 5.
    std::string text = multi_mnist_study(c.line);
    if (c.line.rfind("seed", 0) == 0) text.replace(text.find("seed = 7\n"), 9, "\n");
    const std::string msg = error_of([&] { parse(text); });
    EXPECT_NE(msg.find("s5.toml:6"), std::string::npos) << c.line << ": " << msg;
    EXPECT_NE(msg.find(c.key), std::string::npos) << c.line << ": " << msg;
  }
  const std::string unknown = error_of([&] { parse(multi_mnist_study("widht = 40")); });
  EXPECT_NE(unknown.find("s5.toml:6"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("did you mean 'data.generate.width'"), std::string::npos) << unknown;
}

TEST(MultiMnistStudy, GenerateNeedsMultiMnist) {
  const std::string msg = error_of([] { parse(multi_mnist_study("", "mnist")); });
  EXPECT_NE(msg.find("s5.toml:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("data.generate applies to data.dataset = \"multi-mnist\" only"),
            std::string::npos)
      << msg;
}

// The preflight builds the model for the generated width: 28 x 39 = 1092 inputs by default.
TEST(MultiMnistStudy, PreflightUsesTheGeneratedWidth) {
  Study s = parse(multi_mnist_study("") + "model.max_params = 91490\n");  // 1092*80+80 + 80*50+50
  EXPECT_NO_THROW(check_runs_before_training(s, {}));
  s = parse(multi_mnist_study("width = 40") +
            "model.max_params = 91490\n");  // 1120 inputs: over budget
  const std::string msg = error_of([&] { check_runs_before_training(s, {}); });
  EXPECT_NE(msg.find("93730"), std::string::npos) << msg;
}

TEST(MultiMnistStudy, CacheKeepsOneDatasetPerSettings) {
  if (!std::filesystem::exists(test::shared_data_dir() / "mnist")) {
    test::skip_for_missing("MNIST in " + test::shared_data_dir().string());
    return;
  }
  DataCache cache(test::shared_data_dir().string());
  DataConfig a;
  a.dataset = "multi-mnist";
  a.generate.train_count = 500;
  a.generate.test_count = 100;
  const SourceData& first = cache.get(a);
  EXPECT_EQ(first.train->size(), 500);
  EXPECT_EQ(first.train->sample_shape, (Shape{1, 28, 39}));
  EXPECT_EQ(cache.get(a).train.get(), first.train.get());  // loaded once
  DataConfig b = a;
  b.generate.seed = 2;
  const SourceData& other = cache.get(b);
  EXPECT_NE(other.train.get(), first.train.get());
  EXPECT_NE(other.train->pixels, first.train->pixels);
  DataConfig c = a;
  c.generate.width = 41;
  EXPECT_EQ(cache.get(c).test->sample_shape, (Shape{1, 28, 41}));
}

}  // namespace
}  // namespace nnlab
