// Activation layers: one generic element-wise layer over the structs of activations.hpp, and
// softmax (row-wise, so it cannot be one of them).
//
//   x: [N, ...]  ->  y: [N, ...] (same shape).
//   backward uses ctx.x and ctx.y directly (the Layer contract keeps x alive until backward), so
//   nothing extra is saved.
//
// sigmoid, tanh, elu, gelu and softplus run on oneDNN's eltwise primitives (vector exp, tanh and
// erf; see activation_layer.cpp), relu, leaky_relu and linear (and elu's backward) on plain
// loops.
#pragma once

#include <limits>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nn/layer.hpp"

namespace nnlab {

enum class ActKind { sigmoid, tanh, relu, leaky_relu, elu, gelu, softplus, linear };

/// "relu" -> ActKind::relu; unknown names (softmax included) throw listing the valid ones.
ActKind act_kind(const std::string& name);
std::string act_name(ActKind kind);
/// True for leaky_relu and elu, which take `alpha`.
bool act_has_alpha(ActKind kind);
/// Every activation name a study may use: the element-wise ones, then "softmax".
std::vector<std::string> activation_names();

class Activation : public Layer {
 public:
  /// `alpha` is used by leaky_relu (default 0.01) and elu (default 1); NaN means the default.
  Activation(std::string name, ActKind kind, float alpha = std::numeric_limits<float>::quiet_NaN());
  ~Activation() override;
  std::string kind() const override { return act_name(kind_); }
  std::string describe() const override;
  ActKind act() const { return kind_; }
  float alpha() const { return alpha_; }
  /// This activation as a post-op the layer before can apply (Layer::applies_post_op), or empty
  /// when it cannot be: its backward must be computable from its output alone, with the same
  /// values as its own forward.
  PostOp as_post_op() const;
  /// dx = dy * f' at the points where this activation output y (any tensor of its output
  /// values; dy in y's layout), for an activation as_post_op() accepts: its derivative is a
  /// function of its output alone. Model::backward applies it to the gradient of the max pool
  /// after it, whose windows pick these outputs.
  void backward_at_output(const Tensor& y, const Tensor& dy, Tensor& dx, ExecContext& exec);

 protected:
  bool takes_blocked() const override { return true; }
  Shape build_impl(const Shape& in) override { return in; }
  void forward_impl(const Tensor& x, LayerContext& ctx) override;
  void backward_impl(LayerContext& ctx, const Tensor& dy) override;

 private:
  // oneDNN's primitives for one element count and thread budget (the transcendental kinds).
  struct Primitives;
  Primitives& primitives(int64_t n, int threads);

  ActKind kind_;
  float alpha_;
  std::map<std::pair<int64_t, int>, std::unique_ptr<Primitives>> primitives_;
  Tensor scratchpad_;
};

/// Row-wise softmax over the last dimensions: each sample's values sum to 1. Backward is the
/// Jacobian-vector product dx = y * (dy - sum(dy * y)).
class Softmax : public Layer {
 public:
  explicit Softmax(std::string name) : Layer(std::move(name)) {}
  std::string kind() const override { return "softmax"; }

 protected:
  Shape build_impl(const Shape& in) override { return in; }
  void forward_impl(const Tensor& x, LayerContext& ctx) override;
  void backward_impl(LayerContext& ctx, const Tensor& dy) override;
};

/// Numerically stable softmax of each of `rows` rows of `cols` values (in and out may alias).
void softmax_rows(const float* in, float* out, int64_t rows, int64_t cols);
/// The sigmoid of each of `n` values (in and out may alias), as a sigmoid layer computes it (the
/// same oneDNN primitive, on a stream of its own, with the calling thread's OpenMP budget).
void sigmoid_values(const float* in, float* out, int64_t n);

/// An Activation or a Softmax layer for any name of activation_names().
LayerPtr make_activation(const std::string& layer_name, const std::string& activation,
                         float alpha = std::numeric_limits<float>::quiet_NaN());

}  // namespace nnlab
