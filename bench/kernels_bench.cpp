// Kernel benchmarks (Google Benchmark): the matrix products and dense layers that dominate the
// SPEC's throughput targets, S2 (784-1024-512-10, batch 512) and S1 (784-500-250-100-10,
// batch 64).
//
//   build-bench/nnlab_bench --benchmark_counters_tabular=true
//   build-bench/nnlab_bench --benchmark_filter='Gemm.*threads:2'   (see bench/README.md)
//
// Every benchmark takes the thread budget as its last argument (an nnlab::ExecContext made in the
// benchmark's thread) and reports GFLOP/s (the "GFLOP" column, a rate: 2*m*n*k per product) and,
// for the layers, samples/s. OPENBLAS_CORETYPE does not matter here (oneDNN's sgemm picks its own
// kernels).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nn/activation_layer.hpp"
#include "nn/batch_norm.hpp"
#include "nn/dense.hpp"
#include "nn/dnnl_util.hpp"
#include "nn/dropout.hpp"
#include "nn/layer.hpp"
#include "nn/loss.hpp"
#include "nn/model.hpp"
#include "optim/optimizer.hpp"
#include "tensor/exec_context.hpp"
#include "tensor/gemm.hpp"
#include "tensor/rng.hpp"
#include "tensor/tensor.hpp"

namespace {

using nnlab::Tensor;

Tensor random_tensor(nnlab::Shape shape, uint64_t seed) {
  Tensor t(std::move(shape));
  // A cheap deterministic fill in [-0.5, 0.5): values only need to be finite and non-trivial.
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (int64_t i = 0; i < t.size(); ++i) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    t[i] = static_cast<float>(s >> 40) / static_cast<float>(1 << 24) - 0.5f;
  }
  return t;
}

void set_flops(benchmark::State& state, double flops_per_iter) {
  state.counters["GFLOP"] =
      benchmark::Counter(flops_per_iter * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// ---------------------------------------------------------------------------------------------
// gemm: C[m x n] = op(A) op(B). Args: m, n, k, trans_a, trans_b, threads.
// The dense layer's three products for batch N, in-features F, units U (W stored [U, F]):
//   forward   y  = x  W^T : m=N, n=U, k=F, trans_b
//   backward  dW = dy^T x : m=U, n=F, k=N, trans_a
//             dx = dy W   : m=N, n=F, k=U
void BM_Gemm(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  const bool ta = state.range(3) != 0, tb = state.range(4) != 0;
  nnlab::ExecContext exec(static_cast<int>(state.range(5)));
  Tensor a = random_tensor({m * k}, 1), b = random_tensor({k * n}, 2), c({m * n});
  for (auto _ : state) {
    nnlab::gemm(ta, tb, m, n, k, 1.0f, a.data(), b.data(), 0.0f, c.data());
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  set_flops(state, 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k));
}

void gemm_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"m", "n", "k", "tA", "tB", "threads"});
  struct Shape3 {
    int64_t m, n, k;
    int ta, tb;
  };
  const std::vector<Shape3> shapes = {
      {512, 1024, 784, 0, 0},  // the brief's plain shape: 512x784 * 784x1024
      // S2 layer 1 (batch 512, 784 -> 1024)
      {512, 1024, 784, 0, 1},  // forward  y = x W^T
      {1024, 784, 512, 1, 0},  // backward dW = dy^T x
      {512, 784, 1024, 0, 0},  // backward dx = dy W (not needed for the first layer in
                               // training, measured for completeness)
      // S2 layer 2 (batch 512, 1024 -> 512)
      {512, 512, 1024, 0, 1},
      {512, 1024, 512, 1, 0},
      {512, 1024, 512, 0, 0},
      // S1 layer 1 (batch 64, 784 -> 500)
      {64, 500, 784, 0, 1},
      {500, 784, 64, 1, 0},
  };
  for (int threads : {1, 2}) {
    for (const auto& s : shapes) b->Args({s.m, s.n, s.k, s.ta, s.tb, threads});
  }
}
BENCHMARK(BM_Gemm)->Apply(gemm_args)->UseRealTime()->Unit(benchmark::kMicrosecond);

