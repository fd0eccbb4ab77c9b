// KNearest against scikit-learn's KNeighborsClassifier(algorithm="brute"): generated data for
// several k, both metrics and both weightings (same predictions, same neighbour distances,
// confidence = the winner's predict_proba), 2,000 x 500 real MNIST images; known facts (each
// training row is its own nearest neighbour), the tie rules, exact matches under distance
// weights, the same answers for any thread count and block size, and the checks.
#include "learn/knn.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "data/catalog.hpp"
#include "learn/blobs.hpp"
#include "support/test_support.hpp"
#include "tensor/rng.hpp"

namespace nnlab {
namespace {

namespace fs = std::filesystem;
using Metric = KnnOptions::Metric;
using Weights = KnnOptions::Weights;

// Reads x.f32 [n, d], y.i32 [n], q.f32 [m, d]; for each configuration "k,metric,weights" among
// its arguments fits KNeighborsClassifier on the float64 values and writes out_<i>.txt: per
// query, its prediction, the largest predict_proba, whether its k-th and (k+1)-th distances tie
// (to 1e-9: the neighbour set is then the oracle's choice) and its k distances.
constexpr const char* kKnnScript = R"(
import sys
try:
    import numpy as np
    from sklearn.neighbors import KNeighborsClassifier
except ImportError:
    sys.exit(77)
d = sys.argv[1]
n, m, dim = map(int, sys.argv[2:5])
x = np.fromfile(f"{d}/x.f32", dtype=np.float32).reshape(n, dim).astype(np.float64)
y = np.fromfile(f"{d}/y.i32", dtype=np.int32)
q = np.fromfile(f"{d}/q.f32", dtype=np.float32).reshape(m, dim).astype(np.float64)
for c, config in enumerate(sys.argv[5:]):
    k, metric, weights = config.split(",")
    k = int(k)
    knn = KNeighborsClassifier(n_neighbors=k, algorithm="brute", metric=metric, weights=weights)
    knn.fit(x, y)
    pred = knn.predict(q)
    proba = knn.predict_proba(q).max(axis=1)
    kk = min(k + 1, n)
    dist = np.sort(knn.kneighbors(q, n_neighbors=kk)[0], axis=1)
    with open(f"{d}/out_{c}.txt", "w") as out:
        for i in range(m):
            tie = kk > k and abs(dist[i, k] - dist[i, k - 1]) <= 1e-9 * max(1.0, dist[i, k - 1])
            out.write(f"{pred[i]} {proba[i]!r} {int(tie)} " +
                      " ".join(repr(float(v)) for v in dist[i, :k]) + "\n")
)";

using test::write_binary;

struct KnnProblem {
  Tensor x, q;                  // [n, d], [m, d]
  std::vector<int32_t> labels;  // [n]
  int classes = 0;
};

// Clustered random floats (no exact distance ties): `classes` centres, each training row near
// its class's centre or, one time in four, any centre (so that votes are mixed).
KnnProblem generated(int64_t n, int64_t m, int64_t d, int classes, uint64_t seed) {
  Rng rng(seed);
  Tensor centres({classes, d});
  rng.fill_uniform(centres.span(), -2.f, 2.f);
  KnnProblem p{Tensor({n, d}), Tensor({m, d}), std::vector<int32_t>(static_cast<size_t>(n)),
               classes};
  auto draw = [&](float* row, int c) {
    for (int64_t j = 0; j < d; ++j) row[j] = centres.row(c)[j] + rng.normal(0.f, 1.f);
  };
  for (int64_t i = 0; i < n; ++i) {
    const int c = static_cast<int>(rng.uniform() * float(classes)) % classes;
    p.labels[static_cast<size_t>(i)] = c;
    draw(p.x.row(i), rng.uniform() < 0.25f ? (c + 1) % classes : c);
  }
  for (int64_t i = 0; i < m; ++i) draw(p.q.row(i), static_cast<int>(i % classes));
  return p;
}

// The same problem with every value rounded to a byte b / 255.f (as images are scaled), which
// takes the integer product.
KnnProblem as_bytes(KnnProblem p) {
  for (Tensor* t : {&p.x, &p.q})
    for (float& v : t->span())
      v = static_cast<float>(std::clamp(std::lround((v + 4.f) * 32.f), 0L, 255L)) / 255.f;
  return p;
}

std::string metric_name(Metric m) { return m == Metric::cosine ? "cosine" : "euclidean"; }
std::string weights_name(Weights w) { return w == Weights::distance ? "distance" : "uniform"; }

// Our predictions, confidences and distances against scikit-learn's for each configuration;
// queries whose k-th neighbour ties with the next are skipped. Returns the skipped count.
int64_t expect_matches_sklearn(const KnnProblem& p, const std::vector<KnnOptions>& configs) {
  const int64_t n = p.x.dim(0), m = p.q.dim(0), d = p.x.dim(1);
  const auto dir = test::temp_dir();
  write_binary(dir / "x.f32", p.x.data(), static_cast<size_t>(p.x.size()) * sizeof(float));
  write_binary(dir / "q.f32", p.q.data(), static_cast<size_t>(p.q.size()) * sizeof(float));
  write_binary(dir / "y.i32", p.labels.data(), p.labels.size() * sizeof(int32_t));
  std::string args = fmt::format("{} {} {} {}", dir.string(), n, m, d);
  for (const KnnOptions& o : configs)
    args += fmt::format(" {},{},{}", o.k, metric_name(o.metric), weights_name(o.weights));
  if (!test::run_oracle(kKnnScript, args)) return 0;

  int64_t ties = 0;
  for (size_t c = 0; c < configs.size(); ++c) {
    const KnnOptions& o = configs[c];
    KNearest knn(o);
    knn.fit(test::exec(), p.x, p.labels, p.classes);
    const Predictions ours = knn.predict(test::exec(), p.q);
    const Neighbours nb = knn.kneighbors(test::exec(), p.q);
    std::ifstream in(dir / fmt::format("out_{}.txt", c));
    const std::string what =
        fmt::format("k={} {} {}", o.k, metric_name(o.metric), weights_name(o.weights));
    int64_t wrong = 0;
    for (int64_t i = 0; i < m; ++i) {
      int32_t pred = 0;
      double proba = 0;
      int tie = 0;
      in >> pred >> proba >> tie;
      std::vector<double> dist(static_cast<size_t>(o.k));
      for (double& v : dist) in >> v;
      if (!in) {
        ADD_FAILURE() << what << ": short oracle output at query " << i;
        break;
      }
      if (tie) {
        ++ties;
        continue;
      }
      const auto ui = static_cast<size_t>(i);
      if (ours.classes[ui] != pred && ++wrong <= 5)
        ADD_FAILURE() << what << ": query " << i << ": ours " << ours.classes[ui] << " vs sklearn "
                      << pred;
      EXPECT_NEAR(ours.confidence[ui], proba, 1e-6) << what << ": query " << i;
      for (int j = 0; j < o.k; ++j)
        EXPECT_NEAR(nb.distance[ui * static_cast<size_t>(o.k) + static_cast<size_t>(j)],
                    dist[static_cast<size_t>(j)], 1e-9 * std::max(1.0, dist[0]))
            << what << ": query " << i << " neighbour " << j;
    }
    EXPECT_EQ(wrong, 0) << what;
  }
  return ties;
}

TEST(KNearest, MatchesScikitLearnOnGeneratedData) {
  const KnnProblem p = generated(400, 150, 12, 4, 1);
  std::vector<KnnOptions> configs;
  for (const Metric metric : {Metric::euclidean, Metric::cosine})
    for (const Weights weights : {Weights::uniform, Weights::distance})
      for (const int k : {1, 2, 4, 5, 9})
        configs.push_back({.k = k, .metric = metric, .weights = weights});
  EXPECT_EQ(expect_matches_sklearn(p, configs), 0);
}

TEST(KNearest, MatchesScikitLearnAcrossTilesAndBlocks) {
  // More training rows than one tile (2048) and a block size that does not divide the queries.
  const KnnProblem p = generated(5000, 300, 20, 6, 2);
  EXPECT_EQ(
      expect_matches_sklearn(
          p, {{.k = 3, .block = 64},
              {.k = 6, .metric = Metric::cosine, .weights = Weights::distance, .block = 100}}),
      0);
}

TEST(KNearest, MatchesScikitLearnOnBytes) {
  const KnnProblem p = as_bytes(generated(3000, 200, 30, 5, 6));
  EXPECT_FALSE(KNearest().uses_bytes(p.q));  // not fitted: no integer product
  KNearest probe;
  probe.fit(test::exec(), p.x, p.labels, p.classes);
  ASSERT_TRUE(probe.uses_bytes(p.q));
  EXPECT_LE(
      expect_matches_sklearn(
          p, {{.k = 1},
              {.k = 3, .weights = Weights::distance, .block = 50},
              {.k = 5, .metric = Metric::cosine},
              {.k = 4, .metric = Metric::cosine, .weights = Weights::distance, .block = 1000}}),
      2);
}

TEST(KNearest, MatchesScikitLearnOnMnist) {
  if (!fs::exists(test::shared_data_dir() / "mnist")) {
    test::skip_for_missing("MNIST in " + (test::shared_data_dir() / "mnist").string());
    return;
  }
  const DataPair mnist = load_dataset("mnist", test::shared_data_dir().string());
  const int64_t n = 2000, m = 500;
  KnnProblem p{Tensor({n, 784}), Tensor({m, 784}),
               std::vector<int32_t>(mnist.train.labels.begin(), mnist.train.labels.begin() + n),
               mnist.train.num_classes()};
  for (int64_t i = 0; i < n; ++i) mnist.train.read_sample(i, p.x.row(i));
  for (int64_t i = 0; i < m; ++i) mnist.test.read_sample(i, p.q.row(i));
  const int64_t ties = expect_matches_sklearn(
      p, {{.k = 3}, {.k = 3, .metric = Metric::cosine, .weights = Weights::distance}});
  EXPECT_LE(ties, 2) << "queries with tied neighbour distances, skipped";

  // Pixels are bytes: the integer product, with the same neighbours as the float one.
  for (const Metric metric : {Metric::euclidean, Metric::cosine}) {
    KNearest bytes({.k = 3, .metric = metric}),
        floats({.k = 3, .metric = metric, .byte_path = false});
    bytes.fit(test::exec(), p.x, p.labels, p.classes);
    floats.fit(test::exec(), p.x, p.labels, p.classes);
    EXPECT_TRUE(bytes.uses_bytes(p.q));
    EXPECT_FALSE(floats.uses_bytes(p.q));
    const Neighbours a = bytes.kneighbors(test::exec(), p.q),
                     b = floats.kneighbors(test::exec(), p.q);
    EXPECT_EQ(a.index, b.index) << metric_name(metric);
    EXPECT_EQ(a.distance, b.distance) << metric_name(metric);
  }
}

TEST(KNearest, EachTrainingRowIsItsOwnNearestNeighbour) {
  const KnnProblem p = generated(700, 1, 8, 5, 3);
  for (const Metric metric : {Metric::euclidean, Metric::cosine}) {
    KNearest knn({.k = 1, .metric = metric});
    knn.fit(test::exec(), p.x, p.labels, p.classes);
    const Predictions pred = knn.predict(test::exec(), p.x);
    const Neighbours nb = knn.kneighbors(test::exec(), p.x);
    for (int64_t i = 0; i < 700; ++i) {
      ASSERT_EQ(pred.classes[static_cast<size_t>(i)], p.labels[static_cast<size_t>(i)]) << i;
      EXPECT_EQ(pred.confidence[static_cast<size_t>(i)], 1.f);
      EXPECT_EQ(nb.index[static_cast<size_t>(i)], i);
      if (metric == Metric::euclidean) {
        EXPECT_EQ(nb.distance[static_cast<size_t>(i)], 0.0);
      }
    }
  }
}

// 1-D rows for hand-made cases.
Tensor column(std::initializer_list<float> v) {
  Tensor t({static_cast<int64_t>(v.size()), 1});
  std::copy(v.begin(), v.end(), t.data());
  return t;
}

TEST(KNearest, TieRules) {
  const Tensor x = column({1.f, -2.f, 3.f, 100.f});
  const std::vector<int32_t> y = {2, 0, 1, 1};
  const Tensor q = column({0.f});
  // Votes 1 : 1 between classes 2 and 0: the smaller class wins, with half the votes.
  KNearest uniform({.k = 2});
  uniform.fit(test::exec(), x, y, 3);
  const Predictions a = uniform.predict(test::exec(), q);
  EXPECT_EQ(a.classes[0], 0);
  EXPECT_EQ(a.confidence[0], 0.5f);
  // Weighted 1/1 against 1/2: the nearer wins, with 2/3 of the weight.
  KNearest weighted({.k = 2, .weights = Weights::distance});
  weighted.fit(test::exec(), x, y, 3);
  const Predictions b = weighted.predict(test::exec(), q);
  EXPECT_EQ(b.classes[0], 2);
  EXPECT_NEAR(b.confidence[0], 2.0 / 3.0, 1e-6);
  // Two rows at the same distance: the lower index is the nearer.
  KNearest one({.k = 1});
  one.fit(test::exec(), column({1.f, -1.f}), std::vector<int32_t>{1, 0}, 2);
  EXPECT_EQ(one.predict(test::exec(), q).classes[0], 1);
  EXPECT_EQ(one.kneighbors(test::exec(), q).index[0], 0);
}

TEST(KNearest, ExactMatchesTakeAllTheDistanceWeight) {
  // Two exact matches (classes 2 and 1) and three near rows of class 0: the matches share the
  // weight, 1 each, and tie: class 1 wins with half.
  const Tensor x = column({0.01f, 0.f, 0.02f, 0.f, 0.03f});
  const std::vector<int32_t> y = {0, 2, 0, 1, 0};
  KNearest knn({.k = 5, .weights = Weights::distance});
  knn.fit(test::exec(), x, y, 3);
  const Predictions p = knn.predict(test::exec(), column({0.f, 0.025f}));
  EXPECT_EQ(p.classes[0], 1);
  EXPECT_EQ(p.confidence[0], 0.5f);
  EXPECT_EQ(p.classes[1], 0);  // no exact match: 1/d weights, class 0's near rows win
}

TEST(KNearest, ZeroRowsUnderCosine) {
  // A zero row is at distance 1 from every row (scikit-learn's normalize leaves it zero), on
  // both products.
  Tensor x({4, 3}), q({2, 3});
  const float rows[] = {0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 0};
  std::copy(rows, rows + 12, x.data());
  q.row(1)[0] = 1;  // q0 = 0, q1 = (1, 0, 0)
  for (const bool byte_path : {true, false}) {
    KNearest knn({.k = 4, .metric = Metric::cosine, .byte_path = byte_path});
    knn.fit(test::exec(), x, std::vector<int32_t>{0, 1, 2, 3}, 4);
    EXPECT_EQ(knn.uses_bytes(q), byte_path);
    const Neighbours nb = knn.kneighbors(test::exec(), q);
    EXPECT_EQ(nb.index, (std::vector<int64_t>{0, 1, 2, 3, 1, 3, 0, 2}));
    for (int i = 0; i < 4; ++i) EXPECT_EQ(nb.distance[static_cast<size_t>(i)], 1.0);
    EXPECT_EQ(nb.distance[4], 0.0);
    EXPECT_NEAR(nb.distance[5], 1 - std::sqrt(0.5), 1e-12);
    EXPECT_EQ(nb.distance[6], 1.0);
    EXPECT_EQ(nb.distance[7], 1.0);
  }
}

TEST(KNearest, SameAnswersForAnyThreadCountAndBlock) {
  for (const bool bytes : {false, true}) {
    const KnnProblem p =
        bytes ? as_bytes(generated(3000, 600, 16, 5, 4)) : generated(3000, 600, 16, 5, 4);
    auto run = [&](int threads, int64_t block, int64_t queries) {
      return test::on_worker(threads, [&](ExecContext& exec) {
        KNearest knn({.k = 4, .weights = Weights::distance, .block = block});
        knn.fit(exec, p.x, p.labels, p.classes);
        Tensor q({queries, 16});
        std::copy(p.q.data(), p.q.data() + q.size(), q.data());
        return std::pair(knn.kneighbors(exec, q), knn.predict(exec, q));
      });
    };
    // Many blocks (blocks in parallel) and one block (its tiles in parallel).
    for (const auto& [block, queries] : {std::pair<int64_t, int64_t>{64, 600}, {256, 50}}) {
      const auto [nb1, p1] = run(1, block, queries);
      const auto [nb2, p2] = run(2, block, queries);
      EXPECT_EQ(nb1.index, nb2.index);
      EXPECT_EQ(nb1.distance, nb2.distance);
      EXPECT_EQ(p1.classes, p2.classes);
      EXPECT_EQ(p1.confidence, p2.confidence);
    }
    // Another block size: other products, the same exact neighbours.
    const auto [nb_a, pa] = run(2, 64, 600);
    const auto [nb_b, pb] = run(2, 600, 600);
    EXPECT_EQ(nb_a.index, nb_b.index);
    EXPECT_EQ(pa.classes, pb.classes);
  }
}

TEST(KNearest, RejectsBadOptionsAndRows) {
  const KnnProblem p = generated(10, 2, 3, 2, 5);
  EXPECT_NE(test::error_of([] { KNearest({.k = 0}); }).find("k must be >= 1"), std::string::npos);
  EXPECT_NE(test::error_of([] { KNearest({.block = 0}); }).find("block"), std::string::npos);
  EXPECT_NE(test::error_of([] { KNearest({.block = 4097}); }).find("[1, 4096]"), std::string::npos);
  KNearest knn({.k = 3});
  EXPECT_NE(test::error_of([&] { knn.predict(test::exec(), p.q); }).find("before fit"),
            std::string::npos);
  KNearest big({.k = 11});
  EXPECT_NE(test::error_of([&] {
              big.fit(test::exec(), p.x, p.labels, 2);
            }).find("needs at least 11 training rows"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] {
              knn.fit(test::exec(), p.x, std::span(p.labels).first(9), 2);
            }).find("9 labels for 10 rows"),
            std::string::npos);
  std::vector<int32_t> bad_labels = p.labels;
  bad_labels[4] = 2;
  EXPECT_NE(test::error_of([&] {
              knn.fit(test::exec(), p.x, bad_labels, 2);
            }).find("label 2 is not in [0, 2)"),
            std::string::npos);
  EXPECT_NE(
      test::error_of([&] { knn.fit(test::exec(), Tensor({10}), p.labels, 2); }).find("needs rows"),
      std::string::npos);
  Tensor nan = p.x;
  nan[7] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_NE(test::error_of([&] { knn.fit(test::exec(), nan, p.labels, 2); }).find("NaN"),
            std::string::npos);

  knn.fit(test::exec(), p.x, p.labels, 2);
  EXPECT_NE(test::error_of([&] {
              knn.predict(test::exec(), Tensor({2, 4}));
            }).find("needs rows [M, 3] (as fitted)"),
            std::string::npos);
  Tensor q = p.q;
  q[1] = std::numeric_limits<float>::infinity();
  EXPECT_NE(test::error_of([&] { knn.predict(test::exec(), q); }).find("infinite"),
            std::string::npos);
  EXPECT_TRUE(knn.predict(test::exec(), Tensor({0, 3})).classes.empty());
}

}  // namespace
}  // namespace nnlab
