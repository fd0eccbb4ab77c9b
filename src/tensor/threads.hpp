// The thread budget (--threads). oneDNN runs on OpenMP here, so one OpenMP setting governs the
// kernels, the element-wise loops and (by reading threads()) the data loader.
#pragma once

namespace nnlab {

/// Sets the number of threads everything may use; 0 means all cores.
void set_threads(int n);
int threads();

}  // namespace nnlab
