// The products only rank: they keep k + kRefine candidates per query, whose distances are then
// recomputed in double, so the neighbours and the distance weights are those of exact
// distances (an exact duplicate is at distance 0, not at the ~1e-7 the product trick leaves).
//
// Two products. Byte-valued rows (images: every value b / 255) go through oneDNN's integer
// matmul, queries as u8 against training rows as s8 (b - 128, packed once at fit):
// c = a.(b - 128) = a.b - 128 sum(a), exact in int32 for D <= 2^31 / (255 * 128 * 2); with
// VNNI this does four times the multiply-adds of a float gemm per instruction, and the
// euclidean key ||b||^2 - 2c is an exact integer. Other rows use the float gemm.
//
// Selection is a sorted insertion array per query, skipped 16 columns at a time when none of
// them beats the query's current worst candidate, which is almost always once it has seen a
// few hundred rows.
#include "learn/knn.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <oneapi/dnnl/dnnl.hpp>
#include <type_traits>

#include "tensor/error.hpp"
#include "tensor/exec_context.hpp"
#include "tensor/gemm.hpp"

namespace nnlab {
namespace {

// Training rows per product: a 256 x 2048 output (2 MiB) is still in cache for the selection
// pass that reads it right after.
constexpr int64_t kTile = 2048;
constexpr int64_t kNone = std::numeric_limits<int64_t>::max();
// The widest byte rows whose products fit int32: |a.(b - 128)| <= D * 255 * 128 and the key
// ||b||^2 - 2c needs twice that.
constexpr int64_t kMaxByteDim = (int64_t{1} << 31) / (255 * 128 * 4);

// The byte b with v == b / 255.f (the datasets' pixel scaling), or -1.
inline int byte_of(float v) {
  const float scaled = v * 255.f;
  if (!(scaled > -0.5f && scaled < 255.5f)) return -1;
  const int b = static_cast<int>(std::lrint(scaled));
  return static_cast<float>(b) / 255.f == v ? b : -1;
}

bool all_bytes(const float* x, int64_t size) {
  bool bytes = true;
#pragma omp parallel for reduction(&& : bytes)
  for (int64_t i = 0; i < size; ++i) bytes = bytes && byte_of(x[i]) >= 0;
  return bytes;
}

template <class T>
constexpr T worst() {
  return std::numeric_limits<T>::has_infinity ? std::numeric_limits<T>::infinity()
                                              : std::numeric_limits<T>::max();
}

// Offers (v, j) to a list of kc (value, index) pairs sorted ascending in that order; keeps the
// kc smallest. Ties in value go to the lower index, so the kept set is the same whatever order
// the pairs come in.
template <class T>
inline void offer(T* key, int64_t* idx, int kc, T v, int64_t j) {
  const int last = kc - 1;
  if (v > key[last] || (v == key[last] && j >= idx[last])) return;
  int p = last;
  for (; p > 0 && (key[p - 1] > v || (key[p - 1] == v && idx[p - 1] > j)); --p) {
    key[p] = key[p - 1];
    idx[p] = idx[p - 1];
  }
  key[p] = v;
  idx[p] = j;
}

// Offers key(q, j) for the block's rows q < rows and a tile's columns j < len (training row
// first + j) to each row's list.
template <class T, class Key>
void select(int64_t rows, int64_t len, int64_t first, Key key, T* keys, int64_t* idx, int kc) {
  constexpr int64_t kChunk = 16;
  for (int64_t q = 0; q < rows; ++q) {
    T* kq = keys + q * kc;
    int64_t* iq = idx + q * kc;
    for (int64_t j0 = 0; j0 < len; j0 += kChunk) {
      const int64_t end = std::min(len, j0 + kChunk);
      T least = worst<T>();
#pragma omp simd reduction(min : least)
      for (int64_t j = j0; j < end; ++j) least = std::min(least, key(q, j));
      if (least > kq[kc - 1]) continue;
      for (int64_t j = j0; j < end; ++j) offer(kq, iq, kc, key(q, j), first + j);
    }
  }
}

// A search's sizes: M queries in blocks of bq rows, N training rows in tiles of kTile, kc
// candidates kept per query.
struct SearchShape {
  int64_t m = 0, n = 0, d = 0, bq = 0;
  int kc = 0;
  int64_t blocks() const { return (m + bq - 1) / bq; }
  int64_t tiles() const { return (n + kTile - 1) / kTile; }
  int64_t block_rows(int64_t b) const { return std::min(bq, m - b * bq); }
  int64_t tile_cols(int64_t t) const { return std::min(kTile, n - t * kTile); }
};

// The kc candidates of every query: [M, kc] training indices. make_worker() makes a thread's
// product (FloatWorker, ByteWorker): prepare(b) readies query block b, scan(t, keys, idx) offers
// tile t's keys to the block's lists. Query blocks in parallel, each
// thread with its own worker (whose products run single-threaded inside the region); with
// fewer blocks than threads, each block's tiles are shared out instead, each thread keeping its
// own lists, merged at the end in whatever order (the kept set is the same).
template <class T, class MakeWorker>
std::vector<int64_t> search(const SearchShape& s, MakeWorker make_worker) {
  const int kc = s.kc;
  std::vector<T> keys(static_cast<size_t>(s.m * kc), worst<T>());
  std::vector<int64_t> idx(static_cast<size_t>(s.m * kc), kNone);
  const int64_t blocks = s.blocks(), tiles = s.tiles();
  if (blocks >= omp_get_max_threads()) {
#pragma omp parallel
    {
      auto worker = make_worker();
#pragma omp for schedule(dynamic)
      for (int64_t b = 0; b < blocks; ++b) {
        worker.prepare(b);
        for (int64_t t = 0; t < tiles; ++t)
          worker.scan(t, keys.data() + b * s.bq * kc, idx.data() + b * s.bq * kc);
      }
    }
  } else {
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t rows = s.block_rows(b);
      T* block_keys = keys.data() + b * s.bq * kc;
      int64_t* block_idx = idx.data() + b * s.bq * kc;
#pragma omp parallel
      {
        auto worker = make_worker();
        worker.prepare(b);
        std::vector<T> my_keys(static_cast<size_t>(rows * kc), worst<T>());
        std::vector<int64_t> my_idx(static_cast<size_t>(rows * kc), kNone);
#pragma omp for schedule(dynamic)
        for (int64_t t = 0; t < tiles; ++t) worker.scan(t, my_keys.data(), my_idx.data());
#pragma omp critical(nnlab_knn_merge)
        for (int64_t i = 0; i < rows * kc; ++i)
          if (my_idx[static_cast<size_t>(i)] != kNone)
            offer(block_keys + (i / kc) * kc, block_idx + (i / kc) * kc, kc,
                  my_keys[static_cast<size_t>(i)], my_idx[static_cast<size_t>(i)]);
      }
    }
  }
  return idx;
}

// Float rows: alpha * a.b by gemm, plus ||b||^2 (euclidean, alpha = -2) or 0 (cosine on unit
// rows, alpha = -1).
struct FloatWorker {
  const SearchShape& s;
  const float* queries;  // [M, D] as given
  const float* train;    // [N, D] rows or unit rows
  const float* norm;     // [N]
  bool cosine;
  std::vector<float> unit;  // [bq, D] the block's unit rows (cosine)
  std::vector<float> c;     // [bq, kTile] products
  const float* q = nullptr;
  int64_t rows = 0;

