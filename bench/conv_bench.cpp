// Convolution benchmarks (Google Benchmark): the two convolutions of the S3 CNN and the whole
// model, forward + backward at batch 128.
//
//   build-bench/nnlab_bench --benchmark_filter='Conv|S3Cnn'
//
// Args end with the thread budget (an nnlab::ExecContext made in the benchmark's thread). "GFLOP"
// is a rate: 2 * N * O * C * k^2
// * OH * OW per pass, three passes per step (forward, weight gradient, input gradient) but two
// for a model's first layer, whose input gradient is never needed and never computed.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "nn/activation_layer.hpp"
#include "nn/conv2d.hpp"
#include "nn/dense.hpp"
#include "nn/flatten.hpp"
#include "nn/model.hpp"
#include "nn/pool2d.hpp"
#include "tensor/exec_context.hpp"
#include "tensor/rng.hpp"

namespace {

using nnlab::Tensor;

constexpr int64_t kBatch = 128;

Tensor normal_tensor(nnlab::Shape shape, uint64_t seed) {
  Tensor t(std::move(shape));
  nnlab::Rng rng(seed);
  rng.fill_normal(t.span(), 0.0f, 1.0f);
  return t;
}

// Forward + backward of `model` on a fixed batch (each backward assigns the gradients).
void run_model(benchmark::State& state, nnlab::Model& model, double flops) {
  nnlab::Shape in = model.input_shape(), out = model.output_shape();
  in.insert(in.begin(), kBatch);
  out.insert(out.begin(), kBatch);
  const Tensor x = normal_tensor(in, 1), dy = normal_tensor(out, 2);
  nnlab::Rng rng(3);
  nnlab::Pass pass;
  for (auto _ : state) {
    benchmark::DoNotOptimize(model.forward(x, nnlab::Mode::train, rng, pass).data());
    model.backward(pass, dy);
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP"] =
      benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["samples/s"] = benchmark::Counter(static_cast<double>(kBatch),
                                                   benchmark::Counter::kIsIterationInvariantRate);
}

double conv_flops(int64_t channels, int64_t side, int passes) {
  return passes * 2.0 * kBatch * 128.0 * static_cast<double>(channels) * 25.0 *
         static_cast<double>(side * side);
}

std::unique_ptr<nnlab::Conv2d> conv(const char* name) {
  return std::make_unique<nnlab::Conv2d>(name, 128, 5, nnlab::Conv2dOptions{.padding = 2});
}

// One conv 128@5x5, padding 2. Args: in-channels, side (H = W), threads.
void BM_Conv2d(benchmark::State& state) {
  nnlab::ExecContext exec(static_cast<int>(state.range(2)));
  const int64_t channels = state.range(0), side = state.range(1);
  std::vector<nnlab::LayerPtr> layers;
  layers.push_back(conv("conv"));
  nnlab::Rng init(7);
  nnlab::Model model(exec, {channels, side, side}, std::move(layers), nnlab::Head::none, init);
  run_model(state, model, conv_flops(channels, side, 2));
}
BENCHMARK(BM_Conv2d)
    ->ArgNames({"in", "side", "threads"})
    ->Args({1, 28, 2})
    ->Args({128, 14, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// S3's CNN: 2 x [conv 128@5x5 (padding 2) + relu + max pool 2], dense 64 + relu, dense 10.
// Arg: threads.
void BM_S3Cnn(benchmark::State& state) {
  nnlab::ExecContext exec(static_cast<int>(state.range(0)));
  std::vector<nnlab::LayerPtr> layers;
  for (const char* i : {"1", "2"}) {
    layers.push_back(conv(i));
    layers.push_back(
        std::make_unique<nnlab::Activation>(std::string("relu") + i, nnlab::ActKind::relu));
    layers.push_back(
        std::make_unique<nnlab::Pool2d>(std::string("pool") + i, nnlab::PoolKind::max, 2));
  }
  layers.push_back(std::make_unique<nnlab::Flatten>("flatten"));
  layers.push_back(std::make_unique<nnlab::Dense>("dense1", 64));
  layers.push_back(std::make_unique<nnlab::Activation>("relu3", nnlab::ActKind::relu));
  layers.push_back(std::make_unique<nnlab::Dense>("dense2", 10));
  nnlab::Rng init(7);
  nnlab::Model model(exec, {1, 28, 28}, std::move(layers), nnlab::Head::none, init);
  run_model(state, model, conv_flops(1, 28, 2) + conv_flops(128, 14, 3));
}
BENCHMARK(BM_S3Cnn)->ArgName("threads")->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
