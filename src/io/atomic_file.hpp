// Whole-file reads and crash-safe writes: a file is either the old one or the new one, never half.
#pragma once

#include <string>
#include <string_view>

namespace nnlab {

/// Writes `bytes` to PATH.tmp.<pid>, fsyncs it, then renames it over `path`. On any failure the
/// temporary file is removed, an existing file at `path` is left as it was, and nnlab::Error is
/// thrown naming the path and the system's reason.
void write_file_atomic(const std::string& path, std::string_view bytes);

/// The whole contents of `path`; throws nnlab::Error naming the path when it cannot be read.
std::string read_file(const std::string& path);

}  // namespace nnlab
