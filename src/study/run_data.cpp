#include "study/run_data.hpp"

#include <numeric>

#include "data/catalog.hpp"
#include "data/oversample.hpp"
#include "data/split.hpp"

namespace nnlab {
namespace {

Dataset first(const Dataset& d, int64_t limit) {
  if (limit <= 0 || limit >= d.size()) return d;
  std::vector<int64_t> idx(static_cast<size_t>(limit));
  std::iota(idx.begin(), idx.end(), int64_t{0});
  return d.subset(idx);
}

// The offline augmentation of a training part: class-balancing copies, then noisy copies of
// everything. Takes the dataset by value so that, without either, it is moved rather than copied.
Dataset augment(Dataset d, const DataConfig& c, Rng& rng) {
  if (c.oversample) d = oversample_classes(d, *c.oversample, rng);
  if (c.noisy_copies > 0) d = add_noisy_copies(d, c.noisy_copies, c.noisy_sigma, rng);
  return d;
}

}  // namespace

const DataPair& DataCache::get(const DataConfig& c) {
  const std::string dir = c.dir.empty() ? data_dir_ : c.dir;
  const std::string key = c.dataset + "@" + dir;
  auto it = loaded_.find(key);
  if (it == loaded_.end()) it = loaded_.emplace(key, load_dataset(c.dataset, dir)).first;
  return it->second;
}

RunData prepare_run_data(const DataPair& source, const DataConfig& c, uint64_t seed) {
  Rng rng(seed);
  Rng split_rng = rng.fork(1), noise_rng = rng.fork(2);
  Dataset all = first(source.train, c.train_limit);
  RunData out;
  out.test = first(source.test, c.test_limit);
  if (c.validation > 0 || c.validation_fraction > 0) {
    // Keras' validation_split takes the last samples; nnlab shuffles (stratified on request)
    // so that a validation set never depends on the file's order.
    const Split s = holdout(all.size(), all.labels,
                            {.count = c.validation,
                             .fraction = c.validation_fraction,
                             .shuffle = true,
                             .stratified = c.stratified},
                            split_rng);
    out.val = all.subset(s.val);
    out.train = augment(all.subset(s.train), c, noise_rng);
    Rng refit_rng = rng.fork(3);
    out.train_val = augment(std::move(all), c, refit_rng);
  } else {
    out.train = augment(std::move(all), c, noise_rng);
  }
  return out;
}

}  // namespace nnlab
