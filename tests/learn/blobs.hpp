// What the classical learners' oracle tests share: files for the oracle scripts, the lines they
// write back, and Gaussian blobs to classify.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tensor/rng.hpp"
#include "tensor/tensor.hpp"

namespace nnlab::test {

inline void write_binary(const std::filesystem::path& path, const void* data, size_t bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
}

template <class T>
std::vector<T> read_line(std::ifstream& in) {
  std::string line;
  std::getline(in, line);
  std::istringstream s(line);
  std::vector<T> v;
  for (T x; s >> x;) v.push_back(x);
  return v;
}

/// The next count whitespace-separated numbers of an oracle's output (a test failure if short).
inline std::vector<double> read_doubles(std::ifstream& in, size_t count) {
  std::vector<double> v(count);
  for (double& x : v) in >> x;
  EXPECT_TRUE(in.good()) << "short oracle output";
  return v;
}

struct Problem {
  Tensor x, q;
  std::vector<int32_t> y, t;  // training labels, test labels
  int classes;
};

// Gaussian blobs: `classes` centres drawn from N(0, spread^2) in d dimensions, unit-variance
// points around them, n training and m test rows.
inline Problem blobs(int64_t n, int64_t m, int64_t d, int classes, float spread, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> centres(static_cast<size_t>(classes * d));
  rng.fill_normal(centres, 0, spread);
  Problem p{Tensor({n, d}), Tensor({m, d}), {}, {}, classes};
  for (auto [t, labels] : {std::pair{&p.x, &p.y}, std::pair{&p.q, &p.t}})
    for (int64_t r = 0; r < t->rows(); ++r) {
      const int32_t c = static_cast<int32_t>(rng.below(static_cast<uint64_t>(classes)));
      labels->push_back(c);
      for (int64_t j = 0; j < d; ++j)
        t->row(r)[j] = centres[static_cast<size_t>(c * d + j)] + rng.normal();
    }
  return p;
}

inline double accuracy(const std::vector<int32_t>& pred, const std::vector<int32_t>& truth) {
  EXPECT_EQ(pred.size(), truth.size());
  int64_t ok = 0;
  for (size_t i = 0; i < pred.size(); ++i) ok += pred[i] == truth[i];
  return static_cast<double>(ok) / static_cast<double>(pred.size());
}

}  // namespace nnlab::test
