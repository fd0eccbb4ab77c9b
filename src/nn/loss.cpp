#include "nn/loss.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <type_traits>
#include <utility>

#include "tensor/elementwise.hpp"
#include "tensor/error.hpp"
#include "tensor/vector_math.hpp"

namespace nnlab {

namespace {

/// Softmax cross-entropy on logits [N, K] against labels in [0, K), the target of each sample
/// being q = (1 - e) onehot + e / K for label smoothing e (Szegedy et al. 2016; 0 = plain): the
/// mean over the batch of logsumexp(z) - sum_c q_c z_c; the gradient is (softmax(z) - q) / N.
class CrossEntropy : public Loss {
 public:
  explicit CrossEntropy(float label_smoothing) : smoothing_(label_smoothing) {
    NNLAB_CHECK(smoothing_ >= 0 && smoothing_ < 1,
                "cross_entropy: label smoothing must be in [0, 1), got {}", smoothing_);
  }
  std::string name() const override { return "cross_entropy"; }
  Head head() const override { return Head::softmax; }

  double compute(const Tensor& out, const Targets& t, Tensor* dout) const override {
    const int64_t n = out.rows(), k = out.cols();
    NNLAB_CHECK(out.rank() >= 2 && k > 0, "cross_entropy expects logits [N, K], got {}",
                shape_str(out.shape()));
    NNLAB_CHECK(static_cast<int64_t>(t.labels.size()) == n,
                "cross_entropy: {} labels for a batch of {}", t.labels.size(), n);
    if (dout) dout->resize(out.shape());
    if (n == 0) return 0.0;
    double total = 0.0;
    for (int64_t r = 0; r < n; ++r) {
      const int32_t label = t.labels[static_cast<size_t>(r)];
      NNLAB_CHECK(label >= 0 && label < k,
                  "cross_entropy: label {} of sample {} is outside [0, {}) (the model has {} "
                  "outputs)",
                  label, r, k, k);
      const float* z = out.row(r);
      // Shifting by the row maximum keeps exp in range; log-sum-exp is shifted back after.
      const float mx = *std::max_element(z, z + k);
      double sum = 0.0, z_sum = 0.0;
      for (int64_t c = 0; c < k; ++c) {
        sum += std::exp(static_cast<double>(z[c] - mx));
        z_sum += z[c];
      }
      total += std::log(sum) + mx - (1.0 - smoothing_) * z[label] -
               smoothing_ * z_sum / static_cast<double>(k);
      if (dout) {
        float* d = dout->row(r);
        const double scale = 1.0 / (sum * static_cast<double>(n));
        const double off = smoothing_ / static_cast<double>(k * n);  // q_c / N off the label
        for (int64_t c = 0; c < k; ++c)
          d[c] = static_cast<float>(std::exp(static_cast<double>(z[c] - mx)) * scale - off);
        d[label] -= static_cast<float>((1.0 - smoothing_) / static_cast<double>(n));
      }
    }
    return total / static_cast<double>(n);
  }

 private:
  double smoothing_;
};

// The sum of term(i, gradient) over [0, m) in one vectorized pass, where term writes element i
// of the gradient too when `gradient` is std::true_type: called so when there is a gradient to
// write, so that no branch is left in the loop (GCC would not vectorize it).
template <class Term>
double sum_terms(int64_t m, bool gradient, Term term) {
  if (gradient) return elementwise_sum(m, [=](int64_t i) { return term(i, std::true_type{}); });
  return elementwise_sum(m, [=](int64_t i) { return term(i, std::false_type{}); });
}

void check_values(const std::string& loss, const Tensor& out, const Targets& t) {
  NNLAB_CHECK(t.values != nullptr, "{} needs target values, got none (labels only?)", loss);
  // Compared sample by sample as flat values: a dense autoencoder's [N, 784] output
  // reconstructs its [N, 1, 28, 28] input.
  NNLAB_CHECK(t.values->rows() == out.rows() && t.values->cols() == out.cols(),
              "{}: targets of shape {} do not match the model's output {}", loss,
              shape_str(t.values->shape()), shape_str(out.shape()));
}

/// Mean squared error over every element: mean((out - target)^2).
class Mse : public Loss {
 public:
  std::string name() const override { return "mse"; }

