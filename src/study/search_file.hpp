// Reading a run's `search` table (docs/study-format.md, "Search") and turning a configuration
// into settings of the run: the TOML value of each searched key, with "$name" variables
// substituted.
#pragma once

#include <toml++/toml.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "study/search_spec.hpp"

namespace nnlab {

namespace study_detail {
/// Reads and checks `table` (the run's search table); errors name the file and line.
SearchSpec read_search(const toml::table& table, const std::string& file);
/// A TOML value as JSON (tables as objects, arrays as arrays).
nlohmann::json toml_to_json(const toml::node& node);
}  // namespace study_detail

/// A JSON value written as a TOML value: strings quoted, floats always with a point or an
/// exponent, objects as inline tables.
std::string toml_value_text(const nlohmann::json& value);

/// The --set strings ("runs.RUN.KEY=VALUE") that give run `run` configuration `config`: one per
/// study key, variables ("units") substituted into the values that name them ("$units") and
/// given no key of their own.
std::vector<std::string> configuration_overrides(const std::string& run,
                                                 const nlohmann::json& config);

}  // namespace nnlab
