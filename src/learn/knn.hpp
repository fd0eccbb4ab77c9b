// KNearest: k-nearest-neighbour classification by brute force, as scikit-learn's
// KNeighborsClassifier(n_neighbors=k, algorithm="brute", metric, weights) predicts.
//
//   N = training rows, M = query rows, D = values per row (each sample flattened).
//
//   fit(rows [N, ...], labels [N], classes)  keeps the rows (and, for cosine, unit copies) and
//       their squared norms. Needs 1 <= k <= N, finite values, labels in [0, classes).
//   predict(rows [M, ...])  -> per row the class of the majority among its k nearest training
//       rows and, as confidence, that class's share of the (weighted) votes.
//
// Distances: euclidean ||a - b||, or cosine 1 - a.b / (||a|| ||b||) (a zero row is at distance 1
// from every row, as scikit-learn's normalize leaves it zero), clipped to [0, 2].
//
// How: queries go in blocks of `block` rows against tiles of training rows; one product per
// (block, tile) gives a key whose row-wise order is the distance's, so no M x N matrix is ever
// held: ||b||^2 - 2 a.b (euclidean) or -a.b / ||b|| (cosine). Two products:
//   bytes   when the training rows and the queries are all byte-valued (v == b / 255.f for a
//           byte b, as datasets scale pixels) and D <= 16448: oneDNN's u8 x s8 -> s32 matmul
//           (VNNI where the CPU has it) on a and b - 128, exact integers (byte_path = false
//           turns it off);
//   float   otherwise: float gemm (oneDNN sgemm), on unit rows for cosine.
// Each query keeps a sorted array of its k + kRefine smallest keys (ties to the lower training
// index); those candidates' distances are then recomputed in double from the rows as given and
// the k nearest taken from them, ties again to the lower index. So the neighbours are those of
// exact distances unless the key's error (float product: about 1e-6 of ||a||^2 + ||b||^2; byte
// product: none beyond the b / 255.f rounding) reorders the k-th and the (k + kRefine)-th.
//
// Votes (scikit-learn's mode and weighted_mode):
//   uniform    one vote per neighbour;
//   distance   1 / d per neighbour; when any neighbour is at distance exactly 0, those exact
//              matches share all the weight (1 each) and the others get none.
//   The class with the most votes wins; tied classes go to the smallest class index.
//
// Against scikit-learn: the same predictions, neighbours and distances (to 1e-9) where no two
// training rows tie for a query's k-th place (scikit-learn then picks either). One difference:
// scikit-learn's euclidean distances come from the product trick in float64, which can leave an
// exact duplicate at ~1e-8 instead of 0; it then weighs 1e8 rather than taking all the weight.
//
// Threads: query blocks in parallel (OpenMP, the calling thread's budget), each thread with its
// own product output, where oneDNN then runs single-threaded (measured faster, with 2 threads,
// than blocks in turn with oneDNN's own threads); with fewer blocks than threads, the tiles of
// each block are shared out instead. Every query's candidates are the smallest under one total
// order (key, index) of the same products, whatever thread computed them, so results do not
// depend on the thread count.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "learn/learner.hpp"
#include "tensor/tensor.hpp"

namespace nnlab {

struct KnnOptions {
  enum class Metric { euclidean, cosine };
  enum class Weights { uniform, distance };
  int k = 3;
  Metric metric = Metric::euclidean;
  Weights weights = Weights::uniform;
  int64_t block = 256;    // query rows per product (1 to 4096)
  bool byte_path = true;  // byte-valued rows through the exact integer product (see above)
};

/// The k nearest training rows of each query, nearest first: row i's are entries
/// [i * k, (i + 1) * k).
struct Neighbours {
  int k = 0;
  std::vector<int64_t> index;    // [M * k] training row indices
  std::vector<double> distance;  // [M * k] their distances
};

class KNearest : public Learner {
 public:
  /// Candidates per query beyond k whose distances are recomputed exactly.
  static constexpr int kRefine = 8;

  /// Checks the options: k >= 1, block in [1, 4096].
  explicit KNearest(KnnOptions options = {});

  void fit(ExecContext& exec, const Tensor& rows, std::span<const int32_t> labels,
           int classes) override;
  Predictions predict(ExecContext& exec, const Tensor& rows) const override;
  std::string name() const override { return "knn"; }

  /// The k nearest training rows of each of rows [M, ...] (scikit-learn's kneighbors).
  Neighbours kneighbors(ExecContext& exec, const Tensor& rows) const;

  const KnnOptions& options() const { return options_; }
  /// Whether rows [M, D] would go through the integer product (fitted and queried on bytes).
  bool uses_bytes(const Tensor& rows) const;

  struct BytePath;  // the integer product and the packed training rows (knn.cpp)

 private:
  const float* checked_queries(const Tensor& rows) const;
  void fit_bytes();

  KnnOptions options_;
  int64_t n_ = 0, d_ = 0;
  int classes_ = 0;
  std::vector<float> rows_;       // [N, D] as given
  std::vector<float> unit_;       // [N, D] rows / ||row|| (cosine only)
  std::vector<float> key_norm_;   // [N] ||b||^2 (euclidean) or 0 (cosine), added to the product
  std::vector<double> inv_norm_;  // [N] 1 / ||row|| (cosine; 1 for a zero row)
  std::vector<int32_t> labels_;   // [N]
  std::shared_ptr<const BytePath> bytes_;  // null: the rows are not all bytes
};

}  // namespace nnlab