  FloatWorker(const SearchShape& shape, const float* qs, const float* t, const float* nm, bool cos)
      : s(shape), queries(qs), train(t), norm(nm), cosine(cos) {}

  void prepare(int64_t b) {
    rows = s.block_rows(b);
    q = queries + b * s.bq * s.d;
    if (!cosine) return;
    unit.resize(static_cast<size_t>(rows * s.d));
    for (int64_t r = 0; r < rows; ++r) {
      const float* x = q + r * s.d;
      double sq = 0;
      for (int64_t j = 0; j < s.d; ++j) sq += double(x[j]) * x[j];
      const double inv = sq > 0 ? 1.0 / std::sqrt(sq) : 1.0;  // a zero row stays zero
      for (int64_t j = 0; j < s.d; ++j)
        unit[static_cast<size_t>(r * s.d + j)] = static_cast<float>(x[j] * inv);
    }
    q = unit.data();
  }

  void scan(int64_t t, float* keys, int64_t* idx) {
    const int64_t first = t * kTile, cols = s.tile_cols(t);
    c.resize(static_cast<size_t>(s.bq * kTile));
    gemm(GemmArgs{.trans_a = false,
                  .trans_b = true,
                  .m = rows,
                  .n = cols,
                  .k = s.d,
                  .alpha = cosine ? -1.f : -2.f,
                  .a = q,
                  .lda = s.d,
                  .b = train + first * s.d,
                  .ldb = s.d,
                  .beta = 0.f,
                  .c = c.data(),
                  .ldc = kTile});
    const float* cp = c.data();
    const float* np = norm + first;
    select<float>(
        rows, cols, first, [=](int64_t r, int64_t j) { return cp[r * kTile + j] + np[j]; }, keys,
        idx, s.kc);
  }
};

}  // namespace

