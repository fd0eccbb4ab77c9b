// train.ema, the moving average of the weights (optim/optimizer.hpp), as a study sets it.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace nnlab
