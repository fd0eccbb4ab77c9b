// Latent samplers: every kind's contract (shape, determinism), sample moments close to the
// fitted ones, a mixture recovering separated clusters, and the mixture against scikit-learn's
// GaussianMixture (same optimum: means, weights and log-likelihood).
#include "learn/latent_sampler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <numeric>

#include "support/test_support.hpp"

namespace nnlab {
namespace {

// [n, d] row-major mean and covariance (divisor n) of a tensor's rows, in double.
struct Moments {
  std::vector<double> mean, cov;
};
Moments moments(const Tensor& x) {
  const int64_t n = x.dim(0), d = x.dim(1);
  Moments m{std::vector<double>(static_cast<size_t>(d), 0.0),
            std::vector<double>(static_cast<size_t>(d * d), 0.0)};
  for (int64_t i = 0; i < n; ++i)
    for (int64_t a = 0; a < d; ++a) m.mean[static_cast<size_t>(a)] += x.row(i)[a] / double(n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t a = 0; a < d; ++a)
      for (int64_t b = 0; b < d; ++b)
        m.cov[static_cast<size_t>(a * d + b)] += (x.row(i)[a] - m.mean[static_cast<size_t>(a)]) *
                                                 (x.row(i)[b] - m.mean[static_cast<size_t>(b)]) /
                                                 double(n);
  return m;
}

// n codes in 3-D with means (1, -2, 5), a correlated covariance and a scale per axis.
Tensor correlated_codes(int64_t n, uint64_t seed) {
  Tensor x({n, 3});
  Rng rng(seed);
  for (int64_t i = 0; i < n; ++i) {
    const float a = rng.normal(), b = rng.normal(), c = rng.normal();
    x.row(i)[0] = 1 + 2 * a;
    x.row(i)[1] = -2 + a - 0.5f * b;
    x.row(i)[2] = 5 + 0.3f * c - a;
  }
  return x;
}

// Clusters centred at `centres` ([k][2]), sizes in proportion to `weights`, each with its own
// correlated covariance.
Tensor clusters(const std::vector<std::array<float, 2>>& centres, const std::vector<int>& sizes,
                uint64_t seed) {
  Tensor x({std::accumulate(sizes.begin(), sizes.end(), int64_t{0}), 2});
  Rng rng(seed);
  int64_t r = 0;
  for (size_t k = 0; k < centres.size(); ++k)
    for (int i = 0; i < sizes[k]; ++i, ++r) {
      const float a = rng.normal(), b = rng.normal(), s = 0.5f + 0.25f * static_cast<float>(k);
      x.row(r)[0] = centres[k][0] + s * a;
      x.row(r)[1] = centres[k][1] + s * (0.6f * a + 0.8f * b);
    }
  return x;
}

TEST(LatentSampler, EveryKindKeepsTheContract) {
  const Tensor codes = correlated_codes(500, 1);
  for (const std::string& kind : latent_sampler_kinds()) {
    auto sampler = make_latent_sampler(kind, {.components = 3});
    EXPECT_EQ(sampler->kind(), kind);
    Rng unused(0);
    EXPECT_NE(test::error_of([&] { (void)sampler->sample(1, unused); }).find("before fit()"),
              std::string::npos);
    sampler->fit(codes);
    EXPECT_EQ(sampler->dim(), 3);
    Rng a(7), b(7);
    const Tensor x = sampler->sample(100, a), y = sampler->sample(100, b);
    ASSERT_EQ(x.shape(), (Shape{100, 3})) << kind;
    EXPECT_TRUE(std::equal(x.span().begin(), x.span().end(), y.span().begin())) << kind;
    EXPECT_EQ(sampler->sample(0, a).shape(), (Shape{0, 3}));
    const auto finite = [](float v) { return std::isfinite(v); };
    EXPECT_TRUE(std::all_of(x.span().begin(), x.span().end(), finite)) << kind;
  }
}

TEST(LatentSampler, UniformIgnoresTheCodes) {
  auto sampler = make_latent_sampler("uniform");
  sampler->fit(correlated_codes(1, 2));
  Rng rng(3);
  const Tensor x = sampler->sample(20000, rng);
  const Moments m = moments(x);
  for (int a = 0; a < 3; ++a) {
    EXPECT_NEAR(m.mean[a], 0.5, 0.01);
    EXPECT_NEAR(m.cov[a * 4], 1.0 / 12, 0.003);
  }
  for (float v : x.span()) ASSERT_TRUE(v >= 0.f && v < 1.f);
}

TEST(LatentSampler, SampleMomentsMatchTheFittedOnes) {
  const Tensor codes = correlated_codes(4000, 4);
  const Moments want = moments(codes);
  for (const std::string kind : {"gaussian", "full_gaussian", "mixture"}) {
    auto sampler = make_latent_sampler(kind, {.components = 4, .seed = 5});
    sampler->fit(codes);
    Rng rng(6);
    const Moments got = moments(sampler->sample(100000, rng));
    for (int a = 0; a < 3; ++a) {
      const double sd = std::sqrt(want.cov[a * 4]);
      EXPECT_NEAR(got.mean[a], want.mean[a], 0.02 * sd) << kind << " mean " << a;
      for (int b = 0; b < 3; ++b) {
        // The per-dimension Gaussian keeps the variances and drops the correlations.
        const double expected = kind == std::string("gaussian") && a != b ? 0 : want.cov[a * 3 + b];
        EXPECT_NEAR(got.cov[a * 3 + b], expected, 0.03 * sd * std::sqrt(want.cov[b * 4]))
            << kind << " cov " << a << "," << b;
      }
    }
  }
}

TEST(MixtureSampler, RecoversSeparatedClusters) {
  const std::vector<std::array<float, 2>> centres = {{0, 0}, {10, 0}, {0, 10}};
  const Tensor x = clusters(centres, {1500, 900, 600}, 8);
  const GaussianMixture g = GaussianMixture::fit(x, {.components = 3, .seed = 9});
  EXPECT_TRUE(g.converged());
  const double weights[3] = {0.5, 0.3, 0.2};
  for (size_t k = 0; k < 3; ++k) {
    // The component whose mean is nearest this centre.
    size_t best = 0;
    double nearest = 1e300;
    for (size_t j = 0; j < 3; ++j) {
      const double dx = g.means()[2 * j] - centres[k][0], dy = g.means()[2 * j + 1] - centres[k][1];
      if (dx * dx + dy * dy < nearest) nearest = dx * dx + dy * dy, best = j;
    }
    EXPECT_LT(std::sqrt(nearest), 0.1) << "centre " << k;
    EXPECT_NEAR(g.weights()[best], weights[k], 1e-3) << "centre " << k;  // no point strays
    const double s = 0.5 + 0.25 * static_cast<double>(k);
    EXPECT_NEAR(g.covariances()[4 * best], s * s, 0.15 * s * s) << "centre " << k;
  }

  // Samples fall around each centre in proportion to its weight.
  Rng rng(10);
  const Tensor y = g.sample(30000, rng);
  for (size_t k = 0; k < 3; ++k) {
    int64_t near = 0;
    for (int64_t i = 0; i < y.dim(0); ++i)
      near += std::hypot(y.row(i)[0] - centres[k][0], y.row(i)[1] - centres[k][1]) < 4.5;
    EXPECT_NEAR(static_cast<double>(near) / 30000, weights[k], 0.01) << "centre " << k;
  }
}

TEST(MixtureSampler, SameFitOnAnyThreadCount) {
  // Wide and long enough that Eigen splits the covariance products over OpenMP threads.
  const int64_t n = 3000, d = 16;
  Tensor x({n, d});
  Rng rng(11);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j)
      x.row(i)[j] = rng.normal(static_cast<float>(4 * ((i + j) % 3)), 1.f + 0.1f * float(j));
  const auto fit = [&](int threads) {
    return test::on_worker(threads, [&](ExecContext&) {
      return GaussianMixture::fit(x, {.components = 3, .seed = 12});
    });
  };
  const GaussianMixture one = fit(1), two = fit(2);
  EXPECT_EQ(one.iterations(), two.iterations());
  EXPECT_EQ(one.means(), two.means());
  EXPECT_EQ(one.covariances(), two.covariances());
  EXPECT_EQ(one.weights(), two.weights());
}

// Reads x [N, D]; fits sklearn's GaussianMixture(full) with a tolerance tight enough to reach
// the optimum; writes the means sorted by their first coordinate, the weights in that order, and
// score(x).
constexpr const char* kLatentSamplerScript = R"(
import sys
try:
    import numpy as np
    from sklearn.mixture import GaussianMixture
except ImportError:
    sys.exit(77)
d, n, dim, k = sys.argv[1], *map(int, sys.argv[2:5])
x = np.loadtxt(f"{d}/x.txt").reshape(n, dim)
g = GaussianMixture(n_components=k, covariance_type="full", tol=1e-10, max_iter=1000,
                    reg_covar=1e-6, random_state=0).fit(x)
assert g.converged_
order = np.argsort(g.means_[:, 0])
with open(f"{d}/out.txt", "w") as out:
    for t in (g.means_[order], g.weights_[order], [g.score(x)]):
        out.write(" ".join(repr(float(v)) for v in np.ravel(t)) + "\n")
)";

