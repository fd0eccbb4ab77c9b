// The S3 curve: its range, the seeded sample's sizes, gaps and noise, and the shipped CSV files.
#include "data/s3_curve.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>

#include "data/csv_dataset.hpp"
#include "io/atomic_file.hpp"
#include "support/test_support.hpp"

namespace nnlab {
namespace {

bool in_a_gap(double x) {
  return std::any_of(kS3CurveGaps.begin(), kS3CurveGaps.end(),
                     [x](const CurveGap& g) { return x > g.lo && x < g.hi; });
}

std::string shipped(const std::string& name) {
  return (std::filesystem::path(NNLAB_SOURCE_DIR) / "experiments" / "data" / name).string();
}

TEST(S3Curve, FunctionSpansAboutMinusFourToSeven) {
  double lo = INFINITY, hi = -INFINITY;
  for (int i = 0; i <= 100000; ++i) {
    const double y = s3_curve_function(-5.0 + 10.0 * i / 100000);
    lo = std::min(lo, y);
    hi = std::max(hi, y);
  }
  EXPECT_GE(lo, -4.5);
  EXPECT_LE(lo, -3.5);
  EXPECT_GE(hi, 6.5);
  EXPECT_LE(hi, 7.5);
}

TEST(S3Curve, HundredPointsEachWithTheTrainingGapsEmpty) {
  const CurveData d = make_s3_curve(3);
  ASSERT_EQ(d.x_train.size(), 100u);
  ASSERT_EQ(d.y_train.size(), 100u);
  ASSERT_EQ(d.x_test.size(), 100u);
  ASSERT_EQ(d.y_test.size(), 100u);
  int left = 0, middle = 0, right = 0, test_in_gaps = 0;
  for (const double x : d.x_train) {
    EXPECT_GT(x, -5.0);
    EXPECT_LT(x, 5.0);
    EXPECT_FALSE(in_a_gap(x)) << x;
    left += x < -3.0;
    middle += x > -1.0 && x < 2.0;
    right += x > 3.0;
  }
  // Uniform over the 7 units outside the gaps: about 29, 43 and 29 points.
  EXPECT_GT(left, 15);
  EXPECT_GT(middle, 25);
  EXPECT_GT(right, 15);
  for (const double x : d.x_test) {
    EXPECT_GT(x, -5.0);
    EXPECT_LT(x, 5.0);
    test_in_gaps += in_a_gap(x);
  }
  EXPECT_GT(test_in_gaps, 15);  // about 30 of 100: the test set probes the gaps
}

TEST(S3Curve, DeterministicBySeed) {
  const CurveData a = make_s3_curve(3), b = make_s3_curve(3), c = make_s3_curve(4);
  EXPECT_EQ(a.x_train, b.x_train);
  EXPECT_EQ(a.y_train, b.y_train);
  EXPECT_EQ(a.x_test, b.x_test);
  EXPECT_EQ(a.y_test, b.y_test);
  EXPECT_NE(a.x_train, c.x_train);
  EXPECT_NE(a.y_test, c.y_test);
  EXPECT_NE(a.x_train, a.x_test);
}

TEST(S3Curve, NoiseHasStdPointTwoAndMeanZero) {
  double sum = 0.0, sum_sq = 0.0;
  int n = 0;
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    const CurveData d = make_s3_curve(seed);
    for (const auto* xy : {&d.x_train, &d.x_test}) {
      const auto& ys = xy == &d.x_train ? d.y_train : d.y_test;
      for (size_t i = 0; i < xy->size(); ++i) {
        const double r = ys[i] - s3_curve_function((*xy)[i]);
        sum += r;
        sum_sq += r * r;
        ++n;
      }
    }
  }
  const double mean = sum / n, std = std::sqrt(sum_sq / n - mean * mean);
  // 2000 residuals: the standard errors are about 0.0045 (mean) and 0.0032 (std).
  EXPECT_NEAR(mean, 0.0, 0.015);
  EXPECT_NEAR(std, kS3CurveNoise, 0.012);
}

TEST(S3Curve, CsvRoundTripsThroughTheReader) {
  const CurveData d = make_s3_curve(5);
  const std::string text = curve_csv(d.x_train, d.y_train);
  EXPECT_EQ(text.rfind("x,y\n", 0), 0u);
  const std::string path = (test::temp_dir() / "curve.csv").string();
  write_file_atomic(path, text);
  const Dataset ds = read_csv_dataset(path, {"x"}, {"y"}, 1000);
  ASSERT_EQ(ds.size(), 100);
  for (size_t i = 0; i < 100; ++i) {
    EXPECT_EQ(static_cast<double>(ds.features[i]), d.x_train[i]);
    EXPECT_EQ(static_cast<double>(ds.targets[i]), d.y_train[i]);
  }
  EXPECT_NE(test::error_of([&] { curve_csv({1.0}, {}); }).find("1 inputs but 0 targets"),
            std::string::npos);
}

/// The noise-free curve on 201 points over [-5, 5]: what the report draws as the truth.
std::string function_csv() {
  std::vector<double> x, y;
  for (int i = 0; i <= 200; ++i) {
    x.push_back(kS3CurveLo + (kS3CurveHi - kS3CurveLo) * i / 200.0);
    y.push_back(s3_curve_function(x.back()));
  }
  return curve_csv(x, y);
}

TEST(S3Curve, ShippedFilesAreSeedThree) {
  const CurveData d = make_s3_curve(3);
  EXPECT_EQ(read_file(shipped("s3-curve-function.csv")), function_csv());
  EXPECT_EQ(read_file(shipped("s3-curve-train.csv")), curve_csv(d.x_train, d.y_train));
  EXPECT_EQ(read_file(shipped("s3-curve-test.csv")), curve_csv(d.x_test, d.y_test));
  const Dataset train = read_csv_dataset(shipped("s3-curve-train.csv"), {"x"}, {"y"}, 1000);
  const Dataset test = read_csv_dataset(shipped("s3-curve-test.csv"), {"x"}, {"y"}, 1000);
  EXPECT_EQ(train.size(), 100);
  EXPECT_EQ(test.size(), 100);
  EXPECT_EQ(train.sample_shape, (Shape{1}));
  EXPECT_EQ(test.target_dim, 1);
}

// Writes the shipped files; run by hand after changing the curve (experiments/data/README.md):
//   ./build/data_tests --gtest_also_run_disabled_tests --gtest_filter='S3Curve.DISABLED_*'
TEST(S3Curve, DISABLED_WriteShippedFiles) {
  const CurveData d = make_s3_curve(3);
  write_file_atomic(shipped("s3-curve-train.csv"), curve_csv(d.x_train, d.y_train));
  write_file_atomic(shipped("s3-curve-test.csv"), curve_csv(d.x_test, d.y_test));
  write_file_atomic(shipped("s3-curve-function.csv"), function_csv());
}

}  // namespace
}  // namespace nnlab
