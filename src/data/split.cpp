#include "data/split.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "tensor/error.hpp"

namespace nnlab {
namespace {

/// Indices 0..n-1 grouped by label, each group shuffled with rng (classes in label order).
std::vector<std::vector<int64_t>> shuffled_classes(int64_t n, std::span<const int32_t> labels,
                                                   Rng& rng) {
  NNLAB_CHECK(static_cast<int64_t>(labels.size()) == n,
              "stratified split needs one label per sample: {} labels for {} samples",
              labels.size(), n);
  int32_t classes = 0;
  for (const int32_t l : labels) {
    NNLAB_CHECK(l >= 0, "stratified split: negative label {}", l);
    classes = std::max(classes, l + 1);
  }
  std::vector<std::vector<int64_t>> groups(static_cast<size_t>(classes));
  for (int64_t i = 0; i < n; ++i)
    groups[static_cast<size_t>(labels[static_cast<size_t>(i)])].push_back(i);
  for (auto& g : groups) rng.shuffle(std::span<int64_t>(g));
  return groups;
}

int64_t validation_count(int64_t n, const HoldoutConfig& cfg) {
  NNLAB_CHECK(cfg.count >= 0, "validation count must be >= 0, got {}", cfg.count);
  NNLAB_CHECK(cfg.fraction >= 0.0 && cfg.fraction < 1.0,
              "validation fraction must be in [0, 1), got {}", cfg.fraction);
  NNLAB_CHECK(cfg.count == 0 || cfg.fraction == 0.0,
              "give a validation count or a fraction, not both ({} and {})", cfg.count,
              cfg.fraction);
  int64_t v = cfg.count;
  if (cfg.fraction > 0.0)
    v = std::max<int64_t>(1, std::llround(cfg.fraction * static_cast<double>(n)));
  NNLAB_CHECK(v < n, "holding out {} of {} samples leaves none to train on", v, n);
  return v;
}

}  // namespace

Split holdout(int64_t n, std::span<const int32_t> labels, const HoldoutConfig& cfg, Rng& rng) {
  NNLAB_CHECK(n > 0, "cannot split an empty dataset");
  const int64_t v = validation_count(n, cfg);
  Split s;
  if (!cfg.stratified) {
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), int64_t{0});
    if (cfg.shuffle) order = rng.permutation(n);
    s.train.assign(order.begin(), order.end() - v);
    s.val.assign(order.end() - v, order.end());
    return s;
  }
  // Largest remainder: each class gets floor(count * v / n) and the classes with the biggest
  // fractional parts one more, so totals are exact and each class is within one sample of its
  // share.
  auto groups = shuffled_classes(n, labels, rng);
  std::vector<int64_t> quota(groups.size());
  std::vector<std::pair<double, size_t>> remainder;
  int64_t given = 0;
  for (size_t c = 0; c < groups.size(); ++c) {
    const double exact =
        static_cast<double>(groups[c].size()) * static_cast<double>(v) / static_cast<double>(n);
    quota[c] = static_cast<int64_t>(std::floor(exact));
    given += quota[c];
    remainder.emplace_back(exact - static_cast<double>(quota[c]), c);
  }
  std::stable_sort(remainder.begin(), remainder.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t r = 0; given < v && r < remainder.size(); ++r, ++given) ++quota[remainder[r].second];
  for (size_t c = 0; c < groups.size(); ++c) {
    const auto& g = groups[c];
    const auto cut = g.end() - quota[c];
    s.train.insert(s.train.end(), g.begin(), cut);
    s.val.insert(s.val.end(), cut, g.end());
  }
  // Interleave the classes so neither list is sorted by label.
  rng.shuffle(std::span<int64_t>(s.train));
  rng.shuffle(std::span<int64_t>(s.val));
  return s;
}

std::vector<Split> kfold(int64_t n, int k, std::span<const int32_t> labels, bool stratified,
                         Rng& rng) {
  NNLAB_CHECK(k >= 2, "k-fold needs k >= 2, got {}", k);
  NNLAB_CHECK(k <= n, "k-fold with k = {} needs at least {} samples, got {}", k, k, n);
  // An order in which consecutive positions go to consecutive folds (j % k): stratified, the
  // classes one after another, so each fold gets within one sample of each class's share.
  std::vector<int64_t> order;
  if (stratified) {
    for (const auto& g : shuffled_classes(n, labels, rng))
      order.insert(order.end(), g.begin(), g.end());
  } else {
    order = rng.permutation(n);
  }
  std::vector<std::vector<int64_t>> folds(static_cast<size_t>(k));
  for (size_t j = 0; j < order.size(); ++j) folds[j % static_cast<size_t>(k)].push_back(order[j]);
  if (stratified)  // interleave the classes within each fold
    for (auto& f : folds) rng.shuffle(std::span<int64_t>(f));
  std::vector<Split> splits(static_cast<size_t>(k));
  for (size_t i = 0; i < folds.size(); ++i) {
    splits[i].val = folds[i];
    for (size_t f = 0; f < folds.size(); ++f)
      if (f != i) splits[i].train.insert(splits[i].train.end(), folds[f].begin(), folds[f].end());
  }
  return splits;
}

}  // namespace nnlab
