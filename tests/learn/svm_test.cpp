// KernelSvm against scikit-learn's SVC (the same libsvm solver, its own dense copy): generated
// 4-class data for the rbf, poly, linear and sigmoid kernels (predicted classes, the support
// set, the one-vs-one decision values), a two-class set large enough for libsvm's own sparse
// kernel route, and 2,000 x 500 real MNIST images (the same accuracy); known facts (a separable
// set is learnt perfectly, the vote and its confidence, absent classes), the same result for
// any thread count, and the checks.
#include "learn/svm.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <tuple>

#include "data/catalog.hpp"
#include "learn/blobs.hpp"
#include "support/test_support.hpp"
#include "tensor/rng.hpp"

namespace nnlab {
namespace {

namespace fs = std::filesystem;

// Reads x.f32 [n, d], y.i32 [n], q.f32 [m, d] (float32, as we hold them, then float64 as SVC
// computes); for each configuration "kernel,C,gamma,degree,coef0" among its arguments (gamma
// "scale" or a number) fits SVC and writes out_<i>.txt: the predictions on q, the sorted
// support indices, and decision_function(q) with decision_function_shape="ovo", one line each.
constexpr const char* kSvmScript = R"(
import sys
try:
    import numpy as np
    from sklearn.svm import SVC
except ImportError:
    sys.exit(77)
d = sys.argv[1]
n, m, dim = map(int, sys.argv[2:5])
x = np.fromfile(f"{d}/x.f32", dtype=np.float32).reshape(n, dim).astype(np.float64)
y = np.fromfile(f"{d}/y.i32", dtype=np.int32)
q = np.fromfile(f"{d}/q.f32", dtype=np.float32).reshape(m, dim).astype(np.float64)
for c, config in enumerate(sys.argv[5:]):
    kernel, C, gamma, degree, coef0 = config.split(",")
    gamma = gamma if gamma == "scale" else float(gamma)
    svc = SVC(kernel=kernel, C=float(C), gamma=gamma, degree=int(degree), coef0=float(coef0),
              decision_function_shape="ovo").fit(x, y)
    with open(f"{d}/out_{c}.txt", "w") as out:
        out.write(" ".join(str(int(v)) for v in svc.predict(q)) + "\n")
        out.write(" ".join(str(int(v)) for v in np.sort(svc.support_)) + "\n")
        # SVC negates libsvm's value for two classes (> 0 favours classes_[1]); undo that.
        dec = svc.decision_function(q) * (-1 if len(svc.classes_) == 2 else 1)
        out.write(" ".join(repr(float(v)) for v in np.ravel(dec)) + "\n")
)";

// The same on MNIST bytes: x.u8 [n, 784] scaled as nnlab reads images (float32 byte / 255),
// SVC(C, gamma="scale"); writes the predictions on q.u8.
constexpr const char* kMnistScript = R"(
import sys
try:
    import numpy as np
    from sklearn.svm import SVC
except ImportError:
    sys.exit(77)
d = sys.argv[1]
n, m, C = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
pixels = lambda f, k: (np.fromfile(f, dtype=np.uint8).reshape(k, 784).astype(np.float32)
                       / np.float32(255)).astype(np.float64)
svc = SVC(C=C, gamma="scale").fit(pixels(f"{d}/x.u8", n), np.fromfile(f"{d}/y.i32", np.int32))
np.savetxt(f"{d}/out.txt", svc.predict(pixels(f"{d}/q.u8", m)), fmt="%d")
)";

using test::accuracy;
using test::blobs;
using test::Problem;
using test::read_line;
using test::write_binary;

double agreement(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  EXPECT_EQ(a.size(), b.size());
  return accuracy(a, b);
}

struct SvcConfig {
  SvmOptions options;
  std::string text;  // the oracle's "kernel,C,gamma,degree,coef0"
  double tolerance;  // on the decision values
};

