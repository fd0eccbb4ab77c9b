// Test-time augmentation: a classifier scored on moved and mirrored copies of each image, its
// probabilities averaged.
#include <gtest/gtest.h>

#include <cmath>

#include "data/augment.hpp"
#include "eval/evaluate.hpp"
#include "nn/model_builder.hpp"
#include "support/test_support.hpp"

namespace nnlab {
namespace {

constexpr int64_t kH = 5, kW = 6;

// Seven 5x6 grey images of three classes, pixels drawn at random.
Dataset images() {
  Dataset d;
  d.name = "pictures";
  d.sample_shape = {1, kH, kW};
  d.class_names = {"a", "b", "c"};
  Rng rng(4);
  for (int i = 0; i < 7; ++i) {
    d.labels.push_back(i % 3);
    for (int64_t p = 0; p < kH * kW; ++p) d.pixels.push_back(static_cast<uint8_t>(rng.below(256)));
  }
  return d;
}

std::unique_ptr<Model> classifier(const Loss& loss) {
  const std::vector<LayerSpec> specs = {
      {.type = "conv2d",
       .numbers = {{"filters", 2}, {"kernel", 3}},
       .strings = {{"activation", "tanh"}},
       .where = "t"},
      {.type = "flatten", .numbers = {}, .strings = {}, .where = "t"},
      {.type = "dense",
       .numbers = {{"units", 3}},
       .strings = {{"activation", "softmax"}},
       .where = "t"}};
  Rng rng(9);
  return build_model(test::exec(), {1, kH, kW}, specs, loss, rng);
}

TEST(Tta, TheViewsAreTheImageItsMovesAndTheirMirrors) {
  EXPECT_FALSE(TtaConfig{}.enabled());
  const auto views = TtaConfig{.hflip = true, .shift = 2}.views();
  ASSERT_EQ(views.size(), 10u);
  EXPECT_EQ(views[0].dx, 0);
  EXPECT_FALSE(views[0].flip);
  EXPECT_EQ(views[2].dx, 2);
  EXPECT_EQ(views[4].dy, 2);
  EXPECT_TRUE(views[5].flip);
  EXPECT_EQ(views[5].dx, 0);
  EXPECT_EQ(TtaConfig{.hflip = true}.views().size(), 2u);
  EXPECT_EQ(TtaConfig{.shift = 1}.views().size(), 5u);
}

// The evaluation's probabilities against views made pixel by pixel here and classified one image
// at a time through Model::predict.
TEST(Tta, AveragesTheProbabilitiesOfEveryView) {
  const Dataset d = images();
  const auto loss = make_loss("cross_entropy");
  const auto model = classifier(*loss);
  const TtaConfig tta{.hflip = true, .shift = 1};
  const std::vector<int64_t> all = {0, 1, 2, 3, 4, 5, 6};
  Rng rng(0);
  const Evaluation e = evaluate(*model, *loss, d, all, {.batch = 3, .tta = tta}, rng);
  ASSERT_EQ(e.probabilities.size(), 21u);

  // (dx, dy, mirrored): the image moved right by dx and down by dy, then mirrored.
  const int shifts[][2] = {{0, 0}, {-1, 0}, {1, 0}, {0, -1}, {0, 1}};
  double loss_sum = 0;
  int right = 0;
  for (int64_t i = 0; i < 7; ++i) {
    std::vector<double> mean(3, 0.0);
    for (const bool flip : {false, true})
      for (const auto& s : shifts) {
        Tensor x({1, 1, kH, kW}), p;
        for (int64_t y = 0; y < kH; ++y)
          for (int64_t col = 0; col < kW; ++col) {
            const int64_t moved_x = (flip ? kW - 1 - col : col) - s[0], moved_y = y - s[1];
            const bool inside = moved_x >= 0 && moved_x < kW && moved_y >= 0 && moved_y < kH;
            x[y * kW + col] =
                inside ? static_cast<float>(
                             d.pixels[static_cast<size_t>(i * kH * kW + moved_y * kW + moved_x)]) /
                             255.0f
                       : 0.0f;
          }
        model->predict(x, p, rng);
        for (int c = 0; c < 3; ++c) mean[static_cast<size_t>(c)] += p[c] / 10.0;
      }
    for (int c = 0; c < 3; ++c)
      EXPECT_NEAR(e.probabilities[static_cast<size_t>(i * 3 + c)], mean[static_cast<size_t>(c)],
                  1e-5)
          << "sample " << i << " class " << c;
    const auto best = std::max_element(mean.begin(), mean.end()) - mean.begin();
    EXPECT_EQ(e.predicted[static_cast<size_t>(i)], best);
    right += best == d.labels[static_cast<size_t>(i)];
    loss_sum -= std::log(mean[static_cast<size_t>(d.labels[static_cast<size_t>(i)])]);
  }
  EXPECT_NEAR(e.accuracy, right / 7.0, 1e-12);
  EXPECT_NEAR(e.loss, loss_sum / 7, 1e-5);

  // Without views, the single image's probabilities: a different answer.
  const Evaluation plain = evaluate(*model, *loss, d, all, {.batch = 3}, rng);
  EXPECT_NE(plain.probabilities, e.probabilities);
}

// Random views: each image transformed by the Augmenter with its own generator (tta_view_rng),
// made here one image at a time and averaged with the image itself and its fixed views.
TEST(Tta, AveragesRandomViewsDrawnForEachImage) {
  const Dataset d = images();
  const auto loss = make_loss("cross_entropy");
  const auto model = classifier(*loss);
  const TtaConfig tta{.shift = 1, .random_views = 3, .augment = {.rotation = 30, .scale = 0.2f}};
  EXPECT_EQ(tta.view_count(), 8u);
  const std::vector<int64_t> some = {5, 1, 6, 2};
  Rng rng(0);
  const Evaluation e = evaluate(*model, *loss, d, some, {.batch = 3, .tta = tta, .seed = 7}, rng);
  ASSERT_EQ(e.probabilities.size(), 12u);

  const Augmenter drawer(tta.augment, d.sample_shape), mover({.crop = 1}, d.sample_shape);
  const int shifts[][2] = {{0, 0}, {-1, 0}, {1, 0}, {0, -1}, {0, 1}};
  for (size_t row = 0; row < some.size(); ++row) {
    std::vector<float> image(kH * kW);
    d.read_sample(some[row], image.data());
    std::vector<double> mean(3, 0.0);
    auto add = [&](const float* pixels) {
      Tensor x({1, 1, kH, kW}), p;
      std::copy(pixels, pixels + kH * kW, x.data());
      model->predict(x, p, rng);
      for (int c = 0; c < 3; ++c) mean[static_cast<size_t>(c)] += p[c] / 8.0;
    };
    std::vector<float> view(kH * kW);
    for (const auto& s : shifts) {
      mover.move_whole_pixels(image.data(), view.data(), s[0], s[1], false);
      add(view.data());
    }
    for (int v = 0; v < 3; ++v) {
      AugmentBuffers buffers;
      Rng draws = tta_view_rng(7, some[row], v);
      drawer.apply(image.data(), view.data(), draws, buffers);
      add(view.data());
    }
    for (int c = 0; c < 3; ++c)
      EXPECT_NEAR(e.probabilities[row * 3 + static_cast<size_t>(c)], mean[static_cast<size_t>(c)],
                  1e-5)
          << "sample " << some[row] << " class " << c;
  }

  // The same views whatever the batch, another seed other views.
  const Evaluation one_batch =
      evaluate(*model, *loss, d, some, {.batch = 4, .tta = tta, .seed = 7}, rng);
  EXPECT_EQ(one_batch.probabilities, e.probabilities);
  const Evaluation reseeded =
      evaluate(*model, *loss, d, some, {.batch = 3, .tta = tta, .seed = 8}, rng);
  EXPECT_NE(reseeded.probabilities, e.probabilities);
}

TEST(Tta, RandomViewsAndTheirTransformComeTogether) {
  const Shape image = {1, kH, kW};
  const auto error = [&](const TtaConfig& tta) {
    return test::error_of([&] { tta.check_fits(image, "train.tta"); });
  };
  EXPECT_NO_THROW(
      (TtaConfig{.random_views = 2, .augment = {.rotation = 10}}.check_fits(image, "train.tta")));
  EXPECT_NE(error({.random_views = 2}).find("train.tta.random_views needs a transform"),
            std::string::npos);
  EXPECT_NE(error({.augment = {.rotation = 10}})
                .find("train.tta.augment draws nothing without train.tta.random_views > 0"),
            std::string::npos);
  EXPECT_NE(error({.random_views = kMaxTtaRandomViews + 1, .augment = {.rotation = 10}})
                .find("train.tta.random_views must be in [0, 256]"),
            std::string::npos);
  EXPECT_NE(error({.random_views = 1, .augment = {.shift = 7}}).find("train.tta.augment.shift"),
            std::string::npos);
}

TEST(Tta, NeedsAClassifierOfImages) {
  const auto loss = make_loss("mse");
  const auto model = classifier(*loss);
  const Dataset d = images();
  Rng rng(0);
  const std::vector<int64_t> all = {0, 1};
  EXPECT_NE(test::error_of([&] {
              evaluate(*model, *loss, d, all,
                       {.task = Task::regress, .batch = 2, .tta = {.hflip = true}}, rng);
            }).find("test-time augmentation needs a classifier"),
            std::string::npos);
}

}  // namespace
}  // namespace nnlab
