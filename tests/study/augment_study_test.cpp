// Augmentation in a study: oversampling touches the training part only, on-the-fly
// augmentation the training batches only (validation never), and the preview file.
#include <gtest/gtest.h>

#include <filesystem>
#include <numeric>

#include "eval/evaluate.hpp"
#include "io/safetensors.hpp"
#include "study/run_data.hpp"
#include "study/run_repeat.hpp"
#include "study/session.hpp"
#include "support/test_support.hpp"

namespace nnlab {
namespace {

// n 8x8 images: class 0 (3 of 4 samples) a bright square on the left, class 1 on the right.
Dataset squares(const std::string& name, int64_t n) {
  Dataset d;
  d.name = name;
  d.sample_shape = {1, 8, 8};
  d.class_names = {"left", "right"};
  for (int64_t i = 0; i < n; ++i) {
    const int32_t label = i % 4 == 3 ? 1 : 0;
    for (int64_t p = 0; p < 64; ++p) {
      const int64_t y = p / 8, x = p % 8 - (label == 1 ? 4 : 0);
      const bool inside = y >= 2 && y < 6 && x >= 1 && x < 4;
      d.pixels.push_back(inside ? static_cast<uint8_t>(150 + i % 100) : 0);
    }
    d.labels.push_back(label);
  }
  return d;
}

RunSpec tiny_run(const std::string& data_keys) {
  const std::string text = R"(
[model]
layers = [{type = "dense", units = 8}, {type = "dense", units = 2, activation = "softmax"}]
[train]
epochs = 2
batch = 16
optimizer = {type = "adam", lr = 0.01}
[data]
)" + data_keys;
  return parse_study(text, "aug.toml", {}).runs[0];
}

const SourceData& pair() {
  static const SourceData p{std::make_shared<const Dataset>(squares("squares/train", 200)),
                            std::make_shared<const Dataset>(squares("squares/test", 40))};
  return p;
}

/// The pixels of a view's samples, in its order.
std::vector<uint8_t> pixels_of(const DataView& v) { return v.data->subset(v.indices).pixels; }

TEST(AugmentStudy, OversamplingBalancesTheTrainingPartOnly) {
  const RunSpec plain = tiny_run("validation = 40\nstratified = true\n");
  const RunSpec balanced =
      tiny_run("validation = 40\nstratified = true\noversample = {p = 1, noise = 0.1}\n");
  const RunData a = prepare_run_data(pair(), plain.data, 5);
  const RunData b = prepare_run_data(pair(), balanced.data, 5);
  EXPECT_EQ(pixels_of(b.val), pixels_of(a.val));
  EXPECT_EQ(b.val.labels(), a.val.labels());
  EXPECT_EQ(a.fit.class_counts(), (std::vector<int64_t>{120, 40}));
  EXPECT_EQ(b.fit.class_counts(), (std::vector<int64_t>{120, 120}));
  EXPECT_EQ(b.refit.class_counts(), (std::vector<int64_t>{150, 150}));  // the refit's data
  EXPECT_EQ(pixels_of(b.test), pixels_of(a.test));
  // Without offline augmentation the parts are views of the loaded dataset: nothing copied.
  EXPECT_EQ(a.fit.data, pair().train);
  EXPECT_EQ(a.val.data, pair().train);
  EXPECT_NE(b.fit.data, pair().train);
}

TEST(AugmentStudy, TrainingBatchesAreAugmentedValidationNever) {
  const RunSpec plain = tiny_run("validation = 40\n");
  const RunSpec augmented = tiny_run("validation = 40\naugment = {shift = 2, noise = 0.3}\n");
  const RunData data = prepare_run_data(pair(), augmented.data, 5);
  TrainHooks quiet;
  quiet.progress = false;
  std::vector<double> train_loss;
  for (const RunSpec* run : {&plain, &augmented}) {
    Session s = make_session(test::exec(), *run, data.fit.data->sample_shape, 3, "aug.toml");
    const TrainOutcome out =
        train_session(s, *run, data.fit, &data.val, run->train.epochs, 3, quiet);
    ASSERT_EQ(out.epochs_run(), 2);
    train_loss.push_back(out.history.back().train_loss);
    // The last epoch's validation loss is that of the clean validation images.
    Rng rng(0);
    const Evaluation clean =
        evaluate(*s.model, *s.loss, *data.val.data, data.val.indices, {.batch = 1000}, rng);
    EXPECT_NEAR(out.history.back().val_loss, clean.loss, 1e-6);
  }
  EXPECT_NE(train_loss[0], train_loss[1]);
}

TEST(AugmentStudy, PreviewFile) {
  RunSpec run = tiny_run("augment = {rotation = 30, elastic_alpha = 8, elastic_sigma = 2}\n");
  run.diagnostics.augment_preview = 5;
  run.train.epochs = 1;
  const RunData data = prepare_run_data(pair(), run.data, 1);
  const auto dir = test::temp_dir();
  RunOptions options;
  options.out_dir = dir.string();
  options.progress = false;
  run_repeat(test::exec(), run, 0, data, (dir / "r0").string(), "aug.toml", options);
  const SafeTensors st = load_safetensors((dir / "r0/augmented.safetensors").string());
  const SafeTensor& original = st.at("original");
  const SafeTensor& augmented = st.at("augmented");
  EXPECT_EQ(original.dtype, "U8");
  EXPECT_EQ(original.shape, (std::vector<int64_t>{5, 8, 8}));
  EXPECT_EQ(augmented.shape, original.shape);
  const std::vector<uint8_t> first = pixels_of(data.fit);
  EXPECT_TRUE(std::equal(original.bytes.begin(), original.bytes.end(), first.begin()));
  EXPECT_NE(augmented.bytes, original.bytes);

  // No file without augmentation or with a preview of 0.
  run.diagnostics.augment_preview = 0;
  run_repeat(test::exec(), run, 0, data, (dir / "none").string(), "aug.toml", options);
  EXPECT_FALSE(std::filesystem::exists(dir / "none/augmented.safetensors"));
}

TEST(AugmentStudy, CropFlipAndErasingAreReadWithTheirChecks) {
  const RunSpec run = tiny_run(
      "augment = {crop = 4, hflip = true, erasing = 0.5, erasing_min_area = 0.05, "
      "erasing_max_area = 0.3, erasing_min_aspect = 0.5}\n");
  const AugmentConfig& a = run.data.augment;
  EXPECT_EQ(a.crop, 4);
  EXPECT_TRUE(a.hflip);
  EXPECT_FLOAT_EQ(a.erasing, 0.5f);
  EXPECT_FLOAT_EQ(a.erasing_min_area, 0.05f);
  EXPECT_FLOAT_EQ(a.erasing_max_area, 0.3f);
  EXPECT_FLOAT_EQ(a.erasing_min_aspect, 0.5f);
  EXPECT_TRUE(a.enabled());
  const auto error = [](const std::string& keys) {
    return test::error_of([&] { tiny_run("augment = {" + keys + "}\n"); });
  };
  EXPECT_NE(error("crop = 1.5").find("data.augment.crop"), std::string::npos);
  EXPECT_NE(error("crop = 4294967297").find("data.augment.crop"), std::string::npos);
  EXPECT_NE(error("hflip = 1").find("data.augment.hflip"), std::string::npos);
  EXPECT_NE(error("erasing = 2").find("data.augment.erasing must be in [0, 1]"), std::string::npos);
  EXPECT_NE(error("erasing_min_area = 0.5, erasing_max_area = 0.4")
                .find("data.augment.erasing_min_area must be above 0 and at most "
                      "data.augment.erasing_max_area"),
            std::string::npos);
  EXPECT_NE(error("erasing_min_aspect = 0").find("data.augment.erasing_min_aspect"),
            std::string::npos);
}

}  // namespace
}  // namespace nnlab
