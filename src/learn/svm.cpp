// Training goes through libsvm itself, one binary problem per pair of classes: libsvm's own
// multi-class svm_train solves the same P problems one after another (each on the two classes'
// rows in row order, the first class as +1), so splitting them changes nothing in the result
// and lets them run in parallel.
//
// Where the time goes: libsvm evaluates its kernel one pair of sparse vectors at a time (a
// branchy merge of two index lists; 78% of a 4,000-image MNIST training in Debian's build),
// while scikit-learn's copy holds the rows dense and calls BLAS ddot, about 2.5x faster. So a
// pair of up to kMaxPrecomputedRows rows trains on its precomputed kernel matrix (libsvm's
// PRECOMPUTED kernel, the same solver): the dot products come from float matrix products, each
// class's block among itself computed once and shared by its k - 1 pairs. Float, not double:
// libsvm keeps the kernel columns it caches in float anyway, and a double product is 4x
// slower here. Larger pairs (the matrix is 16 bytes an entry) train on libsvm's own kernel
// evaluation over the sparse rows.
//
// Prediction does not call svm_predict, which also evaluates the kernel one sparse pair of
// vectors at a time: the kernel of a block of rows against all the support vectors is one
// dense matrix product, in double.
//
// libsvm's process-wide state: its print hook (svm_set_print_string_function, a global
// pointer that svm_train reads) is set once, to a no-op, before the first training, so
// concurrent trainings only read it; and the C library's global rand(), which libsvm draws
// only for probability estimates and cross-validation: we never ask for either (probability =
// 0), so training draws nothing and two trainings in one process cannot disturb each other.
#include "learn/svm.hpp"

#include <libsvm/svm.h>
#include <omp.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <exception>
#include <memory>
#include <mutex>
#include <numeric>

#include "learn/eigen.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

using RowsF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowsD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Kernel values per block of rows: blocks of up to 2^21 doubles (16 MiB) per thread. The block
// size depends on the model only, never on the thread count, so every row is computed in the
// same block position (and the same rounding) whatever the threads.
constexpr int64_t kBlockValues = int64_t{1} << 21;

// Pairs of up to this many rows train on their precomputed kernel matrix: 16 bytes an entry
// (libsvm's svm_node), 256 MiB at 4096 rows, for each pair in training at a time.
constexpr int64_t kMaxPrecomputedRows = 4096;

