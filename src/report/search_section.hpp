// The report's section on a study's searches (metrics.json "search"): the choice, the trials
// table best first, the best score so far against the trials run, the score against each
// searched key, the promotion ladder of successive halving, and the nested cross-validation.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace nnlab::report {

/// "" when the study has no search.
std::string search_section(const nlohmann::json& metrics);

}  // namespace nnlab::report
