// S3's 1-D regression task: a smooth curve, 100 noisy training points with two gaps in their
// inputs and 100 noisy test points over the whole range, all drawn from one seed. The files
// experiments/data/s3-curve-{train,test}.csv are make_s3_curve(3) written by curve_csv.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace nnlab {

/// An open interval (lo, hi) of inputs.
struct CurveGap {
  double lo, hi;
};

inline constexpr double kS3CurveLo = -5.0, kS3CurveHi = 5.0;  // inputs lie in (lo, hi)
inline constexpr std::array<CurveGap, 2> kS3CurveGaps{{{-3.0, -1.0}, {2.0, 3.0}}};
inline constexpr int kS3CurvePoints = 100;    // in each of train and test
inline constexpr double kS3CurveNoise = 0.2;  // std of the targets' noise: MSE floor 0.04

/// Points of a 1-D regression task; x[i] and y[i] form sample i, both float-representable.
struct CurveData {
  std::vector<double> x_train, y_train, x_test, y_test;
};

/// The noise-free curve, smooth on (-5, 5) with values from about -3.9 to 7.2:
///   0.3 x^2 + 0.6 x + 2.2 sin(0.8 x) - 1.6
double s3_curve_function(double x);

/// 100 training inputs uniform in (-5, 5) outside the gaps (-3, -1) and (2, 3) (drawn by
/// rejection) and 100 test inputs uniform over all of (-5, 5), in draw order; every target is
/// s3_curve_function(x) plus N(0, 0.2) noise. The same seed gives the same points everywhere.
CurveData make_s3_curve(uint64_t seed);

/// "x,y\n" and then one "x,y\n" row per point, as %.9g (which floats round-trip through).
std::string curve_csv(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace nnlab
