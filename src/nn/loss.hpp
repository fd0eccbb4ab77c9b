// Losses: a mean over the batch, with the gradient with respect to the model's output.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "nn/head.hpp"
#include "tensor/tensor.hpp"

namespace nnlab {

/// What a batch is scored against: class labels (classification) or target values
/// (regression, reconstruction) shaped like the model's output.
struct Targets {
  std::span<const int32_t> labels;
  const Tensor* values = nullptr;
};

class Loss {
 public:
  virtual ~Loss() = default;
  virtual std::string name() const = 0;
  /// out: [N, ...]. Returns the loss averaged over the batch (and, for MSE and binary
  /// cross-entropy, over output elements as PyTorch does); when dout is non-null writes
  /// dLoss/dout into it (resized to out's shape).
  virtual double compute(const Tensor& out, const Targets& t, Tensor* dout) const = 0;
  /// The squashing the loss applies to the model's output itself (it takes logits), and which
  /// the model therefore applies only for predictions: softmax for cross-entropy, sigmoid for
  /// binary cross-entropy; none for MSE.
  virtual Head head() const { return Head::none; }
};

/// "cross_entropy" (softmax fused, takes logits), "mse", "binary_cross_entropy" (sigmoid fused,
/// takes logits). Unknown names throw with the list of known ones. `label_smoothing` in [0, 1)
/// softens cross-entropy's one-hot targets (PyTorch's label_smoothing); other losses take 0.
std::unique_ptr<Loss> make_loss(const std::string& name, float label_smoothing = 0);
std::vector<std::string> loss_names();

}  // namespace nnlab
