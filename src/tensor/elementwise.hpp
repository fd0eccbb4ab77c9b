// An element-wise loop, vectorized always and threaded only where a thread team pays off.
//
// Not `#pragma omp parallel for simd if (...)`: an if clause applies to the simd part too, and
// GCC then runs a small tensor's loop scalar (about 5x slower). Each element is computed alone,
// so the result does not depend on the thread count.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <type_traits>

namespace nnlab {

/// Below this many elements a thread team costs more than it saves.
constexpr int64_t kElementwiseThreadMin = int64_t{1} << 16;
/// The same for loops that do more per element (softmax's rows, dropout's mask, sums).
constexpr int64_t kRowwiseThreadMin = int64_t{1} << 15;

/// `a` where `c`, else `b`, as a bit mask. In such loops GCC does not vectorize a ?: between
/// values computed in the loop: it sinks the arithmetic into branches (which may trap), and an
/// unpredictable condition (a dropout mask) then costs a mispredicted branch per element.
template <class F>
F pick(bool c, F a, F b) {
  using U = std::conditional_t<sizeof(F) == 8, uint64_t, uint32_t>;
  const U m = -static_cast<U>(c);
  return std::bit_cast<F>((std::bit_cast<U>(a) & m) | (std::bit_cast<U>(b) & ~m));
}

template <class Body>
void elementwise(int64_t n, Body body) {
  if (n > kElementwiseThreadMin) {
#pragma omp parallel for simd
    for (int64_t i = 0; i < n; ++i) body(i);
  } else {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) body(i);
  }
}

/// The sum in double of term(i) over [0, n), term vectorized and threaded like `elementwise`
/// (it may also write element i of an output). The terms are summed in at most 256 chunks of
/// fixed bounds, and the chunks' sums in order, so the sum depends on n alone, never on the
/// thread count; and nothing is allocated.
template <class Term>
double elementwise_sum(int64_t n, Term term) {
  constexpr int64_t kMaxChunks = 256, kMinChunk = 4096;
  const int64_t chunk = std::max(kMinChunk, (n + kMaxChunks - 1) / kMaxChunks);
  const int64_t chunks = (n + chunk - 1) / chunk;
  std::array<double, kMaxChunks> sums;
#pragma omp parallel for schedule(static) if (n > kElementwiseThreadMin)
  for (int64_t k = 0; k < chunks; ++k) {
    const int64_t end = std::min(n, (k + 1) * chunk);
    // A copy in the thread: GCC would otherwise reload the captured pointers for each element
    // (a store through one of them might change them) and gather where it should load.
    const Term local = term;
    double sum = 0.0;
#pragma omp simd reduction(+ : sum)
    for (int64_t i = k * chunk; i < end; ++i) sum += local(i);
    sums[static_cast<size_t>(k)] = sum;
  }
  double total = 0.0;
  for (int64_t k = 0; k < chunks; ++k) total += sums[static_cast<size_t>(k)];
  return total;
}

}  // namespace nnlab
