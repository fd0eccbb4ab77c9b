// measure_generation: real images measured against themselves score as real data does; noise
// is far from them in the classifier's features.
#include "eval/generation_quality.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "data/catalog.hpp"
#include "nn/loss.hpp"
#include "nn/model_builder.hpp"
#include "support/test_support.hpp"

namespace nnlab {
namespace {

LayerSpec dense(double units, std::string activation) {
  return {.type = "dense",
          .numbers = {{"units", units}},
          .strings = {{"activation", activation}},
          .lists = {},
          .where = "test"};
}

TEST(GenerationQuality, RealImagesMatchThemselvesAndNoiseDoesNot) {
  DataPair mnist;
  try {
    mnist = load_dataset("mnist", test::shared_data_dir().string());
  } catch (const Error& e) {
    return test::skip_for_missing(std::string("MNIST: ") + e.what());
  }
  const auto ce = make_loss("cross_entropy");
  Rng rng(2);
  LayerSpec flat{.type = "flatten", .numbers = {}, .strings = {}, .lists = {}, .where = "test"};
  const auto classifier = build_model(test::exec(), {1, 28, 28},
                                      {flat, dense(32, "relu"), dense(10, "softmax")}, *ce, rng);
  const int64_t n = 400;
  Tensor real({n, 784}), noise({n, 784});
  for (int64_t i = 0; i < n; ++i) mnist.test.read_sample(i, real.row(i));
  Rng draw(5);
  for (float& v : noise.span()) v = draw.uniform();

  const GenerationQuality same = measure_generation(*classifier, real, mnist.test, n);
  EXPECT_NEAR(same.frechet, 0.0, 1e-3);
  EXPECT_GE(same.entropy, 0.0);
  EXPECT_EQ(same.histogram.size(), 10u);
  int64_t total = 0;
  for (int64_t c : same.histogram) total += c;
  EXPECT_EQ(total, n);
  // The real test labels' entropy: close to log 10 for MNIST's near-balanced classes.
  EXPECT_NEAR(same.real_entropy, std::log(10.0), 0.05);

  const GenerationQuality far = measure_generation(*classifier, noise, mnist.test, n);
  EXPECT_GT(far.frechet, 10 * std::max(same.frechet, 1e-3));
  EXPECT_THROW(measure_generation(*classifier, Tensor({3, 10}), mnist.test, n), Error);
}

// The real class distribution comes from every real label, not only the first real_count
// images whose features are compared: the first images of a test set may lack a class the
// generated ones have, which made KL infinite (S5's rare classes did, at 1,000 of 16,710).
TEST(GenerationQuality, RealClassesComeFromEveryLabel) {
  Dataset real;
  real.name = "three/test";
  real.sample_shape = {1, 2, 2};
  real.class_names = {"a", "b", "c"};
  real.labels = {0, 0, 0, 0, 1, 1, 1, 2, 2, 2};  // the first 4 are all class 0
  real.pixels.resize(real.labels.size() * 4);
  for (size_t i = 0; i < real.pixels.size(); ++i) real.pixels[i] = static_cast<uint8_t>(i * 37);
  const auto ce = make_loss("cross_entropy");
  Rng rng(3);
  LayerSpec flat{.type = "flatten", .numbers = {}, .strings = {}, .lists = {}, .where = "test"};
  const auto classifier =
      build_model(test::exec(), {1, 2, 2}, {flat, dense(3, "softmax")}, *ce, rng);
  Tensor generated({300, 4});
  Rng draw(7);
  for (float& v : generated.span()) v = draw.uniform();

  const GenerationQuality q = measure_generation(*classifier, generated, real, 4);
  int classes_hit = 0;
  for (int64_t c : q.histogram) classes_hit += c > 0;
  ASSERT_GT(classes_hit, 1) << "the random classifier should spread 300 images over classes";
  EXPECT_TRUE(std::isfinite(q.kl)) << q.kl;
  EXPECT_GE(q.kl, 0.0);
  EXPECT_NEAR(q.real_entropy, -(0.4 * std::log(0.4) + 2 * 0.3 * std::log(0.3)), 1e-9);
}

}  // namespace
}  // namespace nnlab
