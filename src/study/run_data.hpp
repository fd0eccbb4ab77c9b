// The data of one run: the named dataset, limited, split into training and validation, with the
// offline augmentation applied to the training part only. Every part is a view (indices) over a
// dataset loaded once; only offline augmentation, which makes new samples, makes a dataset of
// its own.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "data/dataset.hpp"
#include "data/split.hpp"
#include "study/study.hpp"

namespace nnlab {

/// A named dataset's two halves, loaded once and shared by every run and trial.
struct SourceData {
  std::shared_ptr<const Dataset> train, test;
};

struct RunData {
  DataView fit;    // what the model trains on (augmented offline when asked)
  DataView val;    // held out, never augmented; empty without a split
  DataView refit;  // fit + val (augmented afresh), for the refit; empty without a split
  DataView test;
};

/// Loads each dataset once for all the runs of a study. Filled before any worker starts and
/// only read afterwards.
class DataCache {
 public:
  explicit DataCache(std::string data_dir) : data_dir_(std::move(data_dir)) {}
  const SourceData& get(const DataConfig& c);

 private:
  std::string data_dir_;
  std::map<std::string, SourceData> loaded_;
};

/// The training samples a run may use (data.train_limit applied): what splits and folds divide.
DataView training_pool(const SourceData& source, const DataConfig& c);

/// A run's data with the hold-out split the config asks for (none: everything trains); `seed`
/// drives the split, the oversampling and the noisy copies (both applied to the training part
/// only, so the validation set stays clean).
RunData prepare_run_data(const SourceData& source, const DataConfig& c, uint64_t seed);

/// A run's data on a given split of training_pool() (positions in it): a cross-validation fold.
/// No refit part (a fold is scored, never refit).
RunData fold_run_data(const SourceData& source, const DataConfig& c, const Split& split,
                      uint64_t seed);

}  // namespace nnlab
