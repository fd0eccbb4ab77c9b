// The keys a study file may hold, their types, and the check of a parsed file against them:
// unknown keys (with the closest valid one suggested) and wrong types, each naming its line.
#pragma once

#include <toml++/toml.h>

#include <string>
#include <vector>

namespace nnlab::study_detail {

enum class Kind {
  string,
  integer,
  number,  // integer or float
  boolean,
  table,              // children are the valid keys
  number_array,       // non-empty array of numbers
  string_array,       // non-empty array of strings
  layers,             // model.layers: array of inline tables {type=..., numbers or strings}
  layer_value,        // one layer's parameter: a number, a string or an array of numbers
  transforms,         // transforms: array of inline tables {type=..., numbers, strings, booleans}
  table_array,        // [[NAME]]: an array of tables, each checked against children[0]
  sweep,              // runs.sweep: {"dotted.key" = [values...]}
  search,             // runs.search: checked when read (study/search_file.cpp)
  count_or_fraction,  // data.validation
  count_or_indices,   // diagnostics.profile_inputs: an integer count or an array of integers
};

struct KeyDef {
  std::string name;
  Kind kind;
  std::vector<KeyDef> children;
  bool layer_keys = false;  // also takes quoted layer keys: "model.layers[2].units" = 64
};

/// The root table of a study file.
const KeyDef& study_schema();
/// The table of one [[runs]] entry.
const KeyDef& run_schema();

/// Resolves a dotted key under `table` ("train.optimizer.lr" under the run schema); throws
/// "<context>: unknown key 'KEY'; did you mean 'BEST'?" when some part is not valid.
/// Layer paths ("model.layers.sigma", "model.layers[2].units") resolve to a layer parameter.
const KeyDef& resolve_key(const KeyDef& table, const std::string& dotted,
                          const std::string& context);

/// The dotted key of `key` inside the table at `prefix` ("train" + "epochs" -> "train.epochs");
/// `key` alone at the root (an empty prefix).
std::string join_key(const std::string& prefix, const std::string& key);
/// Checks every key and value type of a parsed study.
void validate_study(const toml::table& root, const std::string& file);
/// Checks one value against a key's definition; `key` names it in the message.
void validate_value(const toml::node& node, const KeyDef& def, const std::string& key,
                    const std::string& file);

}  // namespace nnlab::study_detail
