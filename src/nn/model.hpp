// Model: a sequence of layers built at run time, owning one arena of parameter values, one of
// gradients and one of buffers (layers' Parameters and Buffers are views into them).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "nn/head.hpp"
#include "nn/layer.hpp"

namespace nnlab {

/// The state of one forward pass over a range of a model's layers, owned by its caller: each
/// layer's context (its output and what its backward needs). A trainer, an evaluation and a
/// figure each keep their own, so passes never disturb one another, and an encoder and a decoder
/// are two passes over two ranges of one model. Reused from batch to batch, its buffers keep
/// their size: no allocation once shapes are known.
struct Pass {
  std::vector<LayerContext> contexts;  // one per layer of the model; [first, last) hold this pass
  int first = 0, last = 0;
  // The output of layer last-1 and the input gradient made plain, when the layers left them
  // blocked (nn/layer.hpp).
  Tensor plain_output, plain_input_gradient;
  // Model::backward's: an activation's derivative applied to the gradient of the max pool after
  // it, in the pool's output layout.
  Tensor pool_gradient;

  /// The output of the pass (layer last-1's), always plain NCHW.
  const Tensor& output() const;
  /// The context of layer i of the model, which the pass must have run (activations).
  const LayerContext& context(int i) const;
  /// dL/dx of the pass's input, after a backward asked for it.
  const Tensor& input_gradient() const;
};

class Model {
 public:
  /// Builds every layer for a per-sample `input` shape, allocates the arenas, binds the
  /// parameters and buffers and initializes them from `init_rng`. With `max_params` > 0 a model
  /// with more parameters is refused (nnlab::Error "model.max_params is ...") from the layers'
  /// shapes alone, before any arena is allocated. The model computes on `exec`, which must
  /// outlive it: a model belongs to one worker.
  Model(ExecContext& exec, Shape input, std::vector<LayerPtr> layers, Head head, Rng& init_rng,
        int64_t max_params = 0);
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  /// Runs layers [first, last) on x ([N, shape of layer first's input...]); last = -1 means
  /// all. Fills `pass` (x must outlive it) and returns the output of layer last-1 (logits: no
  /// head).
  const Tensor& forward(const Tensor& x, Mode mode, Rng& rng, Pass& pass, int first = 0,
                        int last = -1);
  /// Back-propagates dy through the layers of `pass`; the gradients of the parameters of the
  /// pass's layers are assigned in the gradient arena. With `input_grad`, dL/dx of the pass's input
  /// is kept for pass.input_gradient(); without, the pass's first layer skips that product (nothing
  /// reads it: the first layer of a model never needs it).
  void backward(Pass& pass, const Tensor& dy, bool input_grad = false);
  /// Layer i's output in `pass` as plain NCHW: the context's own, or a plain copy in `scratch`
  /// when the layer kept oneDNN's blocked layout (nn/layer.hpp). A layer that applied the
  /// activation after it (Layer::applies_post_op) holds the activation's output.
  const Tensor& activation(const Pass& pass, int i, Tensor& scratch);
  /// Eval-mode forward of the whole model plus the head: class probabilities for a softmax
  /// head, probabilities for a sigmoid head. Runs on a pass of its own.
  void predict(const Tensor& x, Tensor& out, Rng& rng);

  /// Sum of the L1 and L2 penalty terms of every parameter (part of the training loss).
  double penalty() const;

  std::span<float> values() { return {values_.data(), values_.size()}; }
  std::span<const float> values() const { return {values_.data(), values_.size()}; }
  std::span<float> grads() { return {grads_.data(), grads_.size()}; }
  const std::vector<Parameter*>& parameters() const { return params_; }
  int64_t parameter_count() const { return static_cast<int64_t>(values_.size()); }
  /// The non-trainable state (batch norm's running statistics) in one flat span, apart from the
  /// parameters: optimizers never see it; checkpoints, model files and early stopping do.
  std::span<float> buffer_values() { return {buffers_.data(), buffers_.size()}; }
  std::span<const float> buffer_values() const { return {buffers_.data(), buffers_.size()}; }
  const std::vector<Buffer*>& buffers() const { return buffer_list_; }
  int64_t buffer_count() const { return static_cast<int64_t>(buffers_.size()); }

  int layer_count() const { return static_cast<int>(layers_.size()); }
  /// The index of the code layer that splits an autoencoder (nn/code.hpp), -1 without one: the
  /// encoder is layers [0, code_layer()], the decoder (code_layer(), layer_count()).
  int code_layer() const;
  Layer& layer(int i) { return *layers_[static_cast<size_t>(i)]; }
  const Layer& layer(int i) const { return *layers_[static_cast<size_t>(i)]; }
  const Shape& input_shape() const { return input_; }
  const Shape& output_shape() const;
  Head head() const { return head_; }
  ExecContext& exec() const { return *exec_; }

  /// Table of layers, output shapes and trainable parameter counts, then the buffer count.
  std::string summary() const;

 private:
  ExecContext* exec_;
  Shape input_;
  std::vector<LayerPtr> layers_;
  Head head_;
  // post_op_[i]: the activation of layer i + 1 that layer i applies (Layer::applies_post_op)
  // when a pass runs both; empty where none.
  std::vector<PostOp> post_op_;
  // before_pool_[i]: layer i is an activation whose derivative is a function of its output and
  // layer i + 1 a max pool of disjoint windows; backward applies the derivative to the pool's
  // gradient instead of its input's (Model::backward).
  std::vector<bool> before_pool_;
  std::vector<float> values_, grads_, buffers_;
  std::vector<Parameter*> params_;
  std::vector<Buffer*> buffer_list_;
};

}  // namespace nnlab
