// Class-balancing oversampling (S5): augmented copies of the rarer classes' samples.
#pragma once

#include "data/augment.hpp"
#include "data/dataset.hpp"
#include "tensor/rng.hpp"

namespace nnlab {

struct OversampleConfig {
  float p = 1;              // fraction of each class's gap to the largest class that is filled
  AugmentConfig augment{};  // how each copy is altered (S5: noise, shift, rotation)
};

/// Appends, for each class c, round(p * (max_count - count_c)) augmented copies of samples of
/// class c drawn at random (with replacement); classes without samples get none. Needs an
/// image dataset with labels. Deterministic in rng, which advances by one step.
Dataset oversample_classes(const Dataset& d, const OversampleConfig& config, Rng& rng);

}  // namespace nnlab
