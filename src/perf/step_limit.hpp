// The machine's limit for one training step of a model: the time its useful products
// (perf/step_flops.hpp) take alone, on the step's own shapes, on this CPU, in the model's
// thread budget. A training step cannot be faster than its products run back to back with
// nothing around them, so useful FLOPs / this time is the ceiling a step's GFLOP/s is a share
// of (nnlab bench, bench/compare_pytorch.py).
//
//   dense: nnlab's gemm (oneDNN sgemm) on the layer's three shapes at batch N: forward m=N n=U
//          k=F (x W^T), weight gradient m=U n=F k=N (dy^T x), input gradient m=N n=F k=U (dy W)
//          when counted; for the forward, the faster of that sgemm and the layer's own forward
//          (a oneDNN matmul with its bias, no activation), whichever this CPU runs faster;
//   conv2d, conv_transpose2d: the layer's own forward and its own backward (oneDNN's
//          primitives; its input gradient only when counted) on random input of the batch's
//          shape, in the layouts the step gives the layer (step_layouts): nothing else of the
//          net.
// Each product runs a few times to warm up, then is timed call by call; its median counts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nn/model.hpp"

namespace nnlab {

/// One timed product (or a conv layer's whole forward or backward) at the step's batch.
struct ProductTime {
  std::string label;   // "dense_1 forward: gemm 512x1024x784"
  double flops = 0;    // useful FLOPs per step
  double seconds = 0;  // median of the timed calls
  int calls = 0;       // timed calls
};

struct StepLimit {
  int64_t batch = 0;
  double flops = 0;    // useful FLOPs of one step of `batch` samples
  double seconds = 0;  // the sum of the products' medians: the limit time of one step
  std::vector<ProductTime> products;

  /// Useful FLOPs per second at the limit, in GFLOP/s (0 for a model without products).
  double gflops() const { return seconds > 0 ? flops / seconds * 1e-9 : 0; }
};

struct LimitOptions {
  int warmup = 2;            // untimed calls first (page faults, caches, oneDNN's JIT)
  int min_calls = 5;         // then at least this many timed calls...
  double min_seconds = 0.2;  // ...until this much time has passed...
  int max_calls = 1000;      // ...but no more than this many (a tiny net's microsecond gemms)
};

/// Times the model's products for a step of `batch` samples on the model's execution context
/// (its thread budget); call it from that context's thread. The model's gradients are restored
/// afterwards and its weights never change, so it may run after training.
StepLimit measure_step_limit(Model& model, int64_t batch, const LimitOptions& options = {});

/// The channel block of each layer's output (0: plain) in the model's own pass of `batch`
/// samples: the limit gives each conv layer its input and output gradient in these layouts, so
/// it times no reorder the step does not do. From an eval-mode pass of random input, which
/// changes nothing in the model.
std::vector<int> step_layouts(Model& model, int64_t batch);

}  // namespace nnlab