// Fits each configuration here and in SVC and compares: >= 99% of the predicted classes agree,
// >= 99% of the decision values agree to the configuration's tolerance, and the support sets
// differ in at most 2% of their rows. Both run libsvm's SMO on the same problem; only the
// kernel values differ in rounding (ours from float dot products where the pair's kernel matrix
// is precomputed, SVC's from double ones). An rbf kernel matrix is nonsingular and the solution
// moves by about that rounding (1e-7); the linear, poly and sigmoid kernels of 10 features are
// singular, and there the rounding can move the point where SMO stops by up to its tolerance
// (1e-3): 1e-2 allows for it.
void compare_with_svc(const Problem& p, const std::vector<SvcConfig>& configs) {
  const int64_t n = p.x.rows(), m = p.q.rows(), d = p.x.cols();
  const auto dir = test::temp_dir();
  write_binary(dir / "x.f32", p.x.data(), static_cast<size_t>(n * d) * sizeof(float));
  write_binary(dir / "y.i32", p.y.data(), p.y.size() * sizeof(int32_t));
  write_binary(dir / "q.f32", p.q.data(), static_cast<size_t>(m * d) * sizeof(float));
  std::string args = fmt::format("{} {} {} {}", dir.string(), n, m, d);
  for (const SvcConfig& c : configs) args += " " + c.text;
  if (!test::run_oracle(kSvmScript, args)) return;

  for (size_t c = 0; c < configs.size(); ++c) {
    SCOPED_TRACE(configs[c].text);
    KernelSvm svm(configs[c].options);
    svm.fit(test::exec(), p.x, p.y, p.classes);
    const Predictions ours = svm.predict(test::exec(), p.q);
    const Tensor dec = svm.decision_values(test::exec(), p.q);

    std::ifstream in(dir / fmt::format("out_{}.txt", c));
    const auto pred = read_line<int32_t>(in);
    const auto support = read_line<int64_t>(in);
    const auto decision = read_line<double>(in);
    ASSERT_EQ(decision.size(), static_cast<size_t>(dec.size()));
    EXPECT_GE(agreement(ours.classes, pred), 0.99);

    int64_t close = 0;
    for (int64_t i = 0; i < dec.size(); ++i) {
      const double theirs = decision[static_cast<size_t>(i)];
      close += std::abs(dec[i] - theirs) <= configs[c].tolerance * std::max(1.0, std::abs(theirs));
    }
    EXPECT_GE(static_cast<double>(close) / static_cast<double>(dec.size()), 0.99);

    std::vector<int64_t> diff;
    std::set_symmetric_difference(svm.support().begin(), svm.support().end(), support.begin(),
                                  support.end(), std::back_inserter(diff));
    EXPECT_LE(static_cast<double>(diff.size()), 0.02 * static_cast<double>(support.size()))
        << "ours " << svm.support().size() << " support vectors, SVC " << support.size();
  }
}

TEST(KernelSvm, MatchesScikitLearnOnFourClasses) {
  const Problem p = blobs(300, 400, 10, 4, 1.2f, 7);
  SvmOptions rbf, poly, linear, sigmoid, rbf_fixed;
  poly.kernel = SvmOptions::poly;
  poly.degree = 3;
  poly.coef0 = 1;
  poly.C = 0.5;
  linear.kernel = SvmOptions::linear;
  linear.C = 0.1;
  sigmoid.kernel = SvmOptions::sigmoid;
  sigmoid.gamma = 0.01;
  sigmoid.coef0 = -0.5;
  rbf_fixed.gamma = 0.2;
  rbf_fixed.C = 20;
  compare_with_svc(p, {{rbf, "rbf,1,scale,3,0", 1e-5},
                       {poly, "poly,0.5,scale,3,1", 1e-2},
                       {linear, "linear,0.1,scale,3,0", 1e-2},
                       {sigmoid, "sigmoid,1,0.01,3,-0.5", 1e-2},
                       {rbf_fixed, "rbf,20,0.2,3,0", 1e-5}});
}

// Two classes of 2,100 rows: a pair too large for the precomputed kernel matrix, which libsvm
// then evaluates itself from the sparse rows (with exact zeros left out).
TEST(KernelSvm, MatchesScikitLearnOnALargePair) {
  Problem p = blobs(4200, 300, 8, 2, 0.8f, 9);
  for (int64_t i = 0; i < p.x.size(); i += 3) p.x[i] = 0;  // some exact zeros to leave out
  compare_with_svc(p, {{SvmOptions{}, "rbf,1,scale,3,0", 1e-5}});
}

