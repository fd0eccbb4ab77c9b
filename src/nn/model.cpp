#include "nn/model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "nn/activation_layer.hpp"
#include "nn/dnnl_util.hpp"
#include "nn/pool2d.hpp"
#include "tensor/error.hpp"

namespace nnlab {

namespace {

// 1333770 -> "1,333,770"
std::string with_commas(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

Model::Model(ExecContext& exec, Shape input, std::vector<LayerPtr> layers, Head head, Rng& init_rng,
             int64_t max_params)
    : exec_(&exec), input_(std::move(input)), layers_(std::move(layers)), head_(head) {
  NNLAB_CHECK(!layers_.empty(), "a model needs at least one layer");
  NNLAB_CHECK(std::count_if(layers_.begin(), layers_.end(),
                            [](const LayerPtr& l) { return l->kind() == "code"; }) <= 1,
              "a model has at most one code layer (the split between encoder and decoder)");
  Shape shape = input_;
  for (auto& layer : layers_) shape = layer->build(shape);

  int64_t total = 0;
  for (auto& layer : layers_)
    for (Parameter& p : layer->parameters()) {
      params_.push_back(&p);
      total += shape_size(p.shape);
    }
  // build() only declared shapes: an oversized model is refused before it costs any memory.
  NNLAB_CHECK(max_params <= 0 || total <= max_params,
              "model.max_params is {} but the model has {} parameters", max_params, total);
  values_.assign(static_cast<size_t>(total), 0.0f);
  grads_.assign(static_cast<size_t>(total), 0.0f);
  // One arena each for values and gradients: parameters are consecutive views, so optimizers
  // and checkpoints see one flat span (STYLE.md rule 4).
  int64_t offset = 0;
  for (Parameter* p : params_) {
    p->value = Tensor::view(values_.data() + offset, p->shape);
    p->grad = Tensor::view(grads_.data() + offset, p->shape);
    offset += shape_size(p->shape);
  }
  int64_t buffer_total = 0;
  for (auto& layer : layers_)
    for (Buffer& b : layer->buffers()) {
      buffer_list_.push_back(&b);
      buffer_total += shape_size(b.shape);
    }
  buffers_.assign(static_cast<size_t>(buffer_total), 0.0f);
  offset = 0;
  for (Buffer* b : buffer_list_) {
    b->value = Tensor::view(buffers_.data() + offset, b->shape);
    offset += shape_size(b->shape);
  }
  for (auto& layer : layers_) layer->init(init_rng);
  post_op_.assign(layers_.size(), PostOp{});
  for (size_t i = 0; i + 1 < layers_.size(); ++i)
    if (const auto* act = dynamic_cast<const Activation*>(layers_[i + 1].get()))
      if (const PostOp op = act->as_post_op(); op && layers_[i]->applies_post_op(op))
        post_op_[i] = op;
  before_pool_.assign(layers_.size(), false);
  for (size_t i = 0; i + 1 < layers_.size(); ++i) {
    const auto* act = dynamic_cast<const Activation*>(layers_[i].get());
    const auto* pool = dynamic_cast<const Pool2d*>(layers_[i + 1].get());
    before_pool_[i] = act && act->as_post_op() && pool && pool->routes_each_gradient_to_one_input();
  }
}

const LayerContext& Pass::context(int i) const {
  NNLAB_CHECK(first <= i && i < last, "layer {} was not run by this pass (layers [{}, {}))", i,
              first, last);
  return contexts[static_cast<size_t>(i)];
}

const Tensor& Pass::output() const {
  const Tensor& y = contexts[static_cast<size_t>(last - 1)].y;
  return y.plain() ? y : plain_output;
}

const Tensor& Pass::input_gradient() const {
  NNLAB_CHECK(last > first && contexts[static_cast<size_t>(first)].input_grad,
              "the pass's input gradient was not computed: backward(pass, dy, true) keeps it");
  const Tensor& dx = contexts[static_cast<size_t>(first)].dx;
  return dx.plain() ? dx : plain_input_gradient;
}

const Shape& Model::output_shape() const { return layers_.back()->output_shape(); }

int Model::code_layer() const {
  for (int i = 0; i < layer_count(); ++i)
    if (layers_[static_cast<size_t>(i)]->kind() == "code") return i;
  return -1;
}

const Tensor& Model::forward(const Tensor& x, Mode mode, Rng& rng, Pass& pass, int first,
                             int last) {
  if (last < 0) last = layer_count();
  NNLAB_CHECK(0 <= first && first < last && last <= layer_count(),
              "model forward: layer range [{}, {}) is not within [0, {}]", first, last,
              layer_count());
  pass.contexts.resize(layers_.size());
  pass.first = first;
  pass.last = last;
  const Tensor* in = &x;
  for (int i = first; i < last; ++i) {
    LayerContext& ctx = pass.contexts[static_cast<size_t>(i)];
    ctx.mode = mode;
    ctx.rng = &rng;
    ctx.exec = exec_;
    ctx.post_op = i + 1 < last ? post_op_[static_cast<size_t>(i)] : PostOp{};
    ctx.input_activated = i > first && post_op_[static_cast<size_t>(i - 1)];
    layers_[static_cast<size_t>(i)]->forward(*in, ctx);
    in = &ctx.y;
  }
  if (in->plain()) return *in;
  relayout(exec_->stream(), *in, 0, pass.plain_output);
  return pass.plain_output;
}

const Tensor& Model::activation(const Pass& pass, int i, Tensor& scratch) {
  const Tensor& y = pass.context(i).y;
  if (y.plain()) return y;
  relayout(exec_->stream(), y, 0, scratch);
  return scratch;
}

void Model::backward(Pass& pass, const Tensor& dy, bool input_grad) {
  NNLAB_CHECK(pass.last > pass.first && pass.contexts.size() == layers_.size(),
              "model backward called without a forward pass of this model");
  // Below the pass's first layer with parameters no gradient is needed: that layer skips its
  // input gradient (for a dense or conv layer a third of the backward FLOPs) and the
  // parameterless layers before it are not run backward at all.
  int first_param = pass.first;
  while (first_param < pass.last && layers_[static_cast<size_t>(first_param)]->parameters().empty())
    ++first_param;
  const int stop = input_grad ? pass.first : first_param;
  const Tensor* g = &dy;
  for (int i = pass.last - 1; i >= stop; --i) {
    LayerContext& ctx = pass.contexts[static_cast<size_t>(i)];
    ctx.input_grad = i > stop || input_grad;
    if (i > stop && before_pool_[static_cast<size_t>(i - 1)]) {
      // An activation f, then a max pool of disjoint windows: the pool's gradient reaches only
      // the inputs it picked, each of which is its output, so f' at the pool's output times the
      // pool's gradient, routed back by the pool, is the activation's input gradient, with the
      // same values, from a quarter of the elements (for 2x2 windows) in one pass fewer.
      LayerContext& act = pass.contexts[static_cast<size_t>(i - 1)];
      const Tensor* pool_dy = g;
      if (g->channel_block() != ctx.y.channel_block()) {
        relayout(exec_->stream(), *g, ctx.y.channel_block(), ctx.relaid_dy);
        pool_dy = &ctx.relaid_dy;
      }
      static_cast<Activation&>(*layers_[static_cast<size_t>(i - 1)])
          .backward_at_output(ctx.y, *pool_dy, pass.pool_gradient, *exec_);
      layers_[static_cast<size_t>(i)]->backward(ctx, pass.pool_gradient);
      std::swap(act.dx, ctx.dx);  // the activation's input gradient, where its backward puts it
      act.input_grad = i - 1 > stop || input_grad;
      g = &act.dx;
      --i;
      continue;
    }
    layers_[static_cast<size_t>(i)]->backward(ctx, *g);
    g = &ctx.dx;
  }
  if (input_grad && !g->plain()) relayout(exec_->stream(), *g, 0, pass.plain_input_gradient);
}

void Model::predict(const Tensor& x, Tensor& out, Rng& rng) {
  Pass pass;
  out = forward(x, Mode::eval, rng, pass);
  if (head_ == Head::softmax) softmax_rows(out.data(), out.data(), out.rows(), out.cols());
  if (head_ == Head::sigmoid) sigmoid_values(out.data(), out.data(), out.size());
}

double Model::penalty() const {
  double total = 0.0;
  for (const Parameter* p : params_) {
    if (!p->is_weight || (p->reg.l1 == 0.0f && p->reg.l2 == 0.0f)) continue;
    double l1 = 0.0, l2 = 0.0;
    for (float w : p->value.span()) {
      l1 += std::abs(w);
      l2 += static_cast<double>(w) * w;
    }
    total += p->reg.l1 * l1 + p->reg.l2 * l2;
  }
  return total;
}

std::string Model::summary() const {
  using Row = std::array<std::string, 4>;  // layer, description, output shape, parameters
  std::vector<Row> rows = {{"input", "", shape_str(input_), ""}};
  for (const auto& layer : layers_) {
    int64_t count = 0;
    for (const Parameter& p : layer->parameters()) count += shape_size(p.shape);
    rows.push_back(
        {layer->name(), layer->describe(), shape_str(layer->output_shape()), with_commas(count)});
  }
  if (head_ != Head::none)
    rows.push_back({"head",
                    head_ == Head::softmax ? "softmax (in predict)" : "sigmoid (in predict)",
                    shape_str(output_shape()), ""});

  // Columns as wide as their widest entry, so long descriptions stay aligned.
  Row header = {"layer", "description", "output shape", "parameters"};
  std::array<size_t, 4> w{};
  for (size_t c = 0; c < 4; ++c) w[c] = header[c].size();
  for (const Row& r : rows)
    for (size_t c = 0; c < 4; ++c) w[c] = std::max(w[c], r[c].size());
  const auto line = [&w](const Row& r) {
    return fmt::format("{:<{}} {:<{}} {:<{}} {:>{}}\n", r[0], w[0], r[1], w[1], r[2], w[2], r[3],
                       w[3]);
  };
  const std::string rule(w[0] + w[1] + w[2] + w[3] + 3, '-');
  std::string s = line(header) + rule + "\n";
  for (const Row& r : rows) s += line(r);
  s += rule + "\n";
  s += fmt::format("Total parameters: {}\n", with_commas(parameter_count()));
  if (buffer_count() > 0)
    s += fmt::format("Buffers (not trained): {}\n", with_commas(buffer_count()));
  return s;
}

}  // namespace nnlab