// f(0) .. f(count - 1) in parallel (dynamic schedule); the first exception is rethrown here,
// since none may leave an OpenMP region.
template <class F>
void parallel_for(int64_t count, F&& f) {
  std::exception_ptr error;
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t i = 0; i < count; ++i) {
    try {
      f(i);
    } catch (...) {
#pragma omp critical(nnlab_svm_error)
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

void silence_libsvm() {
  static std::once_flag once;
  std::call_once(once, [] { svm_set_print_string_function([](const char*) {}); });
}

// libsvm's powi: the poly kernel's integer power by squaring (std::pow rounds differently).
double powi(double base, int times) {
  double tmp = base, ret = 1.0;
  for (int t = times; t > 0; t /= 2) {
    if (t % 2 == 1) ret *= tmp;
    tmp = tmp * tmp;
  }
  return ret;
}

int libsvm_kernel(SvmOptions::Kernel k) {
  switch (k) {
    case SvmOptions::rbf:
      return RBF;
    case SvmOptions::poly:
      return POLY;
    case SvmOptions::linear:
      return LINEAR;
    case SvmOptions::sigmoid:
      return SIGMOID;
  }
  return -1;
}

// scikit-learn's gamma="scale": 1 / (D * X.var()) over all N * D values, 1 when they are all
// equal. Serial and in double: the same sum whatever the threads.
double scale_gamma(const Tensor& rows) {
  const std::span<const float> v = rows.span();
  double sum = 0;
  for (float x : v) sum += x;
  const double mean = sum / static_cast<double>(v.size());
  double sq = 0;
  for (float x : v) sq += (x - mean) * (x - mean);
  const double var = sq / static_cast<double>(v.size());
  return var > 0 ? 1.0 / (static_cast<double>(rows.cols()) * var) : 1.0;
}

// The rows in libsvm's sparse format, built once for every pair: each row's nonzero values
// as (1-based index, value) nodes and a terminating index -1. Zeros are left out (libsvm
// treats a missing index as 0): most pixels of a digit are 0, and MNIST trains 13% faster so.
struct SparseRows {
  std::vector<svm_node> nodes;
  std::vector<svm_node*> row;  // [N] each row's first node
};

SparseRows sparse_rows(const Tensor& rows) {
  const int64_t n = rows.rows(), d = rows.cols();
  std::vector<int64_t> start(static_cast<size_t>(n) + 1, 0);
  for (int64_t r = 0; r < n; ++r) {
    const float* x = rows.row(r);
    start[static_cast<size_t>(r) + 1] =
        start[static_cast<size_t>(r)] + 1 + std::count_if(x, x + d, [](float v) { return v != 0; });
  }
  SparseRows s;
  s.nodes.resize(static_cast<size_t>(start.back()));
  s.row.resize(static_cast<size_t>(n));
#pragma omp parallel for schedule(static) if (n * d > (1 << 16))
  for (int64_t r = 0; r < n; ++r) {
    svm_node* node = s.nodes.data() + start[static_cast<size_t>(r)];
    s.row[static_cast<size_t>(r)] = node;
    const float* x = rows.row(r);
    for (int64_t j = 0; j < d; ++j)
      if (x[j] != 0) *node++ = svm_node{static_cast<int>(j + 1), static_cast<double>(x[j])};
    *node = svm_node{-1, 0.0};
  }
  return s;
}

// What one pair's training leaves: its support vectors as training row indices.
struct PairResult {
  std::vector<int64_t> rows;
  std::vector<double> coef;
  double rho = 0;
};

// Trains the problem and reads the model back: `global` maps the problem's rows to training
// rows. Classes a (+1) and b (-1) are given a's rows first, each class in row order: the
// sub-problem libsvm's multi-class svm_train builds for the pair.
PairResult train_problem(const svm_parameter& param, std::vector<svm_node*>& x,
                         std::vector<double>& y, const std::vector<int64_t>& global) {
  const svm_problem prob{static_cast<int>(x.size()), y.data(), x.data()};
  svm_model* model = svm_train(&prob, &param);
  // libsvm orders the classes by first appearance, so label[0] is +1 (class a); the check
  // guards the sign convention that the vote relies on.
  const double sign = model->label[0] == 1 ? 1.0 : -1.0;
  PairResult out;
  out.rho = sign * model->rho[0];
  for (int k = 0; k < model->l; ++k) {
    out.rows.push_back(global[static_cast<size_t>(model->sv_indices[k] - 1)]);
    out.coef.push_back(sign * model->sv_coef[0][k]);
  }
  svm_free_and_destroy_model(&model);  // its SVs point into our nodes: only the model is freed
  return out;
}

// The pair's rows (a's, then b's), their labels (+1, -1) and training row indices.
void pair_rows(const std::vector<int64_t>& rows_a, const std::vector<int64_t>& rows_b,
               std::vector<double>& y, std::vector<int64_t>& global) {
  y.assign(rows_a.size(), 1.0);
  y.resize(rows_a.size() + rows_b.size(), -1.0);
  global = rows_a;
  global.insert(global.end(), rows_b.begin(), rows_b.end());
}

// A pair trained on libsvm's own kernel evaluation over the sparse rows.
PairResult train_sparse(const svm_parameter& param, const SparseRows& sparse,
                        const std::vector<int64_t>& rows_a, const std::vector<int64_t>& rows_b) {
  std::vector<double> y;
  std::vector<int64_t> global;
  pair_rows(rows_a, rows_b, y, global);
  std::vector<svm_node*> x(global.size());
  for (size_t i = 0; i < global.size(); ++i) x[i] = sparse.row[static_cast<size_t>(global[i])];
  return train_problem(param, x, y, global);
}

// The kernel from float dot products, in place: g [R, C] holds x_i . y_j; norm_r [R] and
// norm_c [C] the squared norms (rbf), taken from the same products, so that k(x, x) is exactly 1.
void kernel_of_dots(const SvmOptions& o, double gamma, Eigen::Ref<RowsF> g, const float* norm_r,
                    const float* norm_c) {
  switch (o.kernel) {
    case SvmOptions::rbf: {
      const Eigen::Map<const Eigen::Array<float, 1, Eigen::Dynamic>> nc(norm_c, g.cols());
      const float minus_gamma = static_cast<float>(-gamma);
      for (Eigen::Index i = 0; i < g.rows(); ++i)
        g.row(i).array() = ((nc + norm_r[i] - 2.f * g.row(i).array()).max(0.f) * minus_gamma).exp();
      break;
    }
    case SvmOptions::poly:
      g = g.unaryExpr(
          [&](float v) { return static_cast<float>(powi(gamma * v + o.coef0, o.degree)); });
      break;
    case SvmOptions::sigmoid:
      g = g.unaryExpr([&](float v) { return static_cast<float>(std::tanh(gamma * v + o.coef0)); });
      break;
    case SvmOptions::linear:
      break;
  }
}

// Node storage that a thread reuses from pair to pair: a fresh matrix of tens of MiB would be
// new pages each time (glibc maps blocks over 32 MiB afresh), and faulting them in cost more
// than the training. Not zeroed: every node used is written.
struct NodeBuffer {
  std::unique_ptr<svm_node[]> nodes;
  size_t capacity = 0;
  svm_node* get(size_t count) {
    if (count > capacity) {
      nodes.reset();
      nodes.reset(new svm_node[count]);
      capacity = count;
    }
    return nodes.get();
  }
};

// One class's rows for the precomputed route, with their kernel matrix among themselves.
struct ClassBlock {
  RowsF x;                  // [n, D]
  std::vector<float> norm;  // [n] squared norms (the dot products' diagonal)
  RowsF k;                  // [n, n] kernel values
};

ClassBlock class_block(const SvmOptions& o, double gamma, const Tensor& rows,
                       const std::vector<int64_t>& members) {
  const int64_t n = static_cast<int64_t>(members.size()), d = rows.cols();
  ClassBlock c;
  c.x.resize(n, d);
  for (int64_t i = 0; i < n; ++i)
    c.x.row(i) = Eigen::Map<const Eigen::RowVectorXf>(rows.row(members[static_cast<size_t>(i)]), d);
  c.k = c.x * c.x.transpose();
  c.norm.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) c.norm[static_cast<size_t>(i)] = c.k(i, i);
  kernel_of_dots(o, gamma, c.k, c.norm.data(), c.norm.data());
  for (int64_t i = 0; i < n; ++i)  // exactly symmetric, whatever the product's rounding
    for (int64_t j = 0; j < i; ++j) c.k(j, i) = c.k(i, j);
  return c;
}

// A pair trained on its precomputed kernel matrix (libsvm's PRECOMPUTED kernel): row i of the
// problem is the node {0, i + 1} (its serial number, which libsvm looks the column up by), then
// {m, k(i, m - 1)} for m = 1..l, then index -1.
PairResult train_precomputed(const svm_parameter& param, const SvmOptions& o, double gamma,
                             const ClassBlock& a, const ClassBlock& b,
                             const std::vector<int64_t>& rows_a, const std::vector<int64_t>& rows_b,
                             NodeBuffer& buffer) {
  RowsF kab = a.x * b.x.transpose();
  kernel_of_dots(o, gamma, kab, a.norm.data(), b.norm.data());
  const RowsF kba = kab.transpose();
  const int64_t na = a.x.rows(), nb = b.x.rows(), l = na + nb;
  svm_node* nodes = buffer.get(static_cast<size_t>(l * (l + 2)));
  std::vector<svm_node*> x(static_cast<size_t>(l));
  for (int64_t i = 0; i < l; ++i) {
    svm_node* node = nodes + i * (l + 2);
    x[static_cast<size_t>(i)] = node;
    *node++ = svm_node{0, static_cast<double>(i + 1)};
    const float* left = i < na ? a.k.row(i).data() : kba.row(i - na).data();
    const float* right = i < na ? kab.row(i).data() : b.k.row(i - na).data();
    int m = 1;
    for (int64_t j = 0; j < na; ++j) *node++ = svm_node{m++, static_cast<double>(left[j])};
    for (int64_t j = 0; j < nb; ++j) *node++ = svm_node{m++, static_cast<double>(right[j])};
    *node = svm_node{-1, 0.0};
  }
  std::vector<double> y;
  std::vector<int64_t> global;
  pair_rows(rows_a, rows_b, y, global);
  svm_parameter p = param;
  p.kernel_type = PRECOMPUTED;
  return train_problem(p, x, y, global);
}

}  // namespace

