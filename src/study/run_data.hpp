// The data of one run: the named dataset, limited, split into training and validation, with the
// offline augmentation applied to the training part only.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "data/dataset.hpp"
#include "study/study.hpp"

namespace nnlab {

struct RunData {
  Dataset train;      // what the model trains on (augmented)
  Dataset val;        // empty without a validation split
  Dataset train_val;  // train + validation (augmented), for the refit; empty without a split
  Dataset test;
};

/// Loads each dataset once for all the runs of a study.
class DataCache {
 public:
  explicit DataCache(std::string data_dir) : data_dir_(std::move(data_dir)) {}
  const DataPair& get(const DataConfig& c);

 private:
  std::string data_dir_;
  std::map<std::string, DataPair> loaded_;
};

/// Builds a run's data; `seed` drives the split, the oversampling and the noisy copies (both
/// applied to the training part only, so the validation set stays clean).
RunData prepare_run_data(const DataPair& source, const DataConfig& c, uint64_t seed);

}  // namespace nnlab
