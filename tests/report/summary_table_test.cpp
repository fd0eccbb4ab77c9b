#include "report/summary_table.hpp"

#include <gtest/gtest.h>

#include "report/number_format.hpp"

namespace nnlab {
namespace {

using nlohmann::json;

TEST(SummaryTable, OneAlignedRowPerRunWithReferenceAndDifference) {
  const json metrics = {
      {"summary",
       {{{"name", "sigmoid"},
         {"repeats", 5},
         {"diverged", 0},
         {"reference", {{"test_accuracy", 0.9212}, {"test_accuracy_std", 0.0014}}},
         {"test_accuracy_mean", 0.92153},
         {"test_accuracy_std", 0.00121},
         {"epochs_mean", 15.0},
         {"train_seconds_mean", 41.234}},
        {{"name", "relu-with-a-long-name"},
         {"repeats", 3},
         {"diverged", 1},
         {"reference", json::object()},
         {"test_accuracy_mean", 0.98},
         {"test_accuracy_std", 0.0},
         {"epochs_mean", 12.3333},
         {"train_seconds_mean", 9.96}},
        {{"name", "once"},
         {"repeats", 1},
         {"diverged", 0},
         {"reference", {{"test_accuracy", 0.99}}},
         {"test_accuracy_mean", 0.985},
         {"test_accuracy_std", 0.0},
         {"epochs_mean", 2.0},
         {"train_seconds_mean", 1.0}}}}};
  EXPECT_EQ(summary_table(metrics),
            "run                           repeats  test accuracy    reference        "
            "difference  epochs  seconds\n"
            "sigmoid                             5  0.9215 ± 0.0012  0.9212 ± 0.0014     "
            "+0.0003      15     41.2\n"
            "relu-with-a-long-name  3 (1 diverged)  0.9800 ± 0.0000  -                         "
            "-    12.3     10.0\n"
            "once                                1  0.9850           0.9900              "
            "-0.0050       2      1.0\n");
}

TEST(SummaryTable, NoRunTrainedGivesNoTable) {
  EXPECT_EQ(summary_table(json::object()), "");
  EXPECT_EQ(summary_table(json::parse(R"({"summary": [], "runs": []})")), "");
}

TEST(SummaryTable, ARegressionStudyShowsTheTestLoss) {
  const json m = json::parse(R"({"summary": [
      {"name": "grid", "repeats": 1, "test_loss_mean": 0.0461, "test_loss_std": 0, "epochs_mean": 500,
       "train_seconds_mean": 0.4, "reference": {}}]})");
  EXPECT_EQ(summary_table(m),
            "run   repeats  test loss  reference  difference  epochs  seconds\n"
            "grid        1  0.0461     -                   -     500      0.4\n");
}

// Regressions and autoencoders are compared on their test MSE, against a reference MSE.
TEST(SummaryTable, AReconstructionStudyShowsTheTestMseBesideItsReference) {
  const json m = json::parse(R"({"summary": [
      {"name": "ed32", "repeats": 1, "test_loss_mean": 0.0079, "test_loss_std": 0,
       "test_mse_mean": 0.0079, "test_mse_std": 0, "epochs_mean": 20, "train_seconds_mean": 31.5,
       "reference": {"test_mse": 0.0085}}]})");
  EXPECT_EQ(summary_table(m),
            "run   repeats  test mse  reference  difference  epochs  seconds\n"
            "ed32        1  0.0079    0.0085        -0.0006      20     31.5\n");
}

// A study of classifiers and an autoencoder (S5) compares on accuracy; the autoencoder, which has
// none, shows its own test MSE, named, where it showed a blank.
TEST(SummaryTable, ARunWithoutTheStudysScoreShowsItsOwn) {
  const json m = json::parse(R"({"summary": [
      {"name": "regularized", "repeats": 1, "test_accuracy_mean": 0.8998, "test_accuracy_std": 0,
       "test_loss_mean": 0.3, "epochs_mean": 30, "train_seconds_mean": 60, "reference": {}},
      {"name": "autoencoder", "repeats": 1, "test_loss_mean": 0.1695, "test_mse_mean": 0.0118,
       "test_mse_std": 0, "epochs_mean": 30, "train_seconds_mean": 120,
       "reference": {"test_mse": 0.0125}}]})");
  EXPECT_EQ(summary_score(m), "accuracy");
  EXPECT_EQ(row_score(m["summary"][1], "accuracy"), "mse");
  EXPECT_EQ(row_score(m["summary"][0], "accuracy"), "accuracy");
  EXPECT_EQ(summary_table(m),
            "run          repeats  test accuracy  reference  difference  epochs  seconds\n"
            "regularized        1  0.8998         -                   -      30     60.0\n"
            "autoencoder        1  0.0118 (mse)   0.0125        -0.0007      30    120.0\n");
}

// A figure too large for fixed decimals (a diverged loss, a hostile metrics.json) is written in
// scientific notation with as many decimals, not as its 300 integer digits.
TEST(SummaryTable, AHugeFigureIsWrittenInScientificNotation) {
  const json m = json::parse(R"({"summary": [
      {"name": "diverged", "repeats": 1, "test_loss_mean": 1e300, "test_loss_std": 0,
       "test_mse_mean": 2.5e12, "test_mse_std": 0, "epochs_mean": 3, "train_seconds_mean": 1.5,
       "reference": {"test_mse": 0.0085}}]})");
  EXPECT_EQ(summary_table(m),
            "run       repeats  test mse    reference   difference  epochs  seconds\n"
            "diverged        1  2.5000e+12  0.0085     +2.5000e+12       3      1.5\n");
  EXPECT_EQ(report::decimal_text(1e300, 4), "1.0000e+300");
  EXPECT_EQ(report::decimal_text(-123456789.0, 2), "-123456789.00");
  EXPECT_EQ(report::decimal_text(-1234567890.0, 2), "-1.23e+09");
  EXPECT_EQ(report::decimal_text(0.99164, 4), "0.9916");
}

}  // namespace
}  // namespace nnlab
