#include "search/halving.hpp"

#include <algorithm>

#include "tensor/error.hpp"

namespace nnlab {

std::vector<int> rung_epochs(int min_epochs, int eta, int max_epochs) {
  NNLAB_CHECK(min_epochs >= 1 && eta >= 2 && max_epochs >= min_epochs,
              "successive halving needs min_epochs >= 1, eta >= 2 and max_epochs >= "
              "min_epochs; got {}, {}, {}",
              min_epochs, eta, max_epochs);
  std::vector<int> out;
  for (int64_t e = min_epochs; e < max_epochs; e *= eta) out.push_back(static_cast<int>(e));
  out.push_back(max_epochs);
  return out;
}

std::optional<std::pair<int, int64_t>> asha_promotion(
    const std::vector<std::vector<RungResult>>& rungs,
    const std::vector<std::set<int64_t>>& promoted, int eta, bool maximize) {
  for (int r = static_cast<int>(rungs.size()) - 2; r >= 0; --r) {
    std::vector<RungResult> done = rungs[static_cast<size_t>(r)];
    const size_t top = done.size() / static_cast<size_t>(eta);
    if (top == 0) continue;
    // Ties break by configuration number, so the choice is a function of the results alone.
    std::sort(done.begin(), done.end(), [&](const RungResult& a, const RungResult& b) {
      if (a.score != b.score) return maximize ? a.score > b.score : a.score < b.score;
      return a.config < b.config;
    });
    for (size_t i = 0; i < top; ++i)
      if (!promoted[static_cast<size_t>(r)].contains(done[i].config))
        return std::make_pair(r, done[i].config);
  }
  return std::nullopt;
}

}  // namespace nnlab
