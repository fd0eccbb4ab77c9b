// measure_generation: real images measured against themselves score as real data does; noise
// is far from them in the classifier's features.
#include "eval/generation_quality.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace nnlab
