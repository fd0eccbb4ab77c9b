// What changed between two resolved studies, as `nnlab run --resume-changed` records it in
// DIR/resume_changes.json and metrics.json.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace nnlab {

/// The settings of `was` against those of `now` (resolved study TOML): [{"key", "was", "now"}],
/// tables' keys in name order and arrays' items in index order, each value as its TOML text and
/// null on the side that lacks it. A table or array item one side lacks entirely (a run added,
/// a layer removed) is one entry holding its whole value inline, not one per setting inside it.
nlohmann::json settings_diff(const std::string& was, const std::string& now);

}  // namespace nnlab
