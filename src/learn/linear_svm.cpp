// liblinear keeps two pieces of process-wide state, and both are handled here:
//   - its print hook (set_print_string_function, a global pointer train() reads): set once, to
//     a no-op, before the first training (liblinear prints progress and a warning when the
//     solver stops at its iteration limit to stdout, which is the CLI's);
//   - the C library's global rand(): dual coordinate descent draws a random permutation of the
//     rows in every outer iteration with rand(). Two trials training in one process would
//     interleave their draws, and each would get a different sequence from run to run; a
//     training that does not reseed would depend on whatever ran before. So fit holds one
//     process-wide mutex from srand(seed) to the end of train(): liblinear trainings run one at
//     a time, each from its own seed. (Nothing else in nnlab draws from rand(): libsvm would only
//     for probability estimates, which KernelSvm never asks for.)
// The one-vs-rest classes could be trained in parallel as separate binary calls, but they draw
// from the same rand() sequence one after another; one train() call keeps that sequence (and
// liblinear's exact result) and is simple. Prediction is ours: dot products in parallel.
#include "learn/linear_svm.hpp"

#include <linear.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <mutex>

#include "tensor/error.hpp"

namespace nnlab {
namespace {

// Debian's liblinear 2.3 hard-codes this iteration limit in its solvers.
constexpr int kLiblinearMaxIter = 1000;

std::mutex& liblinear_mutex() {
  static std::mutex m;
  return m;
}

void silence_liblinear() {
  static std::once_flag once;
  std::call_once(once, [] { set_print_string_function([](const char*) {}); });
}

// srand's seed from ours: srand takes 32 bits, and glibc's treats 0 as 1, so seeds 0 and 1, or
// seeds differing only in their high half, would draw the same rows. splitmix64's finalizer
// mixes all 64 bits into the low 32 first.
unsigned rand_seed(uint64_t seed) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return static_cast<unsigned>(z ^ (z >> 31));
}

}  // namespace

LinearSvm::LinearSvm(LinearSvmOptions options) : options_(options) {
  NNLAB_CHECK(
      options.loss == LinearSvmOptions::hinge || options.loss == LinearSvmOptions::squared_hinge,
      "linear-svm: unknown loss {}", static_cast<int>(options.loss));
  NNLAB_CHECK(options.C > 0 && std::isfinite(options.C),
              "linear-svm: C must be positive and finite, got {}", options.C);
  NNLAB_CHECK(options.tolerance > 0 && std::isfinite(options.tolerance),
              "linear-svm: tolerance must be positive and finite, got {}", options.tolerance);
  NNLAB_CHECK(options.dual || options.loss == LinearSvmOptions::squared_hinge,
              "linear-svm: the hinge loss needs dual = true (liblinear has no primal solver for "
              "it, nor has LinearSVC)");
  NNLAB_CHECK(options.max_iter == kLiblinearMaxIter,
              "linear-svm: max_iter must be {} (Debian's liblinear fixes its solvers' iteration "
              "limit), got {}",
              kLiblinearMaxIter, options.max_iter);
}