TEST(KernelSvm, MnistAccuracyMatchesScikitLearn) {
  if (!fs::exists(test::shared_data_dir() / "mnist")) {
    test::skip_for_missing("MNIST in " + (test::shared_data_dir() / "mnist").string());
    return;
  }
  const DataPair mnist = load_dataset("mnist", test::shared_data_dir().string());
  const int64_t n = 2000, m = 500, d = 784;
  const double c = 10;
  Tensor x({n, d}), q({m, d});
  for (int64_t i = 0; i < n; ++i) mnist.train.read_sample(i, x.row(i));
  for (int64_t i = 0; i < m; ++i) mnist.test.read_sample(i, q.row(i));
  const std::vector<int32_t> y(mnist.train.labels.begin(), mnist.train.labels.begin() + n);
  const std::vector<int32_t> t(mnist.test.labels.begin(), mnist.test.labels.begin() + m);

  const auto dir = test::temp_dir();
  write_binary(dir / "x.u8", mnist.train.pixels.data(), static_cast<size_t>(n * d));
  write_binary(dir / "q.u8", mnist.test.pixels.data(), static_cast<size_t>(m * d));
  write_binary(dir / "y.i32", y.data(), y.size() * sizeof(int32_t));
  if (!test::run_oracle(kMnistScript, fmt::format("{} {} {} {}", dir.string(), n, m, c))) return;
  std::vector<int32_t> theirs(static_cast<size_t>(m));
  std::ifstream in(dir / "out.txt");
  for (int32_t& v : theirs) in >> v;
  ASSERT_TRUE(in.good());

  SvmOptions o;
  o.C = c;
  KernelSvm svm(o);
  svm.fit(test::exec(), x, y, mnist.train.num_classes());
  const Predictions ours = svm.predict(test::exec(), q);
  EXPECT_NEAR(accuracy(ours.classes, t), accuracy(theirs, t), 0.002);
  EXPECT_GE(agreement(ours.classes, theirs), 0.99);
  EXPECT_GT(accuracy(ours.classes, t), 0.9);
}

// Two classes either side of the plane x0 + x1 = 0 with a margin of 0.5: a hard-margin linear
// SVM (large C) separates them, on the training rows and on new ones.
TEST(KernelSvm, SeparableClassesAreLearntPerfectly) {
  Rng rng(3);
  const auto make = [&](int64_t n, std::vector<int32_t>& labels) {
    Tensor t({n, 3});
    for (int64_t r = 0; r < n; ++r) {
      const int32_t c = static_cast<int32_t>(r % 2);
      const float side = c == 0 ? 1.f : -1.f, along = rng.uniform(-3, 3);
      const float off = side * rng.uniform(0.5f, 3);  // signed distance-like offset
      t.row(r)[0] = along + off;
      t.row(r)[1] = -along + off;
      t.row(r)[2] = rng.normal();
      labels.push_back(c);
    }
    return t;
  };
  std::vector<int32_t> y, t;
  const Tensor x = make(200, y), q = make(500, t);
  for (const auto kernel : {SvmOptions::linear, SvmOptions::rbf}) {
    SvmOptions o;
    o.kernel = kernel;
    o.C = 1e4;
    KernelSvm svm(o);
    svm.fit(test::exec(), x, y, 2);
    EXPECT_EQ(svm.predict(test::exec(), x).classes, y) << "kernel " << kernel;
    EXPECT_EQ(svm.predict(test::exec(), q).classes, t) << "kernel " << kernel;
    EXPECT_LT(svm.support().size(), 40u) << "a separable set needs few support vectors";
  }
}

// Votes over the present classes only, ascending: class 1 never occurs in the labels, so it is
// never predicted, and the pairs are (0, 2), (0, 3), (2, 3). confidence = votes / 2.
TEST(KernelSvm, VotesOverThePresentClasses) {
  Problem p = blobs(240, 200, 4, 3, 4.f, 5);
  for (auto* labels : {&p.y, &p.t})
    for (int32_t& c : *labels) c = c == 0 ? 0 : c + 1;  // {0, 1, 2} -> {0, 2, 3}
  KernelSvm svm;
  svm.fit(test::exec(), p.x, p.y, 5);
  EXPECT_EQ(svm.classes(), (std::vector<int32_t>{0, 2, 3}));
  const Predictions pred = svm.predict(test::exec(), p.q);
  const Tensor dec = svm.decision_values(test::exec(), p.q);
  ASSERT_EQ(dec.shape(), (Shape{200, 3}));
  int64_t unanimous = 0;
  for (int64_t i = 0; i < 200; ++i) {
    // libsvm's rule by hand: pair (a, b) votes a when its value is > 0.
    int votes[3] = {0, 0, 0};
    ++votes[dec[i * 3 + 0] > 0 ? 0 : 1];
    ++votes[dec[i * 3 + 1] > 0 ? 0 : 2];
    ++votes[dec[i * 3 + 2] > 0 ? 1 : 2];
    const int win = static_cast<int>(std::max_element(votes, votes + 3) - votes);
    EXPECT_EQ(pred.classes[static_cast<size_t>(i)], svm.classes()[static_cast<size_t>(win)]);
    EXPECT_FLOAT_EQ(pred.confidence[static_cast<size_t>(i)], votes[win] / 2.f);
    unanimous += votes[win] == 2;
  }
  EXPECT_GT(unanimous, 180) << "well separated classes win both their duels";
  EXPECT_GT(accuracy(pred.classes, p.t), 0.95);
}

