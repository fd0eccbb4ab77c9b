// Datasets by name: where "mnist" and "fashion-mnist" are found, how to fetch MNIST, and
// "multi-mnist", generated from MNIST (data/multi_mnist.hpp).
#pragma once

#include <string>
#include <vector>

#include "data/dataset.hpp"

namespace nnlab {

/// Loads a named dataset ("mnist", "fashion-mnist", "multi-mnist"). `data_dir` is the directory
/// given on the command line (may be empty): when given, data_dir/mnist/ with the four IDX files
/// (gzipped or not) is the only place looked, and its absence is an error naming the folder and
/// the missing files. Without it, MNIST is looked up in $NNLAB_DATA, then ./data, then
/// ../shared/data, each holding mnist/; fashion-mnist likewise as fashion-mnist/, then in
/// Debian's /usr/share/datasets/fashion-mnist. multi-mnist is made from MNIST (found as above)
/// with MultiMnistConfig's default settings. Not found: an error listing every place looked and
/// how to get the data.
DataPair load_dataset(const std::string& name, const std::string& data_dir);
std::vector<std::string> dataset_names();
/// The shape of one of a named dataset's samples ([1, 28, 28] for MNIST), without reading it:
/// what a study checks its models against before loading any data. Unknown names throw.
Shape dataset_sample_shape(const std::string& name);
/// How many classes a named dataset's labels take (10 for MNIST), without reading it.
int64_t dataset_classes(const std::string& name);

/// What a model trained on a named dataset must know of its inputs: the dataset's name, how
/// its pixels became numbers, and how its images were made (a recipe of data/preprocess.hpp).
/// Model files record it; empty fields mean a file written before they were recorded.
struct DataOrigin {
  std::string dataset;     // "mnist"
  std::string scaling;     // "byte/255": pixel bytes divided by 255
  std::string preprocess;  // "mnist", "fashion-mnist"
};
DataOrigin data_origin(const std::string& name);

/// What differs between the data `model` (a file, for the messages) was trained on and the data
/// it is used on now: warnings to print, none for files that do not record their data.
std::vector<std::string> origin_warnings(const std::string& model, const DataOrigin& trained,
                                         const DataOrigin& used);

/// The directories searched, in order, for a dataset name (for multi-mnist: MNIST's): only
/// data_dir/NAME when data_dir is given.
std::vector<std::string> dataset_search_path(const std::string& name, const std::string& data_dir);

/// Downloads MNIST into dir/mnist/ and verifies the MD5 of each (uncompressed) file; a
/// mismatch deletes the download and throws.
void fetch_dataset(const std::string& name, const std::string& dir);

/// Lowercase hex MD5 of an IDX file's uncompressed content (gzipped or raw file).
std::string md5_hex_of_idx_file(const std::string& path);

}  // namespace nnlab
