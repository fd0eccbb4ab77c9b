// The HTML report, rendered from the files of a study's output directory alone.
#pragma once

#include <string>

namespace nnlab {

/// Reads DIR (docs/output-format.md) and writes DIR/report.html atomically: self-contained
/// (inline SVG charts, PNG images as data URIs, no network). Returns the report's path. A
/// missing or malformed metrics.json throws naming the file.
std::string render_report(const std::string& dir);

}  // namespace nnlab