// The integer product: one oneDNN matmul [bq, D] u8 x [D, kTile] s8 -> s32 and the training
// tiles packed in its weights format (the last one padded).
struct KNearest::BytePath {
  dnnl::matmul::primitive_desc pd;
  dnnl::matmul product;
  std::vector<dnnl::memory> tiles;  // packed s8 (b - 128) per tile
  std::vector<int32_t> norm;        // [N] ||b||^2 of the byte rows
  std::vector<float> inv_norm;      // [N] 1 / ||b|| (1 for a zero row)
};

namespace {

// Byte rows: c = a.(b - 128) by oneDNN; the key is ||b||^2 - 2c (euclidean, exact int32) or
// -(c + 128 sum(a)) / ||b|| (cosine: -a.b / ||b||, a's norm being the same for the whole row).
template <class T>
struct ByteWorker {
  const SearchShape& s;
  const float* queries;
  const KNearest::BytePath& path;
  dnnl::stream stream{cpu_engine()};
  std::vector<uint8_t> a;    // [bq, D] the block's bytes (rows past its end zero)
  std::vector<int32_t> sum;  // [bq] sum(a) per row
  std::vector<int32_t> c;    // [bq, kTile]
  dnnl::memory src, dst, scratch;
  int64_t rows = 0;

  ByteWorker(const SearchShape& shape, const float* q, const KNearest::BytePath& p)
      : s(shape),
        queries(q),
        path(p),
        a(static_cast<size_t>(shape.bq * shape.d)),
        sum(static_cast<size_t>(shape.bq)),
        c(static_cast<size_t>(shape.bq * kTile)),
        src(p.pd.src_desc(), cpu_engine(), a.data()),
        dst(p.pd.dst_desc(), cpu_engine(), c.data()),
        scratch(p.pd.scratchpad_desc(), cpu_engine()) {}

  void prepare(int64_t b) {
    rows = s.block_rows(b);
    std::fill(a.begin(), a.end(), uint8_t{0});
    for (int64_t r = 0; r < rows; ++r) {
      const float* x = queries + (b * s.bq + r) * s.d;
      int32_t total = 0;
      for (int64_t j = 0; j < s.d; ++j) {
        const int v = byte_of(x[j]);  // checked before: a byte
        a[static_cast<size_t>(r * s.d + j)] = static_cast<uint8_t>(v);
        total += v;
      }
      sum[static_cast<size_t>(r)] = total;
    }
  }