KernelSvm::KernelSvm(SvmOptions options) : options_(options) {
  NNLAB_CHECK(libsvm_kernel(options.kernel) >= 0, "svm: unknown kernel {}",
              static_cast<int>(options.kernel));
  NNLAB_CHECK(options.C > 0 && std::isfinite(options.C),
              "svm: C must be positive and finite, got {}", options.C);
  NNLAB_CHECK(options.gamma >= 0 && std::isfinite(options.gamma),
              "svm: gamma must be >= 0 and finite (0 = \"scale\"), got {}", options.gamma);
  NNLAB_CHECK(options.degree >= 1 && options.degree <= 10, "svm: degree must be in [1, 10], got {}",
              options.degree);
  NNLAB_CHECK(std::isfinite(options.coef0), "svm: coef0 must be finite, got {}", options.coef0);
  NNLAB_CHECK(options.tolerance > 0 && std::isfinite(options.tolerance),
              "svm: tolerance must be positive and finite, got {}", options.tolerance);
  NNLAB_CHECK(options.cache_mb > 0 && std::isfinite(options.cache_mb),
              "svm: cache_mb must be positive and finite, got {}", options.cache_mb);
}

void KernelSvm::fit(ExecContext&, const Tensor& rows, std::span<const int32_t> labels,
                    int classes) {
  NNLAB_CHECK(rows.rank() >= 2, "svm: needs rows [N, D], got {}", shape_str(rows.shape()));
  const int64_t n = rows.rows(), d = rows.cols();
  NNLAB_CHECK(n >= 2 && d >= 1, "svm: needs at least 2 rows of at least 1 feature, got {}",
              shape_str(rows.shape()));
  NNLAB_CHECK(n < INT_MAX && d < INT_MAX, "svm: libsvm counts rows and features in int, got {}",
              shape_str(rows.shape()));
  NNLAB_CHECK(static_cast<int64_t>(labels.size()) == n, "svm: {} labels for {} rows", labels.size(),
              n);
  NNLAB_CHECK(classes >= 2, "svm: needs at least 2 classes, got {}", classes);
  std::vector<std::vector<int64_t>> by_class(static_cast<size_t>(classes));
  for (int64_t r = 0; r < n; ++r) {
    const int32_t c = labels[static_cast<size_t>(r)];
    NNLAB_CHECK(c >= 0 && c < classes, "svm: label {} of row {} is not in [0, {})", c, r, classes);
    by_class[static_cast<size_t>(c)].push_back(r);
  }
  std::vector<int32_t> present;
  for (int32_t c = 0; c < classes; ++c)
    if (!by_class[static_cast<size_t>(c)].empty()) present.push_back(c);
  NNLAB_CHECK(present.size() >= 2,
              "svm: the training labels hold only class {}; an SVM needs at least two", present[0]);
  NNLAB_CHECK(all_finite(rows), "svm: the training rows hold a NaN or infinite value");

  silence_libsvm();
  const double gamma = options_.gamma > 0 ? options_.gamma : scale_gamma(rows);
  svm_parameter param{};
  param.svm_type = C_SVC;
  param.kernel_type = libsvm_kernel(options_.kernel);
  param.degree = options_.degree;
  param.gamma = gamma;
  param.coef0 = options_.coef0;
  param.cache_size = options_.cache_mb;
  param.eps = options_.tolerance;
  param.C = options_.C;
  param.nr_weight = 0;
  param.weight_label = nullptr;
  param.weight = nullptr;
  param.nu = 0.5;
  param.p = 0.1;
  param.shrinking = options_.shrinking ? 1 : 0;
  param.probability = 0;  // never 1: probability estimates draw from the global rand()

  struct Job {
    int32_t a, b;
    int64_t size;      // rows of the pair's problem
    bool precomputed;  // trained on its precomputed kernel matrix
  };
  std::vector<Job> jobs;  // libsvm's pair order
  bool any_sparse = false;
  std::vector<bool> blocked(static_cast<size_t>(classes), false);  // needs a ClassBlock
  for (size_t i = 0; i < present.size(); ++i)
    for (size_t j = i + 1; j < present.size(); ++j) {
      const int32_t a = present[i], b = present[j];
      const int64_t size = static_cast<int64_t>(by_class[static_cast<size_t>(a)].size() +
                                                by_class[static_cast<size_t>(b)].size());
      const bool pre = size <= kMaxPrecomputedRows;
      jobs.push_back({a, b, size, pre});
      any_sparse |= !pre;
      if (pre) blocked[static_cast<size_t>(a)] = blocked[static_cast<size_t>(b)] = true;
    }
  {
    const auto& ra = by_class[static_cast<size_t>(jobs[0].a)];
    std::vector<double> y(ra.size(), 1.0);
    std::vector<svm_node*> x(ra.size());  // C-SVC's check reads the parameters only
    const svm_problem probe{static_cast<int>(ra.size()), y.data(), x.data()};
    const char* error = svm_check_parameter(&probe, &param);
    NNLAB_CHECK(error == nullptr, "svm: libsvm rejects the parameters: {}", error ? error : "");
  }

  const SparseRows sparse = any_sparse ? sparse_rows(rows) : SparseRows{};
  std::vector<ClassBlock> blocks(static_cast<size_t>(classes));
  parallel_for(classes, [&](int64_t c) {
    if (blocked[static_cast<size_t>(c)])
      blocks[static_cast<size_t>(c)] =
          class_block(options_, gamma, rows, by_class[static_cast<size_t>(c)]);
  });
  // The largest problems first, so that the dynamic schedule ends with the small ones.
  std::vector<int64_t> order(jobs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) {
    return jobs[static_cast<size_t>(x)].size > jobs[static_cast<size_t>(y)].size;
  });
  std::vector<PairResult> results(jobs.size());
  std::vector<NodeBuffer> buffers(static_cast<size_t>(omp_get_max_threads()));
  parallel_for(static_cast<int64_t>(jobs.size()), [&](int64_t i) {
    const size_t p = static_cast<size_t>(order[static_cast<size_t>(i)]);
    const Job& job = jobs[p];
    const auto &ra = by_class[static_cast<size_t>(job.a)],
               &rb = by_class[static_cast<size_t>(job.b)];
    results[p] = job.precomputed
                     ? train_precomputed(param, options_, gamma, blocks[static_cast<size_t>(job.a)],
                                         blocks[static_cast<size_t>(job.b)], ra, rb,
                                         buffers[static_cast<size_t>(omp_get_thread_num())])
                     : train_sparse(param, sparse, ra, rb);
  });
  blocks.clear();
  buffers.clear();

  // The union of the pairs' support vectors, ascending, stored densely for prediction.
  std::vector<int32_t> position(static_cast<size_t>(n), -1);
  for (const PairResult& r : results)
    for (const int64_t row : r.rows) position[static_cast<size_t>(row)] = 0;
  std::vector<int64_t> support;
  for (int64_t r = 0; r < n; ++r)
    if (position[static_cast<size_t>(r)] == 0) {
      position[static_cast<size_t>(r)] = static_cast<int32_t>(support.size());
      support.push_back(r);
    }
  std::vector<Pair> pairs(results.size());
  for (size_t p = 0; p < results.size(); ++p) {
    pairs[p].rho = results[p].rho;
    pairs[p].coef = std::move(results[p].coef);
    for (const int64_t row : results[p].rows)
      pairs[p].sv.push_back(position[static_cast<size_t>(row)]);
  }
  const int64_t s = static_cast<int64_t>(support.size());
  std::vector<double> sv(static_cast<size_t>(s * d)), sv_norm(static_cast<size_t>(s));
  for (int64_t i = 0; i < s; ++i) {
    const float* x = rows.row(support[static_cast<size_t>(i)]);
    double sq = 0;
    for (int64_t j = 0; j < d; ++j) {
      sv[static_cast<size_t>(i * d + j)] = x[j];
      sq += static_cast<double>(x[j]) * x[j];
    }
    sv_norm[static_cast<size_t>(i)] = sq;
  }

  gamma_ = gamma;
  d_ = d;
  present_ = std::move(present);
  pairs_ = std::move(pairs);
  support_ = std::move(support);
  sv_ = std::move(sv);
  sv_norm_ = std::move(sv_norm);
}

