// From a parsed study table to the list of concrete runs: --set overrides applied to the table,
// and each [[runs]] entry expanded over its sweep grid.
#pragma once

#include <toml++/toml.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace nnlab::study_detail {

/// One run before conversion: its [[runs]] table (null for a study without runs), for a run
/// expanded from a sweep the swept key and value of each grid axis, and the --set overrides
/// that name this run alone (null when none), shaped like a [[runs]] table.
struct RunSource {
  std::string name;
  const toml::table* table = nullptr;
  std::vector<std::pair<std::string, const toml::node*>> swept;
  std::string sweep_of = {};  // the [[runs]] entry's name when a sweep made this run
  const toml::table* overlay = nullptr;
};

/// `--set runs.NAME.KEY=VALUE` where NAME is no [[runs]] entry's name: kept until the sweeps are
/// expanded, since it may name a run a sweep makes ("runs.reg-l2=0.0001.train.epochs=2").
struct PendingOverride {
  std::string text;  // what follows "runs."
  std::string origin;
};

/// Applies `--set KEY=VALUE` strings to the parsed study. VALUE is read as a TOML value (a bare
/// word falls back to a string); "runs.NAME.KEY" targets one run, "model.layers.PARAM" every
/// layer that has PARAM, "model.layers[I].PARAM" layer I. An unknown key throws naming it and
/// the --set. Returns the overrides of runs no [[runs]] entry names, in order.
std::vector<PendingOverride> apply_overrides(toml::table& root,
                                             const std::vector<std::string>& overrides);

/// The overlays of the pending overrides, by run name, each checked against the run schema;
/// a NAME that is no run's throws listing the runs.
std::map<std::string, toml::table> run_overlays(const std::vector<PendingOverride>& pending,
                                                const std::vector<RunSource>& runs,
                                                const std::string& file);

/// The runs of a validated study, sweeps expanded into their grid product in file order:
/// run "reg" with sweep {"model.l2" = [1e-5, 1e-4]} gives "reg-l2=1e-05" and "reg-l2=0.0001";
/// a run named like its first swept key's leaf ("l2") gives "l2=1e-05" and "l2=0.0001". A sweep
/// is a grid (search/space.hpp) whose every configuration is kept as a run; a grid of more than
/// kMaxGridSize runs throws naming `file`.
std::vector<RunSource> expand_runs(const toml::table& root, const std::string& study_name,
                                   const std::string& file);

/// A value as a run name shows it: 1e-05, 0.01, 3, relu, true.
std::string format_value(const toml::node& node);

}  // namespace nnlab::study_detail
