// Pca against scikit-learn's PCA(svd_solver="full") (components, explained variance and its
// ratio, transform of unseen rows, within 1e-4; both sign conventions), known facts (points on
// a line, lossless round trip with every component) and the size checks.
#include "learn/pca.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "learn/blobs.hpp"
#include "support/test_support.hpp"
#include "tensor/rng.hpp"

namespace nnlab {
namespace {

// Reads x [N, D] and q [M, D]; writes, one per line: the components with svd_flip's u-based
// sign (PCA's in sklearn < 1.5, Debian 12's 1.2.1 among them), the same with its v-based sign
// (sklearn >= 1.5), explained_variance_, explained_variance_ratio_ and transform(q) with the
// u-based components. Both signs come from sklearn's own svd_flip, and the installed PCA must
// agree with one of them.
constexpr const char* kPcaScript = R"(
import sys
try:
    import numpy as np
    from sklearn.decomposition import PCA
    from sklearn.utils.extmath import svd_flip
except ImportError:
    sys.exit(77)
d, n, dim, m, k = sys.argv[1], *map(int, sys.argv[2:6])
x = np.loadtxt(f"{d}/x.txt").reshape(n, dim)
q = np.loadtxt(f"{d}/q.txt").reshape(m, dim)
pca = PCA(n_components=k, svd_solver="full").fit(x)
u, s, vt = np.linalg.svd(x - pca.mean_, full_matrices=False)
u_based = svd_flip(u.copy(), vt.copy(), u_based_decision=True)[1][:k]
v_based = svd_flip(u.copy(), vt.copy(), u_based_decision=False)[1][:k]
assert np.allclose(pca.components_, u_based) or np.allclose(pca.components_, v_based)
pca.components_ = u_based
with open(f"{d}/out.txt", "w") as out:
    for t in (u_based, v_based, pca.explained_variance_, pca.explained_variance_ratio_,
              pca.transform(q)):
        out.write(" ".join(repr(float(v)) for v in np.ravel(t)) + "\n")
)";

// n rows of correlated data: independent normals with decreasing scales (well separated
// variances, so each component is defined up to sign), mixed by a random matrix.
std::vector<float> correlated_rows(int64_t n, int64_t d, Rng& rng) {
  std::vector<float> mix(static_cast<size_t>(d * d));
  rng.fill_normal(mix, 0, 1);
  std::vector<float> rows(static_cast<size_t>(n * d), 0.f);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t i = 0; i < d; ++i) {
      const float z = rng.normal(0, 5.f * std::pow(0.75f, static_cast<float>(i)));
      for (int64_t j = 0; j < d; ++j)
        rows[static_cast<size_t>(r * d + j)] += z * mix[static_cast<size_t>(i * d + j)];
    }
  for (int64_t j = 0; j < d; ++j) rows[static_cast<size_t>(j)] += 3.f;  // an off-centre mean
  return rows;
}

using test::read_doubles;

TEST(Pca, MatchesScikitLearn) {
  const int64_t n = 200, d = 12, m = 30, k = 5;
  Rng rng(11);
  std::vector<float> x = correlated_rows(n, d, rng), q = correlated_rows(m, d, rng);
  const Pca scores = Pca::fit(x, n, d, k);
  const Pca comps = Pca::fit(x, n, d, k, Pca::Sign::components);

  const auto dir = test::temp_dir();
  test::write_floats(dir / "x.txt", x);
  test::write_floats(dir / "q.txt", q);
  if (!test::run_oracle(kPcaScript, fmt::format("{} {} {} {} {}", dir.string(), n, d, m, k)))
    return;
  std::ifstream in(dir / "out.txt");
  const auto u_based = read_doubles(in, k * d), v_based = read_doubles(in, k * d);
  const auto variance = read_doubles(in, k), ratio = read_doubles(in, k);
  const auto projected = read_doubles(in, m * k);

  for (int64_t i = 0; i < k * d; ++i) {
    EXPECT_NEAR(scores.components()[i], u_based[i], 1e-4) << "u-based component entry " << i;
    EXPECT_NEAR(comps.components()[i], v_based[i], 1e-4) << "v-based component entry " << i;
  }
  for (int64_t i = 0; i < k; ++i) {
    test::expect_near_torch(scores.explained_variance()[i], variance[i], "explained variance");
    EXPECT_NEAR(scores.explained_variance_ratio()[i], ratio[i], 1e-6) << "ratio " << i;
  }
  const Tensor qt = Tensor::view(q.data(), {m, d});
  const Tensor y = scores.transform(qt);
  ASSERT_EQ(y.shape(), (Shape{m, k}));
  for (int64_t i = 0; i < m * k; ++i) test::expect_near_torch(y[i], projected[i], "transform");
}

