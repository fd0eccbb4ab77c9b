// From a parsed study table to the list of concrete runs: --set overrides applied to the table,
// and each [[runs]] entry expanded over its sweep grid.
#pragma once

#include <toml++/toml.h>

#include <string>
#include <utility>
#include <vector>

namespace nnlab::study_detail {

/// Applies `--set KEY=VALUE` strings to the parsed study. VALUE is read as a TOML value (a bare
/// word falls back to a string); "runs.NAME.KEY" targets one run, "model.layers.KEY" every
/// layer that has KEY. An unknown key throws naming it and the --set.
void apply_overrides(toml::table& root, const std::vector<std::string>& overrides);

/// One run before conversion: its [[runs]] table (null for a study without runs) and, for a
/// run expanded from a sweep, the swept key and value of each grid axis.
struct RunSource {
  std::string name;
  const toml::table* table = nullptr;
  std::vector<std::pair<std::string, const toml::node*>> swept;
};

/// The runs of a validated study, sweeps expanded into their grid product in file order:
/// run "reg" with sweep {"model.l2" = [1e-5, 1e-4]} gives "reg-l2=1e-05" and "reg-l2=0.0001";
/// a run named like its first swept key's leaf ("l2") gives "l2=1e-05" and "l2=0.0001".
std::vector<RunSource> expand_runs(const toml::table& root, const std::string& study_name);

/// A value as a run name shows it: 1e-05, 0.01, 3, relu, true.
std::string format_value(const toml::node& node);

}  // namespace nnlab::study_detail
