// Eigen as nnlab_learn uses it: every .cpp of src/learn includes Eigen through this header.
//
// Eigen's own OpenMP split of large matrix products changes their rounding with the thread
// count (the covariances of a mixture differed in the last bits between 1 and 2 threads), and
// nnlab's results must not depend on threads. So Eigen stays single-threaded here; the code
// parallelizes itself where the work splits into independent pieces (a mixture's components).
#pragma once

#ifndef EIGEN_DONT_PARALLELIZE
#define EIGEN_DONT_PARALLELIZE
#endif
#include <Eigen/Dense>
