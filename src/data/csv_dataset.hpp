// Regression rows from a CSV file: the columns named as inputs become a sample's features, the
// columns named as targets its targets (S3's 1-D curve, or any table of numbers).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.hpp"

namespace nnlab {

/// Reads `path`: a header line naming the columns, then one sample per line. `inputs` and
/// `targets` pick columns by name, in any order; other columns are ignored (they may hold text).
/// Returns N samples with sample_shape {F}, features N * F floats and targets N * T floats
/// (row-major, columns in the order of `inputs` and `targets`), target_dim T, no labels; name is
/// the file's stem. Blank lines are skipped, spaces and tabs around a field ignored; numbers are
/// read locale-independently and must fill their field.
///
/// Throws nnlab::Error naming the file, and the line and column where there is one: empty
/// `inputs` or `targets`, a column named twice among them, no header (or a header of numbers),
/// a duplicate name in the header, a named column absent from the header (the message lists
/// the header's columns), a row with more or fewer fields than the header, a selected cell that
/// is not a finite float, no data rows, more than `max_rows` data rows (checked before the
/// features are allocated).
Dataset read_csv_dataset(const std::string& path, const std::vector<std::string>& inputs,
                         const std::vector<std::string>& targets, int64_t max_rows);

}  // namespace nnlab
