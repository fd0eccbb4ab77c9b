#include "data/oversample.hpp"

#include <algorithm>
#include <cmath>

#include "tensor/error.hpp"

namespace nnlab {

Dataset oversample_classes(const Dataset& d, const OversampleConfig& config, Rng& rng) {
  NNLAB_CHECK(config.p >= 0 && config.p <= 1, "{}: oversampling p must be in [0, 1], got {}",
              d.name, config.p);
  NNLAB_CHECK(!d.labels.empty(), "{}: oversampling needs class labels", d.name);
  const std::vector<int64_t> counts = d.class_counts();
  std::vector<std::vector<int64_t>> members(counts.size());
  for (int64_t i = 0; i < d.size(); ++i) {
    const int32_t label = d.labels[static_cast<size_t>(i)];
    if (label >= 0) members[static_cast<size_t>(label)].push_back(i);
  }
  const int64_t most = *std::max_element(counts.begin(), counts.end());
  // Which samples to copy is drawn here, sequentially; how each copy is altered comes from
  // augmented_copies' per-copy forks of a second generator.
  Rng pick(rng.next_u64());
  const Rng alter = pick.fork(0);
  std::vector<int64_t> sources;
  for (size_t c = 0; c < counts.size(); ++c) {
    if (counts[c] == 0) continue;
    const auto extra = std::llround(config.p * static_cast<double>(most - counts[c]));
    for (int64_t k = 0; k < extra; ++k)
      sources.push_back(members[c][pick.below(static_cast<uint64_t>(counts[c]))]);
  }
  if (sources.empty()) return d;
  return d.concat(augmented_copies(d, sources, config.augment, alter));
}

}  // namespace nnlab