void KernelSvm::decide(const float* x, int64_t count, double* dec) const {
  const int64_t s = static_cast<int64_t>(support_.size());
  const Eigen::Map<const RowsD> sv(sv_.data(), s, d_);
  const RowsD xb = Eigen::Map<const RowsF>(x, count, d_).cast<double>();
  RowsD k = xb * sv.transpose();  // [count, S] dot products
  const double g = gamma_, c0 = options_.coef0;
  switch (options_.kernel) {
    case SvmOptions::rbf: {
      const Eigen::VectorXd xn = xb.rowwise().squaredNorm();
      const Eigen::Map<const Eigen::Array<double, 1, Eigen::Dynamic>> sn(sv_norm_.data(), s);
      // |x - y|^2 = |x|^2 + |y|^2 - 2 x.y, which rounding can take just below 0.
      for (int64_t i = 0; i < count; ++i)
        k.row(i).array() = ((sn + xn(i) - 2 * k.row(i).array()).max(0.0) * -g).exp();
      break;
    }
    case SvmOptions::poly:
      k = k.unaryExpr([&](double v) { return powi(g * v + c0, options_.degree); });
      break;
    case SvmOptions::sigmoid:
      k = k.unaryExpr([&](double v) { return std::tanh(g * v + c0); });
      break;
    case SvmOptions::linear:
      break;
  }
  const size_t num_pairs = pairs_.size();
  for (int64_t i = 0; i < count; ++i) {
    const double* ki = k.data() + i * s;
    for (size_t p = 0; p < num_pairs; ++p) {
      const Pair& pair = pairs_[p];
      double sum = 0;
      for (size_t e = 0; e < pair.sv.size(); ++e) sum += pair.coef[e] * ki[pair.sv[e]];
      dec[static_cast<size_t>(i) * num_pairs + p] = sum - pair.rho;
    }
  }
}