  void scan(int64_t t, T* keys, int64_t* idx) {
    path.product.execute(stream, {{DNNL_ARG_SRC, src},
                                  {DNNL_ARG_WEIGHTS, path.tiles[static_cast<size_t>(t)]},
                                  {DNNL_ARG_DST, dst},
                                  {DNNL_ARG_SCRATCHPAD, scratch}});
    const int64_t first = t * kTile, cols = s.tile_cols(t);
    const int32_t* cp = c.data();
    if constexpr (std::is_same_v<T, int32_t>) {
      const int32_t* np = path.norm.data() + first;
      select<int32_t>(
          rows, cols, first, [=](int64_t r, int64_t j) { return np[j] - 2 * cp[r * kTile + j]; },
          keys, idx, s.kc);
    } else {
      const float* inv = path.inv_norm.data() + first;
      const int32_t* sp = sum.data();
      select<float>(
          rows, cols, first,
          [=](int64_t r, int64_t j) {
            return -static_cast<float>(cp[r * kTile + j] + 128 * sp[r]) * inv[j];
          },
          keys, idx, s.kc);
    }
  }
};

}  // namespace

KNearest::KNearest(KnnOptions options) : options_(options) {
  NNLAB_CHECK(options_.k >= 1, "knn: k must be >= 1, got {}", options_.k);
  NNLAB_CHECK(options_.block >= 1 && options_.block <= 4096,
              "knn: block (query rows per product) must be in [1, 4096], got {}", options_.block);
}

void KNearest::fit(ExecContext& /*exec*/, const Tensor& rows, std::span<const int32_t> labels,
                   int classes) {
  NNLAB_CHECK(rows.rank() >= 2, "knn: needs rows [N, D], got {}", shape_str(rows.shape()));
  const int64_t n = rows.dim(0), d = row_width(rows);
  NNLAB_CHECK(d >= 1, "knn: rows have no values ({})", shape_str(rows.shape()));
  NNLAB_CHECK(options_.k <= n, "knn: k = {} needs at least {} training rows, got {}", options_.k,
              options_.k, n);
  NNLAB_CHECK(static_cast<int64_t>(labels.size()) == n, "knn: {} labels for {} rows", labels.size(),
              n);
  NNLAB_CHECK(classes >= 1, "knn: classes must be >= 1, got {}", classes);
  for (const int32_t label : labels)
    NNLAB_CHECK(label >= 0 && label < classes, "knn: label {} is not in [0, {})", label, classes);
  NNLAB_CHECK(all_finite(rows), "knn: the rows hold a NaN or infinite value");

  n_ = n;
  d_ = d;
  classes_ = classes;
  labels_.assign(labels.begin(), labels.end());
  rows_.assign(rows.data(), rows.data() + rows.size());
  key_norm_.assign(static_cast<size_t>(n), 0.f);
  const bool cosine = options_.metric == KnnOptions::Metric::cosine;
  unit_.clear();
  inv_norm_.clear();
  if (cosine) {
    unit_.resize(rows_.size());
    inv_norm_.resize(static_cast<size_t>(n));
  }
  bool representable = true;
#pragma omp parallel for reduction(&& : representable)
  for (int64_t i = 0; i < n; ++i) {
    const float* x = rows_.data() + i * d;
    double sq = 0;
    for (int64_t j = 0; j < d; ++j) sq += double(x[j]) * x[j];
    representable = representable && sq < 1e37;  // squared norms stay finite in float
    if (cosine) {
      const double inv = sq > 0 ? 1.0 / std::sqrt(sq) : 1.0;  // a zero row stays zero
      inv_norm_[static_cast<size_t>(i)] = inv;
      float* u = unit_.data() + i * d;
      for (int64_t j = 0; j < d; ++j) u[j] = static_cast<float>(x[j] * inv);
    } else {
      key_norm_[static_cast<size_t>(i)] = static_cast<float>(sq);
    }
  }
  NNLAB_CHECK(representable, "knn: the rows hold values too large for float distances");

  bytes_.reset();
  if (options_.byte_path && d <= kMaxByteDim && all_bytes(rows_.data(), n * d)) fit_bytes();
}

