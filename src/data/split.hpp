// Splits of sample indices: hold-out validation and k-fold.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tensor/rng.hpp"

namespace nnlab {

struct Split {
  std::vector<int64_t> train;
  std::vector<int64_t> val;
};

/// Holds out `count` samples (or, when 0 < fraction < 1, that fraction) for validation. Not
/// shuffled (the last samples, Keras' validation_split) unless `shuffle`; stratified keeps
/// each class's proportion (needs labels) and is always shuffled within each class.
struct HoldoutConfig {
  int64_t count = 0;
  double fraction = 0.0;
  bool shuffle = true;
  bool stratified = false;
};
Split holdout(int64_t n, std::span<const int32_t> labels, const HoldoutConfig& cfg, Rng& rng);

/// k folds of 0..n-1 (shuffled; stratified when labels are given): fold i validates on the
/// i-th part and trains on the rest.
std::vector<Split> kfold(int64_t n, int k, std::span<const int32_t> labels, bool stratified,
                         Rng& rng);

}  // namespace nnlab
