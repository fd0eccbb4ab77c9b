// encode and decode: the two halves of an autoencoder as passes of their own, against the whole
// model's prediction.
#include "eval/autoencoder.hpp"

#include <gtest/gtest.h>

#include <numeric>

#include "nn/loss.hpp"
#include "nn/model_builder.hpp"
#include "support/test_support.hpp"

namespace nnlab {
namespace {

LayerSpec spec(std::string type, std::map<std::string, double> numbers = {},
               std::map<std::string, std::string> strings = {}) {
  LayerSpec s;
  s.type = std::move(type);
  s.numbers = std::move(numbers);
  s.strings = std::move(strings);
  s.where = "test";
  return s;
}

// 12 images of 2x3 pixels, pixel j of image i = ((i * 5 + j) % 7) / 6.
Dataset tiny_images() {
  Dataset d;
  d.name = "tiny";
  d.sample_shape = {1, 2, 3};
  for (int i = 0; i < 12; ++i) {
    for (int j = 0; j < 6; ++j) d.pixels.push_back(static_cast<uint8_t>((i * 5 + j) % 7 * 255 / 6));
    d.labels.push_back(i % 2);
  }
  d.class_names = {"even", "odd"};
  return d;
}

TEST(Autoencoder, EncodeThenDecodeIsPredict) {
  const auto bce = make_loss("binary_cross_entropy");
  Rng rng(3);
  const auto m =
      build_model(test::exec(), {1, 2, 3},
                  {spec("flatten"), spec("dense", {{"units", 4}}, {{"activation", "tanh"}}),
                   spec("code"), spec("dense", {{"units", 6}}, {{"activation", "sigmoid"}})},
                  *bce, rng);
  ASSERT_EQ(m->head(), Head::sigmoid);
  check_autoencoder(*m, "m");
  const Dataset d = tiny_images();
  std::vector<int64_t> order = {11, 0, 5, 3, 7};
  const Tensor codes = encode(*m, d, order, 2);
  ASSERT_EQ(codes.shape(), (Shape{5, 4}));
  const Tensor images = decode(*m, codes, 3);
  ASSERT_EQ(images.shape(), (Shape{5, 6}));

  Tensor x({5, 1, 2, 3}), expected;
  for (int64_t r = 0; r < 5; ++r) d.read_sample(order[static_cast<size_t>(r)], x.row(r));
  Rng pass_rng(0);
  m->predict(x, expected, pass_rng);
  for (int64_t i = 0; i < images.size(); ++i) {
    EXPECT_NEAR(images[i], expected[i], 1e-6) << i;
    EXPECT_GT(images[i], 0.0f);
    EXPECT_LT(images[i], 1.0f);
  }
  for (const float c : codes.span()) EXPECT_LE(std::abs(c), 1.0f);  // tanh codes
}

TEST(Autoencoder, RefusesModelsWithoutADecoderAndCodesOfTheWrongWidth) {
  const auto mse = make_loss("mse");
  Rng rng(3);
  const auto plain = build_model(test::exec(), {6}, {spec("dense", {{"units", 6}})}, *mse, rng);
  EXPECT_NE(test::error_of([&] {
              check_autoencoder(*plain, "plain.safetensors");
            }).find("plain.safetensors: the model has no code layer"),
            std::string::npos);
  const auto encoder_only =
      build_model(test::exec(), {6}, {spec("dense", {{"units", 3}}), spec("code")}, *mse, rng);
  EXPECT_NE(test::error_of([&] { check_autoencoder(*encoder_only, "e"); }).find("no decoder"),
            std::string::npos);
  const auto ae = build_model(
      test::exec(), {6},
      {spec("dense", {{"units", 3}}), spec("code"), spec("dense", {{"units", 6}})}, *mse, rng);
  EXPECT_NE(test::error_of([&] {
              decode(*ae, Tensor({2, 4}), 10);
            }).find("codes have 3 values"),
            std::string::npos);
}

TEST(Autoencoder, BytesAreClippedAndRounded) {
  const std::vector<float> v = {-0.5f, 0.0f, 0.5f, 1.0f, 2.0f, NAN};
  EXPECT_EQ(to_bytes(v), (std::vector<uint8_t>{0, 0, 128, 255, 255, 0}));
}

}  // namespace
}  // namespace nnlab
