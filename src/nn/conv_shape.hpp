// Window arithmetic shared by the layers that slide a kernel over an image: convolution,
// pooling (and transposed convolution, which runs the same arithmetic backwards).
#pragma once

#include <cstdint>

namespace nnlab {

/// Padding before and after the values along one spatial axis.
struct Pad {
  int64_t before = 0;
  int64_t after = 0;
};

/// PyTorch's padding="same" for stride 1: k - 1 values in all, the odd one after.
constexpr Pad same_padding(int64_t kernel) {
  return {(kernel - 1) / 2, kernel - 1 - (kernel - 1) / 2};
}

/// Output length along one axis of a `kernel`-wide window moved by `stride` over `in` padded
/// values (rounded down, as PyTorch does); 0 when the window does not fit at all.
constexpr int64_t conv_out_size(int64_t in, int64_t kernel, int64_t stride, Pad pad) {
  const int64_t room = in + pad.before + pad.after - kernel;
  return room < 0 ? 0 : room / stride + 1;
}

}  // namespace nnlab