  double compute(const Tensor& out, const Targets& t, Tensor* dout) const override {
    check_values(name(), out, t);
    if (dout) dout->resize(out.shape());
    const int64_t m = out.size();
    if (m == 0) return 0.0;
    const float* y = t.values->data();
    const float* o = out.data();
    float* d = dout ? dout->data() : nullptr;
    const float scale = 2.0f / static_cast<float>(m);
    const double total = sum_terms(m, d != nullptr, [=](int64_t i, auto gradient) {
      const float diff = o[i] - y[i];
      if constexpr (gradient) d[i] = scale * diff;
      return static_cast<double>(diff) * diff;
    });
    return total / static_cast<double>(m);
  }
};

/// Binary cross-entropy with the sigmoid fused in, on logits z, averaged over every element:
/// max(z, 0) - z t + log1p(exp(-|z|)) = -t log s(z) - (1 - t) log(1 - s(z)), exact for any z,
/// with the gradient (s(z) - t) / M. On probabilities, as PyTorch's BCELoss takes them, the
/// loss would need a clamp whose gradient vanishes at saturation (z = -40 with t = 1 would get
/// 1e-10 of the true gradient); this is BCEWithLogitsLoss.
class BinaryCrossEntropy : public Loss {
 public:
  std::string name() const override { return "binary_cross_entropy"; }
  Head head() const override { return Head::sigmoid; }

  double compute(const Tensor& out, const Targets& t, Tensor* dout) const override {
    check_values(name(), out, t);
    if (dout) dout->resize(out.shape());
    const int64_t m = out.size();
    if (m == 0) return 0.0;
    // One pass: per element u = e^-|z|, the loss max(z, 0) + log1p(u) - z y and the gradient
    // (sigmoid(z) - y) / M, sigmoid(z) = 1 / (1 + u) for z >= 0, u / (1 + u) below. (A pass
    // per function, on oneDNN's exp and sigmoid, took 4x as long on S5's autoencoder.)
    const float* z = out.data();
    const float* y = t.values->data();
    float* d = dout ? dout->data() : nullptr;
    const auto scale = static_cast<float>(1.0 / static_cast<double>(m));
    const double total = sum_terms(m, d != nullptr, [=](int64_t i, auto gradient) {
      const float u = exp_nonpositive(-std::abs(z[i]));
      if constexpr (gradient) {
        const float r = 1.0f / (1.0f + u);
        d[i] = (pick(z[i] >= 0.0f, r, u * r) - y[i]) * scale;
      }
      const float softplus = std::max(z[i], 0.0f) + log1p_unit(u);
      return static_cast<double>(softplus) - double{z[i]} * y[i];
    });
    return total / static_cast<double>(m);
  }
};

using LossFactory = std::function<std::unique_ptr<Loss>(float label_smoothing)>;

const std::vector<std::pair<std::string, LossFactory>>& loss_registry() {
  static const std::vector<std::pair<std::string, LossFactory>> r = {
      {"cross_entropy", [](float e) { return std::make_unique<CrossEntropy>(e); }},
      {"mse", [](float) { return std::make_unique<Mse>(); }},
      {"binary_cross_entropy", [](float) { return std::make_unique<BinaryCrossEntropy>(); }},
  };
  return r;
}

}  // namespace

std::unique_ptr<Loss> make_loss(const std::string& name, float label_smoothing) {
  NNLAB_CHECK(label_smoothing == 0 || name == "cross_entropy",
              "label smoothing applies to cross_entropy only, not to '{}'", name);
  for (const auto& [n, make] : loss_registry())
    if (n == name) return make(label_smoothing);
  throw Error(
      fmt::format("unknown loss '{}'; known losses: {}", name, fmt::join(loss_names(), ", ")));
}

std::vector<std::string> loss_names() {
  std::vector<std::string> names;
  for (const auto& entry : loss_registry()) names.push_back(entry.first);
  return names;
}

}  // namespace nnlab
