// IDX files (LeCun's MNIST format), gzipped or raw.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "data/dataset.hpp"

namespace nnlab {

struct IdxArray {
  uint8_t type = 0x08;  // 0x08 = unsigned byte, the only type MNIST uses
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;
};

/// Reads an IDX file (gzip detected from its first bytes: one or more gzip members, nothing
/// after them). Checks the magic number, the data type, the dimensions (at most 2^31 elements)
/// and that the file holds exactly prod(dims) elements; each failure throws naming the file and
/// what is wrong ("train-images-idx3-ubyte.gz: truncated: expected 47040000 data bytes, found
/// 1000 (dimensions [60000, 28, 28])"). Dimensions the file cannot hold (raw: its size; gzip:
/// 1032 times its size, deflate's largest expansion) are refused before anything is allocated,
/// and the data buffer grows only as data arrives.
IdxArray read_idx(const std::string& path);

/// Hands `sink` the content of the file at `path` as read_idx reads it, a chunk at a time:
/// inflated as it arrives when the file starts with gzip's magic number (one or more members,
/// nothing after them), as it is otherwise. More than the largest IDX file read_idx accepts (a
/// rank-4 header and 2^31 data bytes) is refused once it arrives, so a gzip bomb costs bounded
/// time. Errors name the file. For checksums (data/catalog.cpp).
void read_idx_content(const std::string& path,
                      const std::function<void(std::span<const uint8_t>)>& sink);

/// Writes `a` as an IDX file, gzipped when `path` ends in ".gz" (the same bytes for the same
/// array: no time stamp in the gzip header), atomically (io/atomic_file.hpp: a reader sees the
/// old file or the whole new one). Checks what read_idx would: type 0x08, rank 1 to 4, positive
/// dimensions below 2^32, prod(dims) data bytes; each failure throws naming the path.
void write_idx(const std::string& path, const IdxArray& a);

/// Writes an image dataset (sample_shape [1, H, W]) as an image file (N x H x W) and a label
/// file (N) that read_idx_dataset reads back: each label is stored as its class name's value, so
/// every class name must be an integer 0..255 (Multi-MNIST's "1".."50" store 1..50).
void write_idx_dataset(const Dataset& d, const std::string& images_path,
                       const std::string& labels_path);

/// Reads an image file (N x H x W) and its label file (N) into a Dataset; checks that the
/// counts agree. Labels become class indices 0..max; class names are the label values. With
/// `num_classes` > 0 (the dataset's declared classes, 10 for MNIST) every label value must be
/// below it; the error names the label file and the sample.
Dataset read_idx_dataset(const std::string& images_path, const std::string& labels_path,
                         const std::string& name, int num_classes = 0);

}  // namespace nnlab
