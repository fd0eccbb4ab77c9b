// Layer: the contract every layer keeps (STYLE.md rules 1-3).
//
//   N = batch size; a sample's shape excludes N (a dense input is [F], an image [C, H, W]).
//
//   build(in)        called once by the Model: checks the per-sample input shape, declares the
//                    layer's parameters and buffers (shapes only) and returns the per-sample
//                    output shape.
//   init(rng)        fills the parameters and buffers (after the Model has bound them to its
//                    arenas).
//   forward(x, ctx)  x: [N, in...]. Writes ctx.y = [N, out...] and whatever backward needs into
//                    ctx (saved tensors are reused from batch to batch: no allocation once shapes
//                    are known). ctx.x points at x, which must stay alive until backward.
//   backward(ctx, dy)  dy: [N, out...]. ASSIGNS ctx.dx = dL/dx when ctx.input_grad (a pass's
//                    first layer skips it: nothing consumes it, and for a dense or conv layer it
//                    is a third of the backward FLOPs), and ASSIGNS dL/dparam to each
//                    parameter's grad (an empty batch's: zeros). Assigning, not adding, spares
//                    the optimizer a sweep that zeroes the gradient arena, and the products a
//                    read of it.
//
// Layouts: an image batch may come with its channels blocked (Tensor::channel_block). A layer
// whose takes_blocked() is true receives x as it comes and writes y in a layout of its choice;
// any other layer receives x plain. backward_impl receives dy in the layout of ctx.y and writes
// ctx.dx in the layout of the x it received. The public calls convert where a neighbour's layout
// differs.
//
// Fused activations: a layer whose applies_post_op() is true applies ctx.post_op, the
// element-wise activation of the layer after it, to its output as it writes it (a oneDNN eltwise
// post-op: one pass over the output instead of two). The Model sets it up per pass
// (Activation::as_post_op says which activations can be applied so); that activation layer then
// receives ctx.input_activated and passes its input through.
//
// The public calls check shapes once and name the layer in the error; the virtual *_impl
// methods trust their inputs.
#pragma once

#include <compare>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <vector>

#include "nn/parameter.hpp"
#include "tensor/exec_context.hpp"
#include "tensor/rng.hpp"
#include "tensor/tensor.hpp"

namespace nnlab {

enum class Mode { train, eval };

/// An element-wise function a primitive applies to its output as it writes it: oneDNN's eltwise
/// post-op, with its algorithm's alpha and beta. Empty (algorithm undef): none.
struct PostOp {
  dnnl::algorithm algorithm = dnnl::algorithm::undef;
  float alpha = 0.0f, beta = 0.0f;

  explicit operator bool() const { return algorithm != dnnl::algorithm::undef; }
  auto operator<=>(const PostOp&) const = default;  // a key of the layers' primitive caches
};

/// What one forward pass leaves for its backward. Owned by the caller, one per layer.
struct LayerContext {
  const Tensor* x = nullptr;   // the input of the forward pass
  Tensor y;                    // output
  Tensor dx;                   // gradient with respect to x, written by backward
  Tensor saved;                // layer-specific: a dropout mask, a pre-activation, ...
  Tensor relaid_x, relaid_dy;  // x and dy converted to the layouts the layer works in
  Mode mode = Mode::train;
  bool input_grad = true;  // whether backward must assign dx
  // Set by the Model (see the top of the file): the activation this layer applies to its
  // output, and for that activation's own layer, that its x holds its output already.
  PostOp post_op;
  bool input_activated = false;
  Rng* rng = nullptr;           // the run's generator, for dropout and noise
  ExecContext* exec = nullptr;  // the worker's stream and thread budget
};

class Layer {
 public:
  explicit Layer(std::string name) : name_(std::move(name)) {}
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  /// "dense", "relu", "dropout": the registry name of the layer's kind.
  virtual std::string kind() const = 0;
  /// One-line description for the model summary: "dense(500)", "dropout(p=0.5)".
  virtual std::string describe() const { return kind(); }

  Shape build(const Shape& in);
  const Shape& input_shape() const { return in_shape_; }
  const Shape& output_shape() const { return out_shape_; }

  virtual void init(Rng& /*rng*/) {}
  void forward(const Tensor& x, LayerContext& ctx);
  void backward(LayerContext& ctx, const Tensor& dy);

  /// Whether forward_impl can apply `op` to its output as ctx.post_op (see the top of the file),
  /// with the values the activation layer itself computes.
  virtual bool applies_post_op(const PostOp& /*op*/) const { return false; }

  std::vector<Parameter>& parameters() { return params_; }
  const std::vector<Parameter>& parameters() const { return params_; }
  std::vector<Buffer>& buffers() { return buffers_; }
  const std::vector<Buffer>& buffers() const { return buffers_; }

 protected:
  /// Whether forward_impl takes an image batch with blocked channels (see the top of the file).
  virtual bool takes_blocked() const { return false; }
  /// Declares the parameters (name prefix added by the caller) and returns the output shape.
  virtual Shape build_impl(const Shape& in) = 0;
  virtual void forward_impl(const Tensor& x, LayerContext& ctx) = 0;
  virtual void backward_impl(LayerContext& ctx, const Tensor& dy) = 0;
  /// Adds a parameter; its views are bound later by the Model.
  Parameter& add_parameter(const std::string& role, Shape shape, bool is_weight);
  /// Adds a non-trainable buffer (running statistics); its view is bound later by the Model.
  Buffer& add_buffer(const std::string& role, Shape shape);

  std::vector<Parameter> params_;
  std::vector<Buffer> buffers_;

 private:
  std::string name_;
  Shape in_shape_, out_shape_;
};

using LayerPtr = std::unique_ptr<Layer>;

}  // namespace nnlab