TEST(Pca, PointsOnALineHaveOneComponent) {
  const int64_t n = 50, d = 5;
  const float base[d] = {1, -2, 0.5f, 3, 0}, dir[d] = {0.5f, 0.5f, -0.5f, 0.5f, 0};
  std::vector<float> x(static_cast<size_t>(n * d));
  Rng rng(3);
  for (int64_t r = 0; r < n; ++r) {
    const float t = rng.uniform(-4, 4);
    for (int64_t j = 0; j < d; ++j) x[static_cast<size_t>(r * d + j)] = base[j] + t * dir[j];
  }
  const Pca pca = Pca::fit(Tensor::view(x.data(), {n, d}), 2);
  EXPECT_GT(pca.explained_variance_ratio()[0], 0.99999);
  EXPECT_LT(pca.explained_variance_ratio()[1], 1e-5);
  double dot = 0;
  for (int64_t j = 0; j < d; ++j) dot += pca.component(0)[static_cast<size_t>(j)] * dir[j];
  EXPECT_NEAR(std::abs(dot), 1.0, 1e-5);  // dir is a unit vector

  // One component reconstructs every point of the line.
  const Pca one = Pca::fit(Tensor::view(x.data(), {n, d}), 1);
  const Tensor back = one.inverse_transform(one.transform(Tensor::view(x.data(), {n, d})));
  for (int64_t i = 0; i < n * d; ++i) EXPECT_NEAR(back[i], x[static_cast<size_t>(i)], 1e-4);
}

TEST(Pca, EveryComponentRoundTripsAndImagesFlatten) {
  const int64_t n = 40, d = 12;
  Rng rng(5);
  std::vector<float> x = correlated_rows(n, d, rng);
  const Tensor images = Tensor::view(x.data(), {n, 1, 3, 4});  // [N, C, H, W] flattened to rows
  const Pca pca = Pca::fit(images, d);
  double sum = 0;
  for (double r : pca.explained_variance_ratio()) sum += r;
  EXPECT_NEAR(sum, 1.0, 1e-9);
  const Tensor back = pca.inverse_transform(pca.transform(images));
  ASSERT_EQ(back.shape(), (Shape{n, d}));
  for (int64_t i = 0; i < n * d; ++i) EXPECT_NEAR(back[i], x[static_cast<size_t>(i)], 1e-4);
}

TEST(Pca, SizesAreChecked) {
  std::vector<float> x(20, 1.f);
  EXPECT_NE(test::error_of([&] { Pca::fit(x, 1, 20, 1); }).find("at least 2 rows"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] { Pca::fit(x, 4, 5, 0); }).find("n_components"), std::string::npos);
  EXPECT_NE(test::error_of([&] { Pca::fit(x, 4, 5, 5); }).find("[1, 4]"), std::string::npos);
  EXPECT_NE(test::error_of([&] { Pca::fit(x, 2, 5000, 1); }).find("1 to 4096 features"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] { Pca::fit(x, 3, 5, 1); }).find("not 3 rows of 5"),
            std::string::npos);
  x[7] = NAN;
  EXPECT_NE(test::error_of([&] { Pca::fit(x, 4, 5, 1); }).find("NaN"), std::string::npos);
  x[7] = 1;
  const Pca pca = Pca::fit(x, 4, 5, 2);  // identical rows: no variance to explain
  for (double r : pca.explained_variance_ratio()) EXPECT_EQ(r, 0.0);
  Tensor wrong({3, 4});
  EXPECT_NE(test::error_of([&] { (void)pca.transform(wrong); }).find("[M, 5]"), std::string::npos);
  EXPECT_NE(test::error_of([&] { (void)pca.inverse_transform(wrong); }).find("[M, 2]"),
            std::string::npos);
}

}  // namespace
}  // namespace nnlab
