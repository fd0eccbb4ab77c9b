#include "perf/step_limit.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <functional>

#include "nn/dnnl_util.hpp"
#include "perf/step_flops.hpp"
#include "tensor/error.hpp"
#include "tensor/gemm.hpp"

namespace nnlab {
namespace {

/// A product to time: what it is, its useful FLOPs per step and one call of it; with an
/// alternative, the faster of the two counts (two oneDNN kernels for the same product).
struct Work {
  std::string label;
  double flops;
  std::function<void()> call;
  std::function<void()> alternative = nullptr;
  std::string alternative_label = "";
};

/// The shape of a batch of n samples of shape `sample`.
Shape batch_of(int64_t n, const Shape& sample) {
  Shape s{n};
  s.insert(s.end(), sample.begin(), sample.end());
  return s;
}

/// The buffers one layer's timed calls read and write: allocated before its timing, and kept at
/// stable addresses (a deque never moves its elements) for the lambdas that point into them.
class Buffers {
 public:
  Tensor& random(const Shape& shape) {
    Tensor& t = store_.emplace_back(shape);
    rng_.fill_uniform(t.span(), -1.0f, 1.0f);
    return t;
  }
  /// Random values in an image batch's layout with channels in blocks of `channel_block`.
  Tensor& random(const Shape& shape, int channel_block, dnnl::stream& stream) {
    if (channel_block == 0) return random(shape);
    Tensor plain(shape);  // freed once relaid: only the blocked copy is read
    rng_.fill_uniform(plain.span(), -1.0f, 1.0f);
    Tensor& blocked = store_.emplace_back();
    relayout(stream, plain, channel_block, blocked);
    return blocked;
  }