template <class F>
void KernelSvm::for_blocks(const Tensor& rows, F&& f) const {
  NNLAB_CHECK(fitted(), "svm: predict before fit");
  NNLAB_CHECK(rows.rank() >= 2 && row_width(rows) == d_,
              "svm: fitted on rows of {} features, given rows {}", d_, shape_str(rows.shape()));
  NNLAB_CHECK(all_finite(rows), "svm: the rows to predict hold a NaN or infinite value");
  const int64_t m = rows.rows();
  const int64_t block = std::clamp<int64_t>(
      kBlockValues / std::max<int64_t>(1, static_cast<int64_t>(support_.size())), 16, 256);
  const int64_t blocks = (m + block - 1) / block;
  const size_t num_pairs = pairs_.size();
#pragma omp parallel
  {
    std::vector<double> dec(static_cast<size_t>(block) * num_pairs);
#pragma omp for schedule(dynamic, 1)
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t first = b * block, count = std::min(block, m - first);
      decide(rows.row(first), count, dec.data());
      f(first, count, dec.data());
    }
  }
}

Tensor KernelSvm::decision_values(ExecContext&, const Tensor& rows) const {
  const int64_t num_pairs = static_cast<int64_t>(pairs_.size());
  Tensor out({rows.rank() >= 1 ? rows.rows() : 0, num_pairs});
  for_blocks(rows, [&](int64_t first, int64_t count, const double* dec) {
    for (int64_t i = 0; i < count * num_pairs; ++i)
      out[first * num_pairs + i] = static_cast<float>(dec[i]);
  });
  return out;
}

