#include "eval/ensemble.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "io/safetensors.hpp"
#include "support/test_support.hpp"

namespace nnlab {
namespace {

// Three samples of two classes, labels 0, 1, 1.
Evaluation three_samples(std::vector<float> probabilities) {
  Evaluation e;
  e.count = 3;
  e.classes = 2;
  e.probabilities = std::move(probabilities);
  return e;
}

TestOutputs saved_and_loaded(const std::string& name, const Evaluation& e,
                             const std::vector<int32_t>& labels) {
  const std::string path = (test::temp_dir() / name).string();
  save_test_outputs(path, e, labels);
  return load_test_outputs(path);
}

TEST(Ensemble, AveragesTheMembersProbabilitiesSampleBySample) {
  const std::vector<int32_t> labels = {0, 1, 1};
  // Member a is right on samples 0 and 1, b on 0 and 2; averaged, sample 1 is (0.45, 0.55) and
  // sample 2 (0.4, 0.6): all three right.
  const TestOutputs a = saved_and_loaded(
      "a.safetensors", three_samples({0.9f, 0.1f, 0.2f, 0.8f, 0.6f, 0.4f}), labels);
  const TestOutputs b = saved_and_loaded(
      "b.safetensors", three_samples({0.7f, 0.3f, 0.7f, 0.3f, 0.2f, 0.8f}), labels);
  EXPECT_EQ(a.labels, labels);
  EXPECT_FLOAT_EQ(a.probabilities[3], 0.8f);
  const std::vector<TestOutputs> members = {a, b};
  const std::vector<std::string> names = {"a", "b"};
  const EnsembleScore s = score_ensemble(members, names);
  EXPECT_EQ(s.members, 2);
  EXPECT_EQ(s.errors, 0);
  EXPECT_DOUBLE_EQ(s.accuracy, 1.0);
  // Cross-entropy of the averages at the labels: 0.8, 0.55, 0.6 (computed in double from the
  // stored floats).
  const double expected =
      -(std::log((0.9 + 0.7) / 2) + std::log((double{0.8f} + double{0.3f}) / 2) +
        std::log((double{0.4f} + double{0.8f}) / 2)) /
      3;
  EXPECT_NEAR(s.loss, expected, 1e-6);
  // One member alone is that member: a misses sample 2.
  const EnsembleScore alone =
      score_ensemble(std::span(members).first(1), std::span(names).first(1));
  EXPECT_EQ(alone.errors, 1);
  EXPECT_NEAR(alone.accuracy, 2.0 / 3.0, 1e-12);
}

TEST(Ensemble, MembersTestedOnOtherSamplesMakeNoEnsemble) {
  const Evaluation e = three_samples({0.9f, 0.1f, 0.2f, 0.8f, 0.6f, 0.4f});
  const std::vector<TestOutputs> members = {saved_and_loaded("x.safetensors", e, {0, 1, 1}),
                                            saved_and_loaded("y.safetensors", e, {0, 1, 0})};
  const std::vector<std::string> names = {"run r0", "run r1"};
  EXPECT_NE(test::error_of([&] {
              score_ensemble(members, names);
            }).find("run r1 was tested on other samples than run r0"),
            std::string::npos);
}

// The file is read back from a study's folder: what it declares is checked before use.
TEST(Ensemble, HostileOutputFilesAreRefusedNamingTheFile) {
  const auto error_with = [](const std::string& name, const SafeTensors& st) {
    const std::string path = (test::temp_dir() / name).string();
    save_safetensors(path, st);
    const std::string msg = test::error_of([&] { load_test_outputs(path); });
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    return msg;
  };
  const float p[4] = {0.5f, 0.5f, 0.25f, 0.75f};
  const float bad_p[4] = {0.5f, 0.5f, NAN, 0.75f};
  const float labels[2] = {0, 1}, bad_labels[2] = {0, 2}, half[2] = {0, 0.5f};
  SafeTensors ok;
  ok.add_f32("probabilities", {2, 2}, p);
  ok.add_f32("labels", {2}, labels);
  {
    SafeTensors st = ok;
    st.add_f32("probabilities", {4}, p);
    EXPECT_NE(error_with("flat.safetensors", st).find("must be [samples, classes]"),
              std::string::npos);
  }
  {
    SafeTensors st = ok;
    st.add_f32("probabilities", {2, 2}, bad_p);
    EXPECT_NE(error_with("nan.safetensors", st).find("a probability is nan"), std::string::npos);
  }
  {
    SafeTensors st = ok;
    st.add_f32("labels", {2}, bad_labels);
    EXPECT_NE(error_with("label.safetensors", st).find("a label is 2, not a class index in [0, 2)"),
              std::string::npos);
    st.add_f32("labels", {2}, half);
    EXPECT_NE(error_with("half.safetensors", st).find("a label is 0.5"), std::string::npos);
    st.add_f32("labels", {1}, half);
    EXPECT_NE(error_with("short.safetensors", st).find("labels"), std::string::npos);
  }
  {
    SafeTensors st = ok;
    st.tensors.erase("labels");
    EXPECT_NE(error_with("none.safetensors", st).find("labels"), std::string::npos);
  }
  {
    // A shape claiming 2^40 samples of no classes: refused by its declared size, not allocated.
    SafeTensors st = ok;
    st.tensors["probabilities"].shape = {int64_t{1} << 40, 0};
    st.tensors["probabilities"].bytes.clear();
    EXPECT_NE(error_with("huge.safetensors", st).find("at most [16777216, 65536] is read"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace nnlab
