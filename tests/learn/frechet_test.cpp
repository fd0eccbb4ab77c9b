// The Frechet distance against scipy (the sqrtm(S1 S2) formula of pytorch-fid) within 1e-4
// relative, and its known values (identical sets, shifted means); the class statistics on hand-
// made predictions.
#include "learn/frechet.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "support/test_support.hpp"
#include "tensor/rng.hpp"

namespace nnlab {
namespace {

// Reads a [N1, D] and b [N2, D]; writes their Frechet distance as pytorch-fid computes it.
constexpr const char* kFrechetScript = R"(
import sys
try:
    import numpy as np
    from scipy import linalg
except ImportError:
    sys.exit(77)
d, n1, n2, dim = sys.argv[1], *map(int, sys.argv[2:5])
a = np.loadtxt(f"{d}/a.txt").reshape(n1, dim)
b = np.loadtxt(f"{d}/b.txt").reshape(n2, dim)
mu1, mu2 = a.mean(axis=0), b.mean(axis=0)
s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
covmean = linalg.sqrtm(s1.dot(s2)).real
diff = mu1 - mu2
fid = diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)
open(f"{d}/out.txt", "w").write(repr(float(fid)))
)";

// n rows of d features: normals mixed by a random matrix, plus an offset.
Tensor features(int64_t n, int64_t d, float offset, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> mix(static_cast<size_t>(d * d));
  rng.fill_normal(mix, 0, 0.5f);
  Tensor x({n, d});
  std::vector<float> z(static_cast<size_t>(d));
  for (int64_t i = 0; i < n; ++i) {
    rng.fill_normal(z, 0, 1);
    for (int64_t j = 0; j < d; ++j) {
      float v = offset + 0.1f * static_cast<float>(j);
      for (int64_t t = 0; t < d; ++t)
        v += z[static_cast<size_t>(t)] * mix[static_cast<size_t>(t * d + j)];
      x.row(i)[j] = v;
    }
  }
  return x;
}

TEST(Frechet, MatchesScipy) {
  const int64_t n1 = 200, n2 = 150, d = 8;
  const Tensor a = features(n1, d, 0, 1), b = features(n2, d, 0.3f, 2);
  const double ours = frechet_distance(a, b);

  const auto dir = test::temp_dir();
  test::write_floats(dir / "a.txt", a.span());
  test::write_floats(dir / "b.txt", b.span());
  if (!test::run_oracle(kFrechetScript, fmt::format("{} {} {} {}", dir.string(), n1, n2, d)))
    return;
  double scipy = NAN;
  std::ifstream(dir / "out.txt") >> scipy;
  EXPECT_GT(scipy, 0.5);  // two different distributions
  EXPECT_NEAR(ours, scipy, 1e-4 * scipy);
}

TEST(Frechet, IdenticalSetsAreAtZeroAndShiftsAddTheirSquare) {
  const Tensor a = features(300, 6, 0, 3);
  const FeatureStats stats = feature_stats(a);
  double trace = 0;
  for (int64_t j = 0; j < 6; ++j) trace += stats.cov[static_cast<size_t>(j * 7)];
  EXPECT_NEAR(frechet_distance(stats, stats), 0.0, 1e-9 * trace);

  Tensor shifted = a;
  const float shift[6] = {1, -2, 0.5f, 0, 3, -1};  // |shift|^2 = 15.25
  for (int64_t i = 0; i < a.dim(0); ++i)
    for (int64_t j = 0; j < 6; ++j) shifted.row(i)[j] += shift[j];
  EXPECT_NEAR(frechet_distance(a, shifted), 15.25, 1e-5);
}

TEST(Frechet, SizesAreChecked) {
  EXPECT_NE(test::error_of([] {
              feature_stats(Tensor({1, 3}));
            }).find("at least 2 rows"),
            std::string::npos);
  EXPECT_NE(test::error_of([] {
              frechet_distance(Tensor({4, 3}), Tensor({4, 2}));
            }).find("3 vs 2 features"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { feature_stats(Tensor({4})); }).find("needs rows [N, D]"),
            std::string::npos);
  Tensor bad({3, 2});
  bad[1] = INFINITY;
  EXPECT_NE(test::error_of([&] { feature_stats(bad); }).find("NaN or infinite"), std::string::npos);
}

TEST(FrechetClassStats, ShareHistogramEntropyAndDivergence) {
  Tensor probs({4, 3});
  const float values[12] = {0.9f, 0.05f, 0.05f,  // class 0, confident
                            0.2f, 0.6f,  0.2f,   // class 1, at the threshold
                            0.4f, 0.4f,  0.2f,   // a tie: the first class
                            0.1f, 0.3f,  0.6f};  // class 2
  std::copy(values, values + 12, probs.data());
  EXPECT_DOUBLE_EQ(confident_share(probs, 0.6f), 0.75);
  EXPECT_DOUBLE_EQ(confident_share(probs, 0.95f), 0.0);
  const std::vector<int64_t> counts = class_histogram(probs);
  EXPECT_EQ(counts, (std::vector<int64_t>{2, 1, 1}));

  const std::vector<int64_t> flat = {5, 5, 5, 5}, one = {0, 7, 0, 0};
  EXPECT_NEAR(histogram_entropy(flat), std::log(4.0), 1e-12);
  EXPECT_EQ(histogram_entropy(one), 0.0);
  EXPECT_NEAR(histogram_entropy(counts), -(0.5 * std::log(0.5) + 0.5 * std::log(0.25)), 1e-12);

  const std::vector<double> uniform = {1, 1, 1, 1}, ref = {2, 1, 1};
  EXPECT_NEAR(histogram_kl(flat, uniform), 0.0, 1e-12);
  EXPECT_NEAR(histogram_kl(counts, ref), 0.0, 1e-12);             // weights of any total
  EXPECT_NEAR(histogram_kl(one, uniform), std::log(4.0), 1e-12);  // all mass on one class
  EXPECT_EQ(histogram_kl(one, std::vector<double>{1, 0, 1, 1}), INFINITY);

  EXPECT_NE(test::error_of([&] { histogram_kl(counts, uniform); }).find("3 classes vs 4"),
            std::string::npos);
  EXPECT_NE(test::error_of([] {
              histogram_entropy(std::vector<int64_t>{0, 0});
            }).find("empty"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { class_histogram(Tensor({3})); }).find("[N, K]"), std::string::npos);
}

}  // namespace
}  // namespace nnlab
