// The S3 curve and its seeded sample.
#include "data/s3_curve.hpp"

#include <cmath>
#include <cstdio>

#include "tensor/error.hpp"
#include "tensor/rng.hpp"

namespace nnlab {
namespace {

bool in_gap(double x) {
  for (const CurveGap& g : kS3CurveGaps)
    if (x > g.lo && x < g.hi) return true;
  return false;
}

// Values are rounded to float when drawn, so that the CSV (%.9g) and the float Dataset read
// from it hold exactly these numbers.
double to_float(double v) { return static_cast<double>(static_cast<float>(v)); }

/// kS3CurvePoints inputs uniform in (-5, 5), outside the gaps when `gaps`, and noisy targets.
void draw(Rng& xs, Rng& noise, bool gaps, std::vector<double>& x, std::vector<double>& y) {
  while (static_cast<int>(x.size()) < kS3CurvePoints) {
    const double v = to_float(kS3CurveLo + (kS3CurveHi - kS3CurveLo) * xs.uniform());
    if (v <= kS3CurveLo || v >= kS3CurveHi || (gaps && in_gap(v))) continue;
    x.push_back(v);
    y.push_back(
        to_float(s3_curve_function(v) + noise.normal(0.0f, static_cast<float>(kS3CurveNoise))));
  }
}

}  // namespace

double s3_curve_function(double x) { return 0.3 * x * x + 0.6 * x + 2.2 * std::sin(0.8 * x) - 1.6; }

CurveData make_s3_curve(uint64_t seed) {
  // One stream per use, so that a change to one set leaves the other's numbers as they were.
  const Rng root(seed);
  Rng train_x = root.fork(1), train_noise = root.fork(2);
  Rng test_x = root.fork(3), test_noise = root.fork(4);
  CurveData d;
  draw(train_x, train_noise, true, d.x_train, d.y_train);
  draw(test_x, test_noise, false, d.x_test, d.y_test);
  return d;
}

std::string curve_csv(const std::vector<double>& x, const std::vector<double>& y) {
  NNLAB_CHECK(x.size() == y.size(), "curve_csv: {} inputs but {} targets", x.size(), y.size());
  std::string out = "x,y\n";
  char line[64];
  for (size_t i = 0; i < x.size(); ++i) {
    std::snprintf(line, sizeof line, "%.9g,%.9g\n", x[i], y[i]);
    out += line;
  }
  return out;
}

}  // namespace nnlab
