// A run's search (its `search` table): how its settings are varied, scored and chosen.
// docs/study-format.md describes the keys; study/search_runner.hpp runs it.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "search/space.hpp"

namespace nnlab {

/// Stated limits of a search, checked when the study is read: trials per stage (each is a row
/// of the store, added at once) and the time budget.
inline constexpr int64_t kMaxSearchTrials = 10'000'000;
inline constexpr double kMaxSearchMinutes = 525'600;  // a year

/// The keys of a search table besides `stages`: those `--set runs.RUN.search.KEY=VALUE` reaches.
inline constexpr std::array<std::string_view, 11> kSearchSettings = {
    "metric",  "direction", "folds",  "cv_repeats", "stratified", "outer_folds",
    "workers", "refit",     "trials", "minutes",    "seed"};

struct SearchStage {
  std::string name;             // "stage1" unless named
  std::string method = "grid";  // grid | random | halving
  int64_t trials = 0;           // random and halving: configurations drawn
  int from_best = 0;            // > 0: each of the K best configurations so far, with this
                                // stage's keys on top (0: the run's own settings)
  double narrow = 0;            // with from_best: random ranges shrink to this fraction of
                                // their width around the best's values (0: unchanged)
  int min_epochs = 1, eta = 3;  // halving: the first rung's epochs and the promotion ratio
  SearchSpace space;
};

struct SearchSpec {
  std::string metric = "loss";  // loss | accuracy | mse, on the validation part
  bool maximize = false;        // accuracy: true
  int folds = 0;                // k-fold cross-validation; 0: the run's hold-out split
  int cv_repeats = 1;           // repeated k-fold: new folds and a new model seed each time
  bool stratified = true;       // folds keep each class's share (classification)
  int outer_folds = 0;          // nested cross-validation: outer folds as test sets
  int workers = 0;              // trials side by side; 0: one per thread of --threads
  int refit = 1;                // the best K configurations refit on all training data, tested
  int64_t max_trials = 0;       // budget: at most this many configurations (0: no limit)
  double minutes = 0;           // budget: no trial starts after this many minutes (0: none)
  uint64_t seed = 1;            // folds and random draws
  std::vector<SearchStage> stages;
};

}  // namespace nnlab