// ---------------------------------------------------------------------------------------------
// A small Model (its arenas bind the parameters) run forward + backward on a fixed batch.
// Each backward assigns the gradients, as in training; no optimizer, no loss.

struct Net {
  std::unique_ptr<nnlab::Model> model;
  Tensor x, dy;
  nnlab::Rng rng{1};
  nnlab::Pass pass;
  double flops = 0;  // per forward+backward step: 3 products per dense layer, 2 for the first
                     // (its input gradient is never needed, so never computed)
};

Net make_net(nnlab::ExecContext& exec, int64_t batch, int64_t in, const std::vector<int64_t>& units,
             nnlab::ActKind act, const std::vector<float>& dropout) {
  Net net;
  std::vector<nnlab::LayerPtr> layers;
  int64_t width = in;
  for (size_t i = 0; i < units.size(); ++i) {
    const std::string idx = std::to_string(i + 1);
    layers.push_back(std::make_unique<nnlab::Dense>("dense" + idx, units[i]));
    const bool last = units.size() > 1 && i + 1 == units.size();
    if (!last) {
      layers.push_back(std::make_unique<nnlab::Activation>("act" + idx, act));
      if (i < dropout.size() && dropout[i] > 0)
        layers.push_back(std::make_unique<nnlab::Dropout>("dropout" + idx, dropout[i]));
    }
    const double mnk = 2.0 * static_cast<double>(batch) * static_cast<double>(width) *
                       static_cast<double>(units[i]);
    net.flops += (i == 0 ? 2.0 : 3.0) * mnk;
    width = units[i];
  }
  nnlab::Rng init_rng(7);
  net.model = std::make_unique<nnlab::Model>(exec, nnlab::Shape{in}, std::move(layers),
                                             nnlab::Head::none, init_rng);
  net.x = random_tensor({batch, in}, 3);
  net.dy = random_tensor({batch, width}, 4);
  return net;
}

void run_net(benchmark::State& state, Net& net, int64_t batch) {
  for (auto _ : state) {
    const Tensor& y = net.model->forward(net.x, nnlab::Mode::train, net.rng, net.pass);
    benchmark::DoNotOptimize(y.data());
    net.model->backward(net.pass, net.dy);
    benchmark::ClobberMemory();
  }
  set_flops(state, net.flops);
  state.counters["samples/s"] =
      benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
}