Predictions KernelSvm::predict(ExecContext&, const Tensor& rows) const {
  Predictions out;
  const int64_t m = rows.rank() >= 1 ? rows.rows() : 0;
  out.classes.resize(static_cast<size_t>(m));
  out.confidence.resize(static_cast<size_t>(m));
  const size_t k = present_.size(), num_pairs = pairs_.size();
  for_blocks(rows, [&](int64_t first, int64_t count, const double* dec) {
    std::vector<int> votes(k);
    for (int64_t i = 0; i < count; ++i) {
      // libsvm's vote: pair (a, b) votes a when its decision value is > 0, else b; the first
      // class with the most votes wins.
      std::fill(votes.begin(), votes.end(), 0);
      size_t p = 0;
      for (size_t a = 0; a < k; ++a)
        for (size_t b = a + 1; b < k; ++b, ++p)
          ++votes[dec[static_cast<size_t>(i) * num_pairs + p] > 0 ? a : b];
      const size_t win =
          static_cast<size_t>(std::max_element(votes.begin(), votes.end()) - votes.begin());
      out.classes[static_cast<size_t>(first + i)] = present_[win];
      out.confidence[static_cast<size_t>(first + i)] =
          static_cast<float>(votes[win]) / static_cast<float>(k - 1);
    }
  });
  return out;
}

}  // namespace nnlab