void LinearSvm::fit(ExecContext&, const Tensor& rows, std::span<const int32_t> labels,
                    int classes) {
  NNLAB_CHECK(rows.rank() >= 2, "linear-svm: needs rows [N, D], got {}", shape_str(rows.shape()));
  const int64_t n = rows.rows(), d = rows.cols();
  NNLAB_CHECK(n >= 2 && d >= 1, "linear-svm: needs at least 2 rows of at least 1 feature, got {}",
              shape_str(rows.shape()));
  NNLAB_CHECK(n < INT_MAX && d < INT_MAX - 1,
              "linear-svm: liblinear counts rows and features in int, got {}",
              shape_str(rows.shape()));
  NNLAB_CHECK(static_cast<int64_t>(labels.size()) == n, "linear-svm: {} labels for {} rows",
              labels.size(), n);
  NNLAB_CHECK(classes >= 2, "linear-svm: needs at least 2 classes, got {}", classes);
  std::vector<bool> seen(static_cast<size_t>(classes), false);
  for (int64_t r = 0; r < n; ++r) {
    const int32_t c = labels[static_cast<size_t>(r)];
    NNLAB_CHECK(c >= 0 && c < classes, "linear-svm: label {} of row {} is not in [0, {})", c, r,
                classes);
    seen[static_cast<size_t>(c)] = true;
  }
  NNLAB_CHECK(std::count(seen.begin(), seen.end(), true) >= 2,
              "linear-svm: the training labels hold only class {}; an SVM needs at least two",
              labels[0]);
  NNLAB_CHECK(all_finite(rows), "linear-svm: the training rows hold a NaN or infinite value");

  // liblinear's sparse rows: the nonzero values as (1-based index, value), then the bias
  // feature (index D + 1, value 1) and a terminating index -1.
  const bool bias = options_.bias;
  std::vector<int64_t> start(static_cast<size_t>(n) + 1, 0);
  for (int64_t r = 0; r < n; ++r) {
    const float* x = rows.row(r);
    start[static_cast<size_t>(r) + 1] = start[static_cast<size_t>(r)] + (bias ? 2 : 1) +
                                        std::count_if(x, x + d, [](float v) { return v != 0; });
  }
  std::vector<feature_node> nodes(static_cast<size_t>(start.back()));
  std::vector<feature_node*> x(static_cast<size_t>(n));
  std::vector<double> y(static_cast<size_t>(n));
  for (int64_t r = 0; r < n; ++r) {
    feature_node* node = nodes.data() + start[static_cast<size_t>(r)];
    x[static_cast<size_t>(r)] = node;
    y[static_cast<size_t>(r)] = labels[static_cast<size_t>(r)];
    const float* v = rows.row(r);
    for (int64_t j = 0; j < d; ++j)
      if (v[j] != 0) *node++ = feature_node{static_cast<int>(j + 1), static_cast<double>(v[j])};
    if (bias) *node++ = feature_node{static_cast<int>(d + 1), 1.0};
    *node = feature_node{-1, 0.0};
  }
  problem prob{};
  prob.l = static_cast<int>(n);
  prob.n = static_cast<int>(bias ? d + 1 : d);
  prob.y = y.data();
  prob.x = x.data();
  prob.bias = bias ? 1.0 : -1.0;
  parameter param{};
  param.solver_type = options_.loss == LinearSvmOptions::hinge ? L2R_L1LOSS_SVC_DUAL
                      : options_.dual                          ? L2R_L2LOSS_SVC_DUAL
                                                               : L2R_L2LOSS_SVC;
  param.eps = options_.tolerance;
  param.C = options_.C;
  param.nr_weight = 0;
  param.weight_label = nullptr;
  param.weight = nullptr;
  param.p = 0.1;
  param.init_sol = nullptr;
  const char* error = check_parameter(&prob, &param);
  NNLAB_CHECK(error == nullptr, "linear-svm: liblinear rejects the parameters: {}",
              error ? error : "");

  silence_liblinear();
  model* m = nullptr;
  {
    const std::lock_guard<std::mutex> lock(liblinear_mutex());
    std::srand(rand_seed(options_.seed));
    m = train(&prob, &param);
  }
  // Two classes: one weight vector, for label[0]. More: one per class, w[j * k + c].
  const int k = m->nr_class;
  const int nr_w = k == 2 ? 1 : k;
  std::vector<int32_t> cls(m->label, m->label + k);
  std::vector<double> w(static_cast<size_t>(nr_w * d)), b(static_cast<size_t>(nr_w), 0.0);
  for (int c = 0; c < nr_w; ++c) {
    for (int64_t j = 0; j < d; ++j)
      w[static_cast<size_t>(c * d + j)] = m->w[static_cast<size_t>(j * nr_w + c)];
    if (bias) b[static_cast<size_t>(c)] = m->w[static_cast<size_t>(d * nr_w + c)] * m->bias;
  }
  free_and_destroy_model(&m);

  d_ = d;
  classes_ = std::move(cls);
  w_ = std::move(w);
  b_ = std::move(b);
}

void LinearSvm::decide(const float* x, double* dec) const {
  for (size_t c = 0; c < b_.size(); ++c) {
    const double* w = w_.data() + static_cast<int64_t>(c) * d_;
    double sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < d_; ++j) sum += w[j] * x[j];
    dec[c] = sum + b_[c];
  }
}

Tensor LinearSvm::decision_values(ExecContext&, const Tensor& rows) const {
  NNLAB_CHECK(fitted(), "linear-svm: predict before fit");
  NNLAB_CHECK(rows.rank() >= 2 && row_width(rows) == d_,
              "linear-svm: fitted on rows of {} features, given rows {}", d_,
              shape_str(rows.shape()));
  const int64_t m = rows.rows(), nr_w = static_cast<int64_t>(b_.size());
  Tensor out({m, nr_w});
#pragma omp parallel if (m * d_ > (1 << 16))
  {
    std::vector<double> dec(static_cast<size_t>(nr_w));
#pragma omp for schedule(static)
    for (int64_t i = 0; i < m; ++i) {
      decide(rows.row(i), dec.data());
      for (int64_t c = 0; c < nr_w; ++c) out[i * nr_w + c] = static_cast<float>(dec[c]);
    }
  }
  return out;
}

Predictions LinearSvm::predict(ExecContext&, const Tensor& rows) const {
  NNLAB_CHECK(fitted(), "linear-svm: predict before fit");
  NNLAB_CHECK(rows.rank() >= 2 && row_width(rows) == d_,
              "linear-svm: fitted on rows of {} features, given rows {}", d_,
              shape_str(rows.shape()));
  NNLAB_CHECK(all_finite(rows), "linear-svm: the rows to predict hold a NaN or infinite value");
  const int64_t m = rows.rows(), nr_w = static_cast<int64_t>(b_.size());
  Predictions out;
  out.classes.resize(static_cast<size_t>(m));
  out.confidence.assign(static_cast<size_t>(m), 1.0f);
#pragma omp parallel if (m * d_ > (1 << 16))
  {
    std::vector<double> dec(static_cast<size_t>(nr_w));
#pragma omp for schedule(static)
    for (int64_t i = 0; i < m; ++i) {
      decide(rows.row(i), dec.data());
      // liblinear's predict: the sign for two classes, else the first largest value.
      const size_t c =
          nr_w == 1 ? (dec[0] > 0 ? 0 : 1)
                    : static_cast<size_t>(std::max_element(dec.begin(), dec.end()) - dec.begin());
      out.classes[static_cast<size_t>(i)] = classes_[c];
    }
  }
  return out;
}

}  // namespace nnlab
