// Whole-file reads and crash-safe writes: a file is either the old one or the new one, never half.
#pragma once

#include <string>
#include <string_view>

namespace nnlab {

/// Writes `bytes` to a uniquely named PATH.tmp.XXXXXX (mkstemp), fsyncs it, renames it over
/// `path` and fsyncs the directory. Concurrent writers of one path (threads or processes) never
/// share a temporary: `path` ends as one writer's whole file. On any failure the temporary file
/// is removed, an existing file at `path` is left as it was, and nnlab::Error is thrown naming
/// the path and the system's reason.
void write_file_atomic(const std::string& path, std::string_view bytes);

/// As write_file_atomic, but never replaces a file: false, with nothing written, when `path`
/// already exists. Of threads or processes creating one path at once exactly one gets true.
bool create_file_atomic(const std::string& path, std::string_view bytes);

/// The whole contents of `path`; throws nnlab::Error naming the path when it cannot be read.
std::string read_file(const std::string& path);

}  // namespace nnlab
