#include "learn/learner.hpp"

#include <cmath>

namespace nnlab {

int64_t row_width(const Tensor& rows) {
  return shape_size(Shape(rows.shape().begin() + 1, rows.shape().end()));
}

bool all_finite(const Tensor& rows) {
  const float* x = rows.data();
  const int64_t size = rows.size();
  bool finite = true;
#pragma omp parallel for reduction(&& : finite) if (size > (1 << 16))
  for (int64_t i = 0; i < size; ++i) finite = finite && std::isfinite(x[i]);
  return finite;
}

}  // namespace nnlab
