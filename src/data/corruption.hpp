// Corruptions of images in [0, 1], for denoising training and S4's robustness evaluation.
//
//   none               the image unchanged
//   gaussian:S         x + N(0, S) per value, clipped to [0, 1]                       (S >= 0)
//   uniform            x + U[0, 1) per value, clipped to [0, 1]
//   occlusion:K        a K x K square of zeros (every channel) at a uniformly random position
//                      fully inside the image                          (integer 1 <= K <= H, W)
//   salt_pepper:P      each value, with probability P, set to 0 or 1 (even odds)  (0 <= P <= 1)
//
// Shapes: x is [N, C, H, W] (or [N, H, W]: one channel), or rows [N, F] with the image's H and
// W given (F = C * H * W). Sample i of a batch draws every random number from
// rng.fork(first_index + i), so the result depends neither on the thread count nor on how a
// data set is cut into batches (pass the batch's offset as first_index).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tensor/rng.hpp"
#include "tensor/tensor.hpp"

namespace nnlab {

/// A corruption and its parameter, as written "gaussian:0.3". Made by parse(), which checks
/// both; a default-constructed spec is "none".
struct CorruptionSpec {
  std::string name = "none";
  double param = 0;  // S, K or P above; 0 for those without one

  /// Parses "name" or "name:value". Throws nnlab::Error naming the text and listing the valid
  /// forms for an unknown name, a missing or superfluous value, or a value out of range.
  static CorruptionSpec parse(std::string_view text);
  /// Back to the text parse() reads: "gaussian:0.3", "uniform".
  std::string str() const;
  bool is_none() const { return name == "none"; }
};

/// Every corruption's form, "gaussian:STD", ..., for error messages, --help and tests.
std::vector<std::string> corruption_forms();

/// Throws when the corruption cannot apply to height x width images (an occlusion larger than
/// them), so that a study is refused before it trains.
void check_fits(const CorruptionSpec& spec, int64_t height, int64_t width);

/// Corrupts the images in x in place (see the top of this file for shapes and randomness);
/// height and width are needed for rows [N, F] and must match the shape otherwise (0: take
/// them from the shape). "none" leaves any tensor as it is. Parallel over samples.
void corrupt(Tensor& x, const CorruptionSpec& spec, const Rng& rng, int64_t first_index = 0,
             int64_t height = 0, int64_t width = 0);

}  // namespace nnlab