void KNearest::fit_bytes() {
  using dt = dnnl::memory::data_type;
  using tag = dnnl::memory::format_tag;
  const int64_t n = n_, d = d_, bq = options_.block;
  auto path = std::make_shared<BytePath>();
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);  // each thread brings its own
  path->pd = dnnl::matmul::primitive_desc(
      dnnl::matmul::desc(dnnl::memory::desc({bq, d}, dt::u8, tag::ab),
                         dnnl::memory::desc({d, kTile}, dt::s8, tag::any),
                         dnnl::memory::desc({bq, kTile}, dt::s32, tag::ab)),
      attr, cpu_engine());
  path->product = dnnl::matmul(path->pd);
  path->norm.resize(static_cast<size_t>(n));
  path->inv_norm.resize(static_cast<size_t>(n));
  const int64_t tiles = (n + kTile - 1) / kTile;
  path->tiles.resize(static_cast<size_t>(tiles));
  for (auto& t : path->tiles) t = dnnl::memory(path->pd.weights_desc(), cpu_engine());
  const dnnl::memory::desc plain({d, kTile}, dt::s8, tag::ba);  // [kTile, D] row-major

#pragma omp parallel
  {
    dnnl::stream stream(cpu_engine());
    std::vector<int8_t> raw(static_cast<size_t>(kTile * d));
#pragma omp for schedule(dynamic)
    for (int64_t t = 0; t < tiles; ++t) {
      std::fill(raw.begin(), raw.end(), int8_t{0});
      const int64_t first = t * kTile, cols = std::min(kTile, n - first);
      for (int64_t r = 0; r < cols; ++r) {
        const float* x = rows_.data() + (first + r) * d;
        int32_t sq = 0;
        for (int64_t j = 0; j < d; ++j) {
          const int b = byte_of(x[j]);
          raw[static_cast<size_t>(r * d + j)] = static_cast<int8_t>(b - 128);
          sq += b * b;
        }
        path->norm[static_cast<size_t>(first + r)] = sq;
        path->inv_norm[static_cast<size_t>(first + r)] =
            sq > 0 ? static_cast<float>(1.0 / std::sqrt(double(sq))) : 1.f;
      }
      dnnl::memory src(plain, cpu_engine(), raw.data());
      dnnl::reorder(src, path->tiles[static_cast<size_t>(t)])
          .execute(stream, src, path->tiles[static_cast<size_t>(t)]);
      stream.wait();
    }
  }
  bytes_ = std::move(path);
}

const float* KNearest::checked_queries(const Tensor& rows) const {
  NNLAB_CHECK(n_ > 0, "knn: predict before fit");
  NNLAB_CHECK(rows.rank() >= 2 && row_width(rows) == d_,
              "knn: needs rows [M, {}] (as fitted), got {}", d_, shape_str(rows.shape()));
  NNLAB_CHECK(all_finite(rows), "knn: the rows hold a NaN or infinite value");
  return rows.data();
}

bool KNearest::uses_bytes(const Tensor& rows) const {
  return bytes_ != nullptr && all_bytes(rows.data(), rows.size());
}

