#include "nn/init.hpp"

#include <cmath>

#include "tensor/error.hpp"

namespace nnlab {

namespace {
const InitKind kInitKinds[] = {InitKind::glorot_uniform, InitKind::glorot_normal,
                               InitKind::he_normal, InitKind::he_uniform};
}  // namespace

std::string init_name(InitKind kind) {
  switch (kind) {
    case InitKind::glorot_uniform:
      return "glorot_uniform";
    case InitKind::glorot_normal:
      return "glorot_normal";
    case InitKind::he_normal:
      return "he_normal";
    case InitKind::he_uniform:
      return "he_uniform";
  }
  return "?";
}

std::vector<std::string> init_names() {
  std::vector<std::string> names;
  for (InitKind k : kInitKinds) names.push_back(init_name(k));
  return names;
}

InitKind init_kind(const std::string& name) {
  for (InitKind k : kInitKinds)
    if (init_name(k) == name) return k;
  throw Error(fmt::format("unknown initializer '{}'; known initializers: {}", name,
                          fmt::join(init_names(), ", ")));
}

void init_weight(Tensor& w, int64_t fan_in, int64_t fan_out, InitKind kind, Rng& rng) {
  NNLAB_CHECK(fan_in > 0 && fan_out > 0, "init_weight: fans must be positive, got {} and {}",
              fan_in, fan_out);
  const auto in = static_cast<double>(fan_in), sum = static_cast<double>(fan_in + fan_out);
  switch (kind) {
    case InitKind::glorot_uniform: {
      const auto a = static_cast<float>(std::sqrt(6.0 / sum));
      rng.fill_uniform(w.span(), -a, a);
      break;
    }
    case InitKind::glorot_normal:
      rng.fill_normal(w.span(), 0.0f, static_cast<float>(std::sqrt(2.0 / sum)));
      break;
    case InitKind::he_normal:
      rng.fill_normal(w.span(), 0.0f, static_cast<float>(std::sqrt(2.0 / in)));
      break;
    case InitKind::he_uniform: {
      const auto a = static_cast<float>(std::sqrt(6.0 / in));
      rng.fill_uniform(w.span(), -a, a);
      break;
    }
  }
}

}  // namespace nnlab