TEST(MixtureSampler, MatchesScikitLearn) {
  // Overlapping enough that EM has work to do, separated enough for one optimum.
  const Tensor x = clusters({{0, 0}, {4, 1}, {1, 4}}, {120, 90, 60}, 13);
  const int64_t n = x.dim(0), k = 3;
  const GaussianMixture g =
      GaussianMixture::fit(x, {.components = k, .seed = 14, .max_iter = 1000, .tol = 1e-10});
  ASSERT_TRUE(g.converged());

  const auto dir = test::temp_dir();
  test::write_floats(dir / "x.txt", x.span());
  if (!test::run_oracle(kLatentSamplerScript, fmt::format("{} {} 2 {}", dir.string(), n, k)))
    return;
  std::ifstream in(dir / "out.txt");
  std::vector<double> means(static_cast<size_t>(2 * k)), weights(static_cast<size_t>(k));
  double score = 0;
  for (double& v : means) in >> v;
  for (double& v : weights) in >> v;
  in >> score;
  ASSERT_TRUE(in.good()) << "short oracle output";

  std::vector<size_t> order(static_cast<size_t>(k));
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return g.means()[2 * a] < g.means()[2 * b]; });
  for (size_t i = 0; i < order.size(); ++i) {
    EXPECT_NEAR(g.means()[2 * order[i]], means[2 * i], 1e-4) << "mean " << i;
    EXPECT_NEAR(g.means()[2 * order[i] + 1], means[2 * i + 1], 1e-4) << "mean " << i;
    EXPECT_NEAR(g.weights()[order[i]], weights[i], 1e-4) << "weight " << i;
  }
  EXPECT_NEAR(g.score(x), score, 1e-6);
}

TEST(LatentSampler, ErrorsNameTheProblem) {
  const std::string unknown = test::error_of([] { make_latent_sampler("vae"); });
  EXPECT_NE(unknown.find("unknown latent sampler 'vae'; valid: uniform, gaussian, full_gaussian, "
                         "mixture"),
            std::string::npos)
      << unknown;
  auto mixture = make_latent_sampler("mixture");  // 10 components by default
  EXPECT_NE(test::error_of([&] {
              mixture->fit(correlated_codes(9, 1));
            }).find("needs at least 10 codes, got 9"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] { mixture->fit(Tensor({20})); }).find("needs codes [N, D]"),
            std::string::npos);
  Tensor bad = correlated_codes(20, 1);
  bad[5] = NAN;
  EXPECT_NE(test::error_of([&] { make_latent_sampler("gaussian")->fit(bad); }).find("NaN"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] {
              GaussianMixture::fit(correlated_codes(20, 1), {.components = 2, .max_iter = 0});
            }).find("max_iter >= 1"),
            std::string::npos);
}

}  // namespace
}  // namespace nnlab