// Each pair is trained on its own and each block of rows predicted on its own: 1 and 2 threads
// give the same bits.
TEST(KernelSvm, SameResultForAnyThreadCount) {
  const Problem p = blobs(400, 300, 6, 5, 1.f, 13);
  const auto run = [&](ExecContext& exec) {
    KernelSvm svm;
    svm.fit(exec, p.x, p.y, p.classes);
    return std::tuple{svm.support(), svm.predict(exec, p.q).classes,
                      svm.decision_values(exec, p.q)};
  };
  const auto one = test::on_worker(1, run), two = test::on_worker(2, run);
  EXPECT_EQ(std::get<0>(one), std::get<0>(two));
  EXPECT_EQ(std::get<1>(one), std::get<1>(two));
  const Tensor &a = std::get<2>(one), &b = std::get<2>(two);
  ASSERT_EQ(a.shape(), b.shape());
  for (int64_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], b[i]) << "decision value " << i;
}

TEST(KernelSvm, OptionsAreChecked) {
  const auto bad = [](auto set) {
    SvmOptions o;
    set(o);
    return test::error_of([&] { KernelSvm svm(o); });
  };
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_NE(bad([](SvmOptions& o) { o.C = 0; }).find("C must be positive"), std::string::npos);
  EXPECT_NE(bad([&](SvmOptions& o) { o.C = inf; }).find("C must be positive"), std::string::npos);
  EXPECT_NE(bad([](SvmOptions& o) { o.gamma = -1; }).find("gamma"), std::string::npos);
  EXPECT_NE(bad([](SvmOptions& o) { o.gamma = NAN; }).find("gamma"), std::string::npos);
  EXPECT_NE(bad([](SvmOptions& o) { o.degree = 0; }).find("degree must be in [1, 10]"),
            std::string::npos);
  EXPECT_NE(bad([](SvmOptions& o) { o.degree = 11; }).find("degree"), std::string::npos);
  EXPECT_NE(bad([&](SvmOptions& o) { o.coef0 = inf; }).find("coef0"), std::string::npos);
  EXPECT_NE(bad([](SvmOptions& o) { o.tolerance = 0; }).find("tolerance"), std::string::npos);
  EXPECT_NE(bad([](SvmOptions& o) { o.cache_mb = -1; }).find("cache_mb"), std::string::npos);
}

TEST(KernelSvm, DataIsChecked) {
  const Problem p = blobs(20, 5, 3, 2, 3.f, 1);
  KernelSvm svm;
  auto& exec = test::exec();
  EXPECT_NE(test::error_of([&] { (void)svm.predict(exec, p.q); }).find("before fit"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] { svm.fit(exec, p.x, p.y, 1); }).find("at least 2 classes"),
            std::string::npos);
  std::vector<int32_t> y = p.y;
  y[4] = 2;
  EXPECT_NE(test::error_of([&] { svm.fit(exec, p.x, y, 2); }).find("label 2 of row 4"),
            std::string::npos);
  y.assign(20, 1);
  EXPECT_NE(test::error_of([&] { svm.fit(exec, p.x, y, 2); }).find("only class 1"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] {
              svm.fit(exec, p.x, std::span(p.y).first(19), 2);
            }).find("19 labels for 20 rows"),
            std::string::npos);
  Tensor nan = p.x;
  nan[7] = NAN;
  EXPECT_NE(test::error_of([&] { svm.fit(exec, nan, p.y, 2); }).find("NaN"), std::string::npos);
  svm.fit(exec, p.x, p.y, 2);
  EXPECT_NE(test::error_of([&] {
              (void)svm.predict(exec, Tensor({2, 4}));
            }).find("3 features"),
            std::string::npos);
  EXPECT_TRUE(svm.predict(exec, Tensor({0, 3})).classes.empty());
  Tensor q = p.q;
  q[0] = INFINITY;
  EXPECT_NE(test::error_of([&] { (void)svm.predict(exec, q); }).find("NaN or infinite"),
            std::string::npos);
  // Images [N, C, H, W] are flattened: the same values as [N, D] give the same answers.
  Tensor images = p.x;
  images.resize({20, 1, 3, 1});
  KernelSvm flat;
  flat.fit(exec, images, p.y, 2);
  EXPECT_EQ(flat.predict(exec, p.q).classes, svm.predict(exec, p.q).classes);
}

}  // namespace
}  // namespace nnlab
