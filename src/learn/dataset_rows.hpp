// The bridge between datasets and learners: samples gathered into rows of floats (images
// scaled to [0, 1], keeping their [C, H, W] shape), and rows made back into a dataset of
// feature rows that any learner, the network included, trains on.
#pragma once

#include <span>

#include "data/dataset.hpp"
#include "tensor/tensor.hpp"

namespace nnlab {

/// The samples at `indices`, in that order: [n, ...sample_shape].
Tensor rows_of(const Dataset& data, std::span<const int64_t> indices);

/// A dataset of feature rows ([N, F] -> sample_shape {F}): row r stands for sample picked[r] of
/// `from`, whose label (or regression target) and class names it takes. Its name is from's
/// with `what` appended ("mnist/train+hog").
Dataset feature_dataset(const Tensor& rows, const Dataset& from, std::span<const int64_t> picked,
                        const std::string& what);

}  // namespace nnlab
