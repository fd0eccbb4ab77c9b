// Successive halving, asynchronous (ASHA, Li et al. 2020): configurations start on the lowest
// rung with few epochs; whenever a worker is free, a configuration in the top 1/eta of its rung
// that was not promoted yet goes up one rung (eta times the epochs, trained afresh); otherwise a
// new configuration starts. No worker waits for a rung to fill.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <utility>
#include <vector>

namespace nnlab {

/// The epochs of each rung: min_epochs * eta^k while below max_epochs, then max_epochs.
/// min_epochs >= 1, eta >= 2, max_epochs >= min_epochs.
std::vector<int> rung_epochs(int min_epochs, int eta, int max_epochs);

struct RungResult {
  int64_t config = 0;  // the configuration's number in its stage
  double score = 0;
};

/// ASHA's choice: scanning from the next-to-top rung down, the best configuration among the
/// top floor(n / eta) finished on rung r (n of them) that promoted[r] does not hold yet.
/// Returns (r, config) to run on rung r + 1, or nullopt: start a new configuration.
std::optional<std::pair<int, int64_t>> asha_promotion(
    const std::vector<std::vector<RungResult>>& rungs,
    const std::vector<std::set<int64_t>>& promoted, int eta, bool maximize);

}  // namespace nnlab
