#include "nn/memory_estimate.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <limits>

#include "tensor/error.hpp"

namespace nnlab {

namespace {

constexpr int64_t kSaturated = std::numeric_limits<int64_t>::max();
constexpr int64_t kFloat = sizeof(float);

}  // namespace

int64_t saturating_add(int64_t a, int64_t b) {
  int64_t sum = 0;
  return __builtin_add_overflow(a, b, &sum) ? kSaturated : sum;
}

int64_t saturating_mul(int64_t a, int64_t b) {
  int64_t product = 0;
  return __builtin_mul_overflow(a, b, &product) ? kSaturated : product;
}

int64_t saturating_size(const Shape& shape) {
  int64_t n = 1;
  for (const int64_t d : shape) n = saturating_mul(n, d);
  return n;
}

int64_t MemoryEstimate::parameter_bytes() const { return saturating_mul(parameters, 4 * kFloat); }

int64_t MemoryEstimate::activation_bytes() const {
  const int64_t floats_per_element =
      saturating_add(saturating_mul(3, batch), eval_batch);  // per sample of each batch
  return saturating_mul(saturating_mul(activations, floats_per_element), kFloat);
}

double default_max_memory_gb() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  const double physical = pages > 0 && page > 0 ? static_cast<double>(pages) * page * 1e-9 : 16.0;
  return std::min(16.0, physical);
}

std::string format_bytes(int64_t bytes) {
  if (bytes == kSaturated) return "more than 9.22 EB";
  static constexpr std::array<const char*, 7> kUnits = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  auto value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1000 && unit + 1 < kUnits.size()) {
    value /= 1000;
    ++unit;
  }
  return fmt::format("{:.3g} {}", value, kUnits[unit]);
}

void check_memory(const MemoryEstimate& e, double max_gb) {
  const double limit_gb = max_gb > 0 ? max_gb : default_max_memory_gb();
  if (static_cast<double>(e.bytes()) <= limit_gb * 1e9) return;
  const std::string batches =
      e.eval_batch > 0 ? fmt::format("a training batch of {} and an evaluation batch of {}",
                                     e.batch, e.eval_batch)
                       : fmt::format("a batch of {}", e.batch);
  const std::string activations =
      e.batch > 0 || e.eval_batch > 0
          ? fmt::format(", activations of {}: {}", batches, format_bytes(e.activation_bytes()))
          : "";
  const std::string limit = max_gb > 0 ? fmt::format("{:.3g} GB (model.max_memory_gb)", limit_gb)
                                       : fmt::format(
                                             "{:.3g} GB (model.max_memory_gb's default: "
                                             "16 GB or the machine's memory if less)",
                                             limit_gb);
  const std::string total = e.bytes() == kSaturated ? "" : "about ";
  throw Error(fmt::format(
      "the model needs {}{} to train (parameters {}{}), over the limit of {}: "
      "make the model or the batch smaller, or raise model.max_memory_gb",
      total, format_bytes(e.bytes()), format_bytes(e.parameter_bytes()), activations, limit));
}

}  // namespace nnlab
