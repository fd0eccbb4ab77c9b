// Standardize against scikit-learn's StandardScaler and PcaTransform (whitened or not) against
// its PCA(whiten=...), fitted on one set of rows and applied to others; known facts (a constant
// feature is only centred, whitened training scores have unit variance) and the shape checks.
#include "learn/scaling.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "learn/blobs.hpp"
#include "support/test_support.hpp"
#include "tensor/rng.hpp"

namespace nnlab {
namespace {

// Reads x [N, D] and q [M, D]; writes StandardScaler().fit(x).transform(q), then
// PCA(k, whiten=False) and PCA(k, whiten=True) fitted on x, transform(q), one per line. The
// PCA scores are made sign-independent by the caller (a component's sign is arbitrary).
constexpr const char* kScalingScript = R"(
import sys
try:
    import numpy as np
    from sklearn.preprocessing import StandardScaler
    from sklearn.decomposition import PCA
except ImportError:
    sys.exit(77)
d, n, dim, m, k = sys.argv[1], *map(int, sys.argv[2:6])
x = np.loadtxt(f"{d}/x.txt").reshape(n, dim)
q = np.loadtxt(f"{d}/q.txt").reshape(m, dim)
with open(f"{d}/out.txt", "w") as out:
    for t in (StandardScaler().fit(x).transform(q),
              PCA(n_components=k, svd_solver="full").fit(x).transform(q),
              PCA(n_components=k, svd_solver="full", whiten=True).fit(x).transform(q)):
        out.write(" ".join(repr(float(v)) for v in np.ravel(t)) + "\n")
)";

std::vector<float> rows(int64_t n, int64_t d, Rng& rng) {
  std::vector<float> x(static_cast<size_t>(n * d));
  for (int64_t r = 0; r < n; ++r)
    for (int64_t j = 0; j < d; ++j)  // features of different scales and means, some correlated
      x[static_cast<size_t>(r * d + j)] =
          rng.normal(static_cast<float>(j), 1.0f + static_cast<float>(j)) +
          (j > 0 ? 0.5f * x[static_cast<size_t>(r * d + j - 1)] : 0.0f);
  return x;
}

using test::read_doubles;

TEST(Scaling, MatchesScikitLearn) {
  const int64_t n = 300, d = 8, m = 40, k = 4;
  Rng rng(21);
  std::vector<float> x = rows(n, d, rng), q = rows(m, d, rng);
  const auto dir = test::temp_dir();
  test::write_floats(dir / "x.txt", x);
  test::write_floats(dir / "q.txt", q);
  if (!test::run_oracle(kScalingScript, fmt::format("{} {} {} {} {}", dir.string(), n, d, m, k)))
    return;
  std::ifstream in(dir / "out.txt");
  const auto scaled = read_doubles(in, m * d), plain = read_doubles(in, m * k),
             white = read_doubles(in, m * k);

  ExecContext exec(1, nullptr);
  const Tensor xt = Tensor::view(x.data(), {n, d}), qt = Tensor::view(q.data(), {m, d});
  Standardize standardize;
  standardize.fit(exec, xt);
  const Tensor s = standardize.apply(exec, qt);
  ASSERT_EQ(s.shape(), (Shape{m, d}));
  for (int64_t i = 0; i < m * d; ++i) EXPECT_NEAR(s[i], scaled[i], 1e-4) << "standardized " << i;

  for (const bool whiten : {false, true}) {
    PcaTransform pca(k, whiten);
    pca.fit(exec, xt);
    const Tensor y = pca.apply(exec, qt);
    ASSERT_EQ(y.shape(), (Shape{m, k}));
    const auto& want = whiten ? white : plain;
    for (int64_t j = 0; j < k; ++j) {
      // One sign per component: the one that makes the first scores agree.
      const double sign = (y[j] >= 0) == (want[j] >= 0) ? 1.0 : -1.0;
      for (int64_t r = 0; r < m; ++r)
        EXPECT_NEAR(sign * y[r * k + j], want[r * k + j], 1e-3 * (1 + std::abs(want[r * k + j])))
            << (whiten ? "whitened " : "") << "score " << r << "," << j;
    }
  }
}

TEST(Scaling, ConstantFeatureIsCentredAndWhitenedScoresHaveUnitVariance) {
  const int64_t n = 100, d = 3;
  Rng rng(4);
  std::vector<float> x = rows(n, d, rng);
  for (int64_t r = 0; r < n; ++r) x[static_cast<size_t>(r * d + 1)] = 5.0f;  // constant
  ExecContext exec(1, nullptr);
  const Tensor xt = Tensor::view(x.data(), {n, d});
  Standardize standardize;
  standardize.fit(exec, xt);
  const Tensor s = standardize.apply(exec, xt);
  for (int64_t r = 0; r < n; ++r) EXPECT_EQ(s[r * d + 1], 0.0f);

  PcaTransform pca(2, true);
  pca.fit(exec, xt);
  const Tensor y = pca.apply(exec, xt);
  for (int64_t j = 0; j < 2; ++j) {
    double sum = 0, sq = 0;
    for (int64_t r = 0; r < n; ++r) sum += y[r * 2 + j], sq += y[r * 2 + j] * y[r * 2 + j];
    EXPECT_NEAR(sum / n, 0.0, 1e-4);
    EXPECT_NEAR((sq - sum * sum / n) / (n - 1), 1.0, 1e-3);  // PCA's variance divides by N - 1
  }
}

TEST(Scaling, WidthsAreChecked) {
  std::vector<float> x(12, 1.0f);
  ExecContext exec(1, nullptr);
  Standardize standardize;
  standardize.fit(exec, Tensor::view(x.data(), {4, 3}));
  EXPECT_NE(test::error_of([&] {
              standardize.apply(exec, Tensor::view(x.data(), {3, 4}));
            }).find("fitted on rows of 3 features, given rows of 4"),
            std::string::npos);
  PcaTransform pca(1, false);
  EXPECT_NE(test::error_of([&] {
              pca.apply(exec, Tensor::view(x.data(), {4, 3}));
            }).find("apply before fit"),
            std::string::npos);
}

}  // namespace
}  // namespace nnlab
