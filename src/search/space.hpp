// Search spaces: the values a search tries for each of its keys, and the configurations a grid
// enumerates or a random search draws from them. A configuration is a JSON object
// {key: value}; the study turns it into a run's settings (study/search_trials.hpp).
//
//   a list [v1, v2, ...]          grid: each value in turn; random: one of them, uniformly
//   {uniform = [lo, hi]}          random: a float uniform in [lo, hi]
//   {log_uniform = [lo, hi]}      random: a float whose log is uniform (0 < lo)
//   {int = [lo, hi]}              random: an integer in [lo, hi], both included
//   {choice = [v1, v2, ...]}      random: one of them (the same as a list)
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tensor/rng.hpp"

namespace nnlab {

struct ParamSpace {
  enum class Kind { list, uniform, log_uniform, integer };
  std::string key;  // a study key ("train.optimizer.lr") or a variable ("units")
  Kind kind = Kind::list;
  std::vector<nlohmann::json> values;  // list
  double lo = 0, hi = 0;               // uniform, log_uniform, integer
};

struct SearchSpace {
  std::vector<ParamSpace> params;  // in the file's order
};

/// The most configurations a grid may enumerate (a stated limit: a typo like 1e6 values
/// must not allocate a billion configurations).
constexpr int64_t kMaxGridSize = 1'000'000;

/// Number of configurations of a grid; throws naming `where` when a parameter is not a list
/// or the product exceeds kMaxGridSize (computed without overflow).
int64_t grid_size(const SearchSpace& space, const std::string& where);
/// Every combination of the lists, the first parameter varying slowest.
std::vector<nlohmann::json> grid(const SearchSpace& space, const std::string& where);
/// `n` configurations drawn from `rng` (lists as uniform choices); deterministic in rng.
std::vector<nlohmann::json> sample(const SearchSpace& space, int64_t n, Rng& rng);
/// The space narrowed around `center` (a configuration): each range keeps `fraction` of its
/// width centred on center's value (in log space for log_uniform) and clipped to the original
/// range; lists, and keys center lacks, are unchanged.
SearchSpace narrowed(const SearchSpace& space, const nlohmann::json& center, double fraction);

/// Reads one parameter from its JSON form (the file's value converted): a list, or a table with
/// one of uniform / log_uniform / int / choice. Throws naming `where` on anything else.
ParamSpace parse_param(const std::string& key, const nlohmann::json& value,
                       const std::string& where);

/// A variable is a key without a dot or an index ("units"): it names a value that study keys'
/// values use as "$units", not a setting.
inline bool is_variable_key(const std::string& key) {
  return key.find('.') == std::string::npos && key.find('[') == std::string::npos;
}

/// `value` with every "$name" string inside it replaced by `config`'s value of `name` (names
/// `config` lacks are left as they are).
nlohmann::json substitute_variables(const nlohmann::json& value, const nlohmann::json& config);
/// Adds the name of every "$name" string inside `value` to `out`.
void referenced_variables(const nlohmann::json& value, std::set<std::string>& out);
/// `config` without the variables that no study key's value names, directly or through another
/// variable: a conv kernel size drawn for a dense net chooses nothing, so two draws that differ
/// only there are one configuration (trained once, shown with that key empty).
nlohmann::json without_unused_variables(const nlohmann::json& config);

/// A configuration's value as a person reads it: strings bare, a layer list compactly
/// ("dense 16 elu, dense 1") with the configuration's variables ("$units") put in.
std::string setting_text(const nlohmann::json& value, const nlohmann::json& config);
/// A configuration as "key=value key=value", its study keys only: variables appear where the
/// values name them, so one that no value names ("filters" for a net with no conv layer, a
/// conditional key) is left out, since it chooses nothing.
std::string configuration_text(const nlohmann::json& config);

}  // namespace nnlab