Neighbours KNearest::kneighbors(ExecContext& /*exec*/, const Tensor& rows) const {
  const float* queries = checked_queries(rows);
  const int64_t m = rows.dim(0), d = d_;
  const int k = options_.k;
  const SearchShape s{.m = m,
                      .n = n_,
                      .d = d,
                      .bq = options_.block,
                      .kc = static_cast<int>(std::min<int64_t>(n_, k + kRefine))};
  const int kc = s.kc;
  const bool cosine = options_.metric == KnnOptions::Metric::cosine;

  std::vector<int64_t> cand;  // [M, kc]
  if (uses_bytes(rows)) {
    if (cosine)
      cand = search<float>(s, [&] { return ByteWorker<float>(s, queries, *bytes_); });
    else
      cand = search<int32_t>(s, [&] { return ByteWorker<int32_t>(s, queries, *bytes_); });
  } else {
    const float* train = cosine ? unit_.data() : rows_.data();
    cand =
        search<float>(s, [&] { return FloatWorker(s, queries, train, key_norm_.data(), cosine); });
  }

  // Exact distances of the candidates in double; the k nearest, ties to the lower index.
  Neighbours out{.k = k,
                 .index = std::vector<int64_t>(static_cast<size_t>(m * k)),
                 .distance = std::vector<double>(static_cast<size_t>(m * k))};
#pragma omp parallel
  {
    std::vector<std::pair<double, int64_t>> found(static_cast<size_t>(kc));
#pragma omp for schedule(static)
    for (int64_t r = 0; r < m; ++r) {
      const float* a = queries + r * d;
      double a_inv = 1.0;
      if (cosine) {
        double sq = 0;
        for (int64_t j = 0; j < d; ++j) sq += double(a[j]) * a[j];
        a_inv = sq > 0 ? 1.0 / std::sqrt(sq) : 1.0;
      }
      for (int i = 0; i < kc; ++i) {
        const int64_t at = cand[static_cast<size_t>(r * kc + i)];
        const float* x = rows_.data() + at * d;
        double dist = 0;
        if (cosine) {
          double dot = 0;
          for (int64_t j = 0; j < d; ++j) dot += double(a[j]) * x[j];
          dist = std::clamp(1.0 - dot * a_inv * inv_norm_[static_cast<size_t>(at)], 0.0, 2.0);
        } else {
          for (int64_t j = 0; j < d; ++j) {
            const double diff = double(a[j]) - double(x[j]);
            dist += diff * diff;
          }
          dist = std::sqrt(dist);
        }
        found[static_cast<size_t>(i)] = {dist, at};
      }
      std::sort(found.begin(), found.end());
      for (int i = 0; i < k; ++i) {
        out.distance[static_cast<size_t>(r * k + i)] = found[static_cast<size_t>(i)].first;
        out.index[static_cast<size_t>(r * k + i)] = found[static_cast<size_t>(i)].second;
      }
    }
  }
  return out;
}

Predictions KNearest::predict(ExecContext& exec, const Tensor& rows) const {
  const Neighbours nb = kneighbors(exec, rows);
  const int64_t m = rows.dim(0);
  const int k = nb.k;
  Predictions out{.classes = std::vector<int32_t>(static_cast<size_t>(m)),
                  .confidence = std::vector<float>(static_cast<size_t>(m))};
  const bool by_distance = options_.weights == KnnOptions::Weights::distance;
#pragma omp parallel
  {
    std::vector<double> votes(static_cast<size_t>(classes_));
#pragma omp for schedule(static)
    for (int64_t r = 0; r < m; ++r) {
      std::fill(votes.begin(), votes.end(), 0.0);
      const int64_t* idx = nb.index.data() + r * k;
      const double* dist = nb.distance.data() + r * k;
      const bool exact = by_distance && std::find(dist, dist + k, 0.0) != dist + k;
      for (int i = 0; i < k; ++i) {
        const double w = !by_distance ? 1.0 : exact ? (dist[i] == 0 ? 1.0 : 0.0) : 1.0 / dist[i];
        votes[static_cast<size_t>(labels_[static_cast<size_t>(idx[i])])] += w;
      }
      // The first class with the most votes: ties go to the smallest index.
      const auto best = std::max_element(votes.begin(), votes.end());
      double total = 0;
      for (const double v : votes) total += v;
      out.classes[static_cast<size_t>(r)] = static_cast<int32_t>(best - votes.begin());
      out.confidence[static_cast<size_t>(r)] = static_cast<float>(*best / total);
    }
  }
  return out;
}

}  // namespace nnlab
