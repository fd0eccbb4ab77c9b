// The useful floating-point work of one training step: the matrix products of the layers that
// have them (dense, conv2d, conv_transpose2d), and nothing else. It is the numerator of every
// "share of the machine's limit" nnlab bench and bench/compare_pytorch.py print, so it counts
// only what a training step cannot do without, the same for any framework:
//
//   per layer and sample, with |W| the weight's size and P the positions the kernel is applied
//   at (1 for dense; the output pixels of a convolution; the input pixels of a transposed
//   convolution, whose every input pixel spreads one kernel over the output),
//     forward 2 |W| P,  weight gradient 2 |W| P,  input gradient 2 |W| P
//   (for dense: 2 F U each; for conv: 2 OH OW O C k k each), the input gradient counted only
//   when a layer with parameters comes before (otherwise nothing consumes it, whatever the
//   code computes). Bias, activation, pooling, dropout, normalisation, loss and optimizer count
//   zero: they are memory-bound passes around the products.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nn/model.hpp"

namespace nnlab {

/// The products of one layer, in FLOPs per training sample.
struct LayerFlops {
  int layer = 0;                                        // index in the model
  std::string kind;                                     // "dense", "conv2d", "conv_transpose2d"
  double forward = 0, weight_grad = 0, input_grad = 0;  // input_grad 0 when nothing needs it
  bool needs_input_grad = false;

  double total() const { return forward + weight_grad + input_grad; }
};

/// The layers with products, in model order.
struct StepFlops {
  std::vector<LayerFlops> layers;

  double per_sample() const;
};

/// True for the layer kinds whose products count (and whose time is the limit).
bool has_products(const Layer& layer);

/// The model's useful FLOPs per training sample, from its layers' shapes alone.
StepFlops useful_flops(const Model& model);

}  // namespace nnlab
