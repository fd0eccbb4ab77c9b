#include "tensor/threads.hpp"

#include <omp.h>

#include <thread>

namespace nnlab {

void set_threads(int n) {
  if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
  omp_set_num_threads(n < 1 ? 1 : n);
}

int threads() { return omp_get_max_threads(); }

}  // namespace nnlab
