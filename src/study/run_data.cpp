#include "study/run_data.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <numeric>

#include "data/catalog.hpp"
#include "data/csv_dataset.hpp"
#include "data/multi_mnist.hpp"
#include "data/oversample.hpp"

namespace nnlab {
namespace {

DataView first(const std::shared_ptr<const Dataset>& d, int64_t limit) {
  DataView v = DataView::all(d);
  if (limit > 0 && limit < v.size()) v.indices.resize(static_cast<size_t>(limit));
  return v;
}

bool augments_offline(const DataConfig& c) { return c.oversample || c.noisy_copies > 0; }

/// The training part of a run: the view itself, or, with offline augmentation, a dataset of its
/// own holding the part's samples followed by their class-balancing and noisy copies.
DataView training_part(DataView part, const DataConfig& c, Rng& rng) {
  if (!augments_offline(c)) return part;
  Dataset d = part.data->subset(part.indices);
  if (c.oversample) d = oversample_classes(d, *c.oversample, rng);
  if (c.noisy_copies > 0) d = add_noisy_copies(d, c.noisy_copies, c.noisy_sigma, rng);
  return DataView::all(std::make_shared<const Dataset>(std::move(d)));
}

/// The positions `at` of a view, as indices into its dataset.
DataView pick(const DataView& v, const std::vector<int64_t>& at) {
  DataView out{v.data, {}};
  out.indices.reserve(at.size());
  for (const int64_t p : at) out.indices.push_back(v.indices[static_cast<size_t>(p)]);
  return out;
}

/// What tells two loaded datasets apart: the files and columns of a CSV, the directory of a
/// named dataset, and for Multi-MNIST also every generate setting.
std::string cache_key(const DataConfig& c, const std::string& dir) {
  if (c.dataset == "csv")
    return fmt::format("csv@{}@{}@{}@{}", c.csv.train, c.csv.test, fmt::join(c.csv.inputs, ","),
                       fmt::join(c.csv.targets, ","));
  if (c.dataset == "multi-mnist")
    return fmt::format("multi-mnist@{}@{}", dir, describe(c.generate));
  return c.dataset + "@" + dir;
}

DataPair load(const DataConfig& c, const std::string& dir) {
  if (c.dataset == "csv")
    return {read_csv_dataset(c.csv.train, c.csv.inputs, c.csv.targets, kMaxCsvRows),
            read_csv_dataset(c.csv.test, c.csv.inputs, c.csv.targets, kMaxCsvRows)};
  // Generated from MNIST (found through the same directory) with the study's settings.
  if (c.dataset == "multi-mnist") return make_multi_mnist(load_dataset("mnist", dir), c.generate);
  return load_dataset(c.dataset, dir);
}

}  // namespace

const SourceData& DataCache::get(const DataConfig& c) {
  const std::string dir = c.dir.empty() ? data_dir_ : c.dir;
  const std::string key = cache_key(c, dir);
  auto it = loaded_.find(key);
  if (it == loaded_.end()) {
    DataPair pair = load(c, dir);
    it = loaded_
             .emplace(key, SourceData{std::make_shared<const Dataset>(std::move(pair.train)),
                                      std::make_shared<const Dataset>(std::move(pair.test))})
             .first;
  }
  return it->second;
}

DataView training_pool(const SourceData& source, const DataConfig& c) {
  return first(source.train, c.train_limit);
}

RunData prepare_run_data(const SourceData& source, const DataConfig& c, uint64_t seed) {
  Rng rng(seed);
  Rng split_rng = rng.fork(1), noise_rng = rng.fork(2);
  const DataView all = training_pool(source, c);
  RunData out;
  out.test = first(source.test, c.test_limit);
  if (c.validation > 0 || c.validation_fraction > 0) {
    // Keras' validation_split takes the last samples; nnlab shuffles (stratified on request)
    // so that a validation set never depends on the file's order.
    const Split s = holdout(all.size(), all.labels(),
                            {.count = c.validation,
                             .fraction = c.validation_fraction,
                             .shuffle = true,
                             .stratified = c.stratified},
                            split_rng);
    out.val = pick(all, s.val);
    out.fit = training_part(pick(all, s.train), c, noise_rng);
    Rng refit_rng = rng.fork(3);
    out.refit = training_part(all, c, refit_rng);
  } else {
    out.fit = training_part(all, c, noise_rng);
  }
  return out;
}

RunData fold_run_data(const SourceData& source, const DataConfig& c, const Split& split,
                      uint64_t seed) {
  Rng noise_rng = Rng(seed).fork(2);
  const DataView all = training_pool(source, c);
  RunData out;
  out.test = first(source.test, c.test_limit);
  out.val = pick(all, split.val);
  out.fit = training_part(pick(all, split.train), c, noise_rng);
  return out;
}

}  // namespace nnlab