 private:
  std::deque<Tensor> store_;
  Rng rng_{1};
};

/// The three gemms of Dense's forward and backward (nn/dense.cpp), on random matrices; for the
/// forward, the faster of sgemm and the layer's own forward (a oneDNN matmul with the bias).
void dense_work(Model& model, Layer& layer, const LayerFlops& f, int64_t n, Buffers& buf,
                std::deque<LayerContext>& contexts, std::vector<Work>& out) {
  const int64_t in = shape_size(layer.input_shape()), units = shape_size(layer.output_shape());
  const float* x = buf.random({n, in}).data();
  const float* w = buf.random({units, in}).data();
  const float* dy = buf.random({n, units}).data();
  float* y = buf.random({n, units}).data();
  float* dw = buf.random({units, in}).data();
  float* dx = buf.random({n, in}).data();
  const auto label = [&](const char* what, int64_t m, int64_t nn, int64_t k) {
    return fmt::format("{} {}: gemm {}x{}x{}", layer.name(), what, m, nn, k);
  };
  const double batch = static_cast<double>(n);
  // The layer's own input shape: an image when a flatten is implied.
  const Tensor* x_batch = &buf.random(batch_of(n, layer.input_shape()));
  LayerContext* ctx = &contexts.emplace_back();
  ctx->mode = Mode::train;
  ctx->exec = &model.exec();
  out.push_back({label("forward", n, units, in), f.forward * batch,
                 [=] { gemm(false, true, n, units, in, 1.0f, x, w, 1.0f, y); },
                 [=, &layer] { layer.forward(*x_batch, *ctx); },
                 fmt::format("{} forward: matmul {}x{}x{}", layer.name(), n, units, in)});
  out.push_back({label("weight gradient", units, in, n), f.weight_grad * batch,
                 [=] { gemm(true, false, units, in, n, 1.0f, dy, x, 1.0f, dw); }});
  if (f.needs_input_grad)
    out.push_back({label("input gradient", n, in, units), f.input_grad * batch,
                   [=] { gemm(false, false, n, in, units, 1.0f, dy, w, 0.0f, dx); }});
}

/// A convolution layer's own forward and backward on random input: its oneDNN primitives, with
/// the input gradient only when counted. x and dy come in the layouts the step gives them
/// (`layouts`: its input's and output's channel blocks in the model's own pass), so no reorder
/// the step does not do is timed. The forward, timed first, leaves what the backward reads in
/// the context.
void conv_work(Model& model, Layer& layer, const LayerFlops& f, int64_t n, Buffers& buf,
               std::deque<LayerContext>& contexts, Rng& rng, std::pair<int, int> layouts,
               std::vector<Work>& out) {
  dnnl::stream& stream = model.exec().stream();
  const Tensor* x = &buf.random(batch_of(n, layer.input_shape()), layouts.first, stream);
  const Tensor* dy = &buf.random(batch_of(n, layer.output_shape()), layouts.second, stream);
  LayerContext* ctx = &contexts.emplace_back();
  ctx->mode = Mode::train;
  ctx->exec = &model.exec();
  ctx->rng = &rng;
  ctx->input_grad = f.needs_input_grad;
  const double batch = static_cast<double>(n);
  out.push_back({fmt::format("{} forward", layer.name()), f.forward * batch,
                 [=, &layer] { layer.forward(*x, *ctx); }});
  out.push_back(
      {fmt::format("{} backward{}", layer.name(), f.needs_input_grad ? "" : " (no input gradient)"),
       (f.weight_grad + f.input_grad) * batch, [=, &layer] { layer.backward(*ctx, *dy); }});
}

/// Runs `call` options.warmup times, then times it call by call; the median of the timed calls.
ProductTime time_call(const std::string& label, double flops, const std::function<void()>& call,
                      const LimitOptions& options) {
  using Clock = std::chrono::steady_clock;
  for (int i = 0; i < options.warmup; ++i) call();
  std::vector<double> times;
  const auto start = Clock::now();
  while (static_cast<int>(times.size()) < options.max_calls &&
         (static_cast<int>(times.size()) < options.min_calls ||
          std::chrono::duration<double>(Clock::now() - start).count() < options.min_seconds)) {
    const auto t0 = Clock::now();
    call();
    times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  const auto mid = times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2);
  std::nth_element(times.begin(), mid, times.end());
  return {.label = label, .flops = flops, .seconds = *mid, .calls = static_cast<int>(times.size())};
}

/// The time of `w`: of its call, or of the faster of its call and its alternative.
ProductTime time_work(const Work& w, const LimitOptions& options) {
  ProductTime t = time_call(w.label, w.flops, w.call, options);
  if (!w.alternative) return t;
  ProductTime alt = time_call(w.alternative_label, w.flops, w.alternative, options);
  return alt.seconds < t.seconds ? alt : t;
}

}  // namespace

StepLimit measure_step_limit(Model& model, int64_t batch, const LimitOptions& options) {
  NNLAB_CHECK(batch > 0, "step limit: batch must be > 0, got {}", batch);
  NNLAB_CHECK(options.min_calls > 0 && options.max_calls >= options.min_calls,
              "step limit: bad repetition counts {} and {}", options.min_calls, options.max_calls);
  // One mechanism for every layer: the work list of a layer with products, then its timing.
  // A layer at a time, its random tensors and contexts freed before the next layer's are
  // made: the measurement then adds one layer's buffers to the process's peak memory, not the
  // whole net's (a benchmark's peak RSS, compared with PyTorch's, stays the training's own).
  const StepFlops flops = useful_flops(model);
  const std::vector<int> blocks = step_layouts(model, batch);
  const auto layouts = [&](int i) { return std::pair{i == 0 ? 0 : blocks[i - 1], blocks[i]}; };
  // The conv layers' backward assigns the model's gradients: keep them as they were.
  const std::vector<float> grads(model.grads().begin(), model.grads().end());
  Rng rng(1);
  StepLimit limit;
  limit.batch = batch;
  for (const LayerFlops& f : flops.layers) {
    Layer& layer = model.layer(f.layer);
    Buffers buf;
    std::deque<LayerContext> contexts;
    std::vector<Work> work;
    if (f.kind == "dense")
      dense_work(model, layer, f, batch, buf, contexts, work);
    else
      conv_work(model, layer, f, batch, buf, contexts, rng, layouts(f.layer), work);
    for (const Work& w : work) {
      limit.products.push_back(time_work(w, options));
      limit.flops += w.flops;
      limit.seconds += limit.products.back().seconds;
    }
  }
  std::copy(grads.begin(), grads.end(), model.grads().begin());
  return limit;
}

std::vector<int> step_layouts(Model& model, int64_t batch) {
  Tensor x(batch_of(batch, model.input_shape()));
  Rng rng(1);
  rng.fill_uniform(x.span(), 0.0f, 1.0f);
  Pass pass;
  model.forward(x, Mode::eval, rng, pass);
  std::vector<int> blocks;
  for (int i = 0; i < model.layer_count(); ++i) blocks.push_back(pass.context(i).y.channel_block());
  return blocks;
}

}  // namespace nnlab
