// train.ema, the moving average of the weights (optim/optimizer.hpp), and train.tta, test-time
// augmentation (eval/evaluate.hpp), as a study sets them.
#include <gtest/gtest.h>

#include "study/preflight.hpp"
#include "study/study.hpp"
#include "support/test_support.hpp"

namespace nnlab {
namespace {

TEST(EmaKey, IsTrainEmaInZeroToOne) {
  const auto study = [](const std::string& ema) {
    return parse_study(
        "[model]\nlayers = [{type = \"dense\", units = 2, activation = \"softmax\"}]\n[train]\n"
        "ema = " +
            ema + "\n",
        "ema.toml", {});
  };
  EXPECT_FLOAT_EQ(study("0.999").runs[0].train.optimizer.average, 0.999f);
  for (const char* bad : {"1", "-0.1", "inf", "nan"})
    EXPECT_NE(test::error_of([&] { study(bad); }).find("train.ema"), std::string::npos) << bad;
}

TEST(TtaKey, IsReadAndCheckedAgainstTheRun) {
  // `top` goes before the tables, `tta` is train.tta's value.
  const auto study = [](const std::string& top, const std::string& tta) {
    return parse_study(top +
                           "\n[data]\ndataset = \"mnist\"\n[model]\nlayers = [{type = "
                           "\"flatten\"}, {type = \"dense\", units = 10, activation = "
                           "\"softmax\"}]\n[train]\ntta = " +
                           tta + "\n",
                       "tta.toml", {});
  };
  const Study s = study("", "{hflip = true, shift = 2}");
  EXPECT_TRUE(s.runs[0].train.tta.hflip);
  EXPECT_EQ(s.runs[0].train.tta.shift, 2);
  EXPECT_NO_THROW(check_runs_before_training(s, {}));
  const auto error = [&](const std::string& top, const std::string& tta) {
    return test::error_of([&] { check_runs_before_training(study(top, tta), {}); });
  };
  EXPECT_NE(error("", "{shift = 29}").find("train.tta.shift must be in [0, 28], got 29"),
            std::string::npos);
  EXPECT_NE(error("", "{shift = -1}").find("train.tta.shift"), std::string::npos);
  EXPECT_NE(error("", "{hflip = 1}").find("train.tta.hflip"), std::string::npos);
  EXPECT_NE(error("task = \"reconstruct\"", "{hflip = true}")
                .find("train.tta needs a network classifier"),
            std::string::npos);
  // Random views: their count and their transform, read as data.augment is.
  const Study r = study("", "{random_views = 4, augment = {rotation = 10, scale = 0.1}}");
  EXPECT_EQ(r.runs[0].train.tta.random_views, 4);
  EXPECT_FLOAT_EQ(r.runs[0].train.tta.augment.rotation, 10);
  EXPECT_FLOAT_EQ(r.runs[0].train.tta.augment.scale, 0.1f);
  EXPECT_NO_THROW(check_runs_before_training(r, {}));
  EXPECT_NE(error("", "{random_views = 257, augment = {rotation = 10}}")
                .find("train.tta.random_views must be in [0, 256], got 257"),
            std::string::npos);
  EXPECT_NE(error("", "{random_views = 2, augment = {rotation = 200}}")
                .find("train.tta.augment.rotation"),
            std::string::npos);
  EXPECT_NE(error("", "{augment = {rotation = 10}}")
                .find("train.tta.augment draws nothing without train.tta.random_views > 0"),
            std::string::npos);
  EXPECT_NE(error("", "{random_views = 2}").find("train.tta.random_views needs a transform"),
            std::string::npos);
  EXPECT_NE(error("", "{random_views = 2, augment = {shift = 29}}").find("train.tta.augment.shift"),
            std::string::npos);
  // HOG features are no image to move.
  EXPECT_NE(error("transforms = [{type = \"hog\"}]", "{hflip = true}")
                .find("train.tta needs images [C, H, W]"),
            std::string::npos);
}

}  // namespace
}  // namespace nnlab