// One Dense (+ activation) layer, forward + backward. Args: batch, in, units, threads.
void BM_DenseRelu(benchmark::State& state) {
  nnlab::ExecContext exec(static_cast<int>(state.range(3)));
  const int64_t batch = state.range(0);
  // units.size() == 1: the layer keeps its activation (a hidden layer).
  Net net = make_net(exec, batch, state.range(1), {state.range(2)}, nnlab::ActKind::relu, {});
  run_net(state, net, batch);
}
BENCHMARK(BM_DenseRelu)
    ->ArgNames({"batch", "in", "units", "threads"})
    ->Args({512, 784, 1024, 1})
    ->Args({512, 784, 1024, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

void BM_DenseSigmoid(benchmark::State& state) {
  nnlab::ExecContext exec(static_cast<int>(state.range(3)));
  const int64_t batch = state.range(0);
  Net net = make_net(exec, batch, state.range(1), {state.range(2)}, nnlab::ActKind::sigmoid, {});
  run_net(state, net, batch);
}
BENCHMARK(BM_DenseSigmoid)
    ->ArgNames({"batch", "in", "units", "threads"})
    ->Args({64, 784, 500, 1})
    ->Args({64, 784, 500, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// One layer alone, forward + backward of x with gradient dy, in the context the caller set up.
void run_layer(benchmark::State& state, nnlab::Layer& layer, const Tensor& x, const Tensor& dy,
               nnlab::LayerContext& ctx) {
  for (auto _ : state) {
    layer.forward(x, ctx);
    layer.backward(ctx, dy);
    benchmark::DoNotOptimize(ctx.dx.data());
    benchmark::ClobberMemory();
  }
  state.counters["Melem/s"] = benchmark::Counter(static_cast<double>(x.size()) * 1e-6,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

// One activation layer alone, forward + backward, on a [batch, width] input in [-4, 4) (where
// the transcendental functions do real work). Args: kind (an nnlab::ActKind), batch, width,
// threads.
void BM_Activation(benchmark::State& state) {
  nnlab::ExecContext exec(static_cast<int>(state.range(3)));
  const auto kind = static_cast<nnlab::ActKind>(state.range(0));
  const int64_t batch = state.range(1), width = state.range(2);
  nnlab::Activation layer("act", kind);
  layer.build({width});
  Tensor x = random_tensor({batch, width}, 5), dy = random_tensor({batch, width}, 6);
  for (int64_t i = 0; i < x.size(); ++i) x[i] *= 8.0f;
  nnlab::LayerContext ctx;
  ctx.exec = &exec;
  run_layer(state, layer, x, dy, ctx);
  state.SetLabel(nnlab::act_name(kind));
}

void activation_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"kind", "batch", "width", "threads"});
  for (nnlab::ActKind kind : {nnlab::ActKind::sigmoid, nnlab::ActKind::tanh, nnlab::ActKind::gelu})
    for (auto [batch, width] : {std::pair<int64_t, int64_t>{64, 500}, {512, 1024}})
      b->Args({static_cast<int64_t>(kind), batch, width, 2});
}
BENCHMARK(BM_Activation)->Apply(activation_args)->UseRealTime()->Unit(benchmark::kMicrosecond);

// One batch norm layer alone, forward (the batch statistics) + backward, on a [128, 32, 28, 28]
// batch (the first block of the best-mnist nets) plain or with its channels blocked as a
// convolution writes them. Args: block (0: plain), threads.
void BM_BatchNorm(benchmark::State& state) {
  nnlab::ExecContext exec(static_cast<int>(state.range(1)));
  const int block = static_cast<int>(state.range(0));
  std::vector<nnlab::LayerPtr> layers;
  layers.push_back(std::make_unique<nnlab::BatchNorm>("bn"));
  nnlab::Rng rng(1);
  nnlab::Model model(exec, {32, 28, 28}, std::move(layers), nnlab::Head::none, rng);
  Tensor x, dy;
  nnlab::relayout(exec.stream(), random_tensor({128, 32, 28, 28}, 5), block, x);
  nnlab::relayout(exec.stream(), random_tensor({128, 32, 28, 28}, 6), block, dy);
  nnlab::LayerContext ctx;
  ctx.exec = &exec;
  run_layer(state, model.layer(0), x, dy, ctx);
  state.SetLabel(block == 0 ? "plain" : "blocked");
}
BENCHMARK(BM_BatchNorm)
    ->ArgNames({"block", "threads"})
    ->Args({0, 2})
    ->Args({8, 2})
    ->Args({16, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// One dropout layer alone, forward (the mask drawn) + backward, on a [batch, width] input.
// Args: batch, width, threads.
void BM_Dropout(benchmark::State& state) {
  nnlab::ExecContext exec(static_cast<int>(state.range(2)));
  const int64_t batch = state.range(0), width = state.range(1);
  nnlab::Dropout layer("dropout", 0.5f);
  layer.build({width});
  Tensor x = random_tensor({batch, width}, 5), dy = random_tensor({batch, width}, 6);
  nnlab::Rng rng(1);
  nnlab::LayerContext ctx;
  ctx.exec = &exec;
  ctx.rng = &rng;
  ctx.mode = nnlab::Mode::train;
  run_layer(state, layer, x, dy, ctx);
}
BENCHMARK(BM_Dropout)
    ->ArgNames({"batch", "width", "threads"})
    ->Args({512, 1024, 1})
    ->Args({512, 1024, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// A loss and its gradient alone on a [batch, width] output in [-4, 4) (targets in [0, 1)).
// Args: which (0: binary cross-entropy, S5's autoencoder [256, 1092]; 1: cross-entropy), batch,
// width, threads.
void BM_Loss(benchmark::State& state) {
  nnlab::ExecContext exec(static_cast<int>(state.range(3)));
  const bool bce = state.range(0) == 0;
  const int64_t batch = state.range(1), width = state.range(2);
  const auto loss = nnlab::make_loss(bce ? "binary_cross_entropy" : "cross_entropy");
  Tensor out = random_tensor({batch, width}, 5), values = random_tensor({batch, width}, 6), dout;
  for (int64_t i = 0; i < out.size(); ++i) {
    out[i] *= 8.0f;
    values[i] += 0.5f;
  }
  std::vector<int32_t> labels(static_cast<size_t>(batch));
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int32_t>(i % width);
  const nnlab::Targets targets{.labels = labels, .values = &values};
  for (auto _ : state) {
    benchmark::DoNotOptimize(loss->compute(out, targets, &dout));
    benchmark::ClobberMemory();
  }
  state.counters["Melem/s"] = benchmark::Counter(static_cast<double>(out.size()) * 1e-6,
                                                 benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(loss->name());
}
BENCHMARK(BM_Loss)
    ->ArgNames({"which", "batch", "width", "threads"})
    ->Args({0, 256, 1092, 1})
    ->Args({0, 256, 1092, 2})
    ->Args({1, 512, 10, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// One optimizer step over a model's parameter arena (penalties and max-norm where the run has
// them; gradients random). Args: which (0: S1's sigmoid MLP with SGD, 1: S2's regularized MLP
// with Adam), threads.
void BM_OptimizerStep(benchmark::State& state) {
  nnlab::ExecContext exec(static_cast<int>(state.range(1)));
  const bool s2 = state.range(0) == 1;
  Net net = s2 ? make_net(exec, 512, 784, {1024, 512, 10}, nnlab::ActKind::relu, {0.6f, 0.5f})
               : make_net(exec, 64, 784, {500, 250, 100, 10}, nnlab::ActKind::sigmoid, {});
  if (s2)
    for (nnlab::Parameter* p : net.model->parameters())
      if (p->is_weight && p->value.rows() > 10)
        p->reg = {.l1 = 1e-6f, .l2 = 1e-4f, .max_norm = 0.5f};
  nnlab::Rng rng(3);
  rng.fill_normal(net.model->grads(), 0.0f, 1e-3f);
  const auto opt =
      nnlab::make_optimizer({.type = s2 ? "adam" : "sgd", .lr = 1e-3f}, net.model->values(),
                            net.model->grads(), net.model->parameters());
  for (auto _ : state) {
    benchmark::DoNotOptimize(opt->step(1e-3f));
    benchmark::ClobberMemory();
  }
  state.SetLabel(s2 ? "S2 adam" : "S1 sgd");
}
BENCHMARK(BM_OptimizerStep)
    ->ArgNames({"which", "threads"})
    ->Args({0, 2})
    ->Args({1, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// The SPEC's two whole models, forward + backward (no loss, no optimizer step). Arg: threads.
void BM_S2RegularizedMlp(benchmark::State& state) {
  nnlab::ExecContext exec(static_cast<int>(state.range(0)));
  Net net = make_net(exec, 512, 784, {1024, 512, 10}, nnlab::ActKind::relu, {0.6f, 0.5f});
  run_net(state, net, 512);
}
BENCHMARK(BM_S2RegularizedMlp)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

void BM_S1SigmoidMlp(benchmark::State& state) {
  nnlab::ExecContext exec(static_cast<int>(state.range(0)));
  Net net = make_net(exec, 64, 784, {500, 250, 100, 10}, nnlab::ActKind::sigmoid, {});
  run_net(state, net, 64);
}
BENCHMARK(BM_S1SigmoidMlp)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
