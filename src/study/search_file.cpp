#include "study/search_file.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>

#include "study/schema.hpp"
#include "study/toml_access.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

using nlohmann::json;

std::string bare_or_quoted_key(const std::string& key) {
  const bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
  return bare ? key : toml_value_text(key);
}

}  // namespace

namespace study_detail {

json toml_to_json(const toml::node& node) {
  if (const auto* v = node.as_integer()) return v->get();
  if (const auto* v = node.as_floating_point()) return v->get();
  if (const auto* v = node.as_string()) return v->get();
  if (const auto* v = node.as_boolean()) return v->get();
  if (const auto* a = node.as_array()) {
    json out = json::array();
    for (const auto& item : *a) out.push_back(toml_to_json(item));
    return out;
  }
  if (const auto* t = node.as_table()) {
    json out = json::object();
    for (const auto& [k, v] : *t) out[std::string(k.str())] = toml_to_json(v);
    return out;
  }
  throw Error("a search value must be a number, string, boolean, array or table");
}

SearchSpec read_search(const toml::table& table, const std::string& file) {
  std::set<std::string> known(kSearchSettings.begin(), kSearchSettings.end());
  known.insert("stages");
  for (const auto& [k, v] : table)
    NNLAB_CHECK(known.contains(std::string(k.str())),
                "{}: unknown key 'search.{}'; did you mean 'search.{}'?", where(v, file), k.str(),
                closest(std::string(k.str()), {known.begin(), known.end()}));
  Lookup l(file);
  l.add(&table);
  SearchSpec s;
  s.metric = l.get_string("metric", "loss");
  l.check_one_of("metric", s.metric, {"loss", "accuracy", "mse"});
  const std::string direction = l.get_string("direction", s.metric == "accuracy" ? "max" : "min");
  l.check_one_of("direction", direction, {"min", "max"});
  s.maximize = direction == "max";
  s.folds = l.get_int32("folds", 0, 0);
  NNLAB_CHECK(s.folds != 1 && s.folds <= 1000, "{}search.folds must be 0 (hold-out) or 2..1000",
              l.at("folds"));
  s.cv_repeats = l.get_int32("cv_repeats", 1, 1);
  NNLAB_CHECK(s.cv_repeats <= 100 && (s.cv_repeats == 1 || s.folds >= 2),
              "{}search.cv_repeats must be 1..100, and more than 1 only with folds >= 2",
              l.at("cv_repeats"));
  s.stratified = l.get_bool("stratified", true);
  s.outer_folds = l.get_int32("outer_folds", 0, 0);
  NNLAB_CHECK(s.outer_folds != 1 && s.outer_folds <= 100,
              "{}search.outer_folds must be 0 (none) or 2..100", l.at("outer_folds"));
  NNLAB_CHECK(s.outer_folds == 0 || s.folds >= 2,
              "{}nested cross-validation (search.outer_folds) needs search.folds >= 2",
              l.at("outer_folds"));
  s.workers = l.get_int32("workers", 0, 0);
  NNLAB_CHECK(s.workers <= 1024, "{}search.workers must be <= 1024", l.at("workers"));
  s.refit = l.get_int32("refit", 1, 0);
  NNLAB_CHECK(s.refit <= 100, "{}search.refit must be <= 100", l.at("refit"));
  s.max_trials = l.get_int("trials", 0, 0);
  s.minutes = l.get_number("minutes", 0);
  // The deadline is a steady_clock time point in nanoseconds: a year keeps it far from overflow.
  NNLAB_CHECK(s.minutes >= 0 && s.minutes <= kMaxSearchMinutes,
              "{}search.minutes must be a number in [0, {}], got {}", l.at("minutes"),
              kMaxSearchMinutes, s.minutes);
  s.seed = static_cast<uint64_t>(l.get_int("seed", 1, 0));

  const auto* stages = table.get_as<toml::array>("stages");
  NNLAB_CHECK(stages && !stages->empty(),
              "{}: a search needs at least one [[runs.search.stages]] with a space",
              where(table, file));
  const std::set<std::string> stage_keys = {"name",   "method",     "trials", "from_best",
                                            "narrow", "min_epochs", "eta",    "space"};
  std::set<std::string> used;  // variables named by the values of this stage or one before
  for (size_t i = 0; i < stages->size(); ++i) {
    const auto* t = stages->get(i)->as_table();
    NNLAB_CHECK(t, "{}: search.stages must be tables", where(*stages->get(i), file));
    for (const auto& [k, v] : *t)
      NNLAB_CHECK(stage_keys.contains(std::string(k.str())),
                  "{}: unknown key 'search.stages.{}'; did you mean '{}'?", where(v, file), k.str(),
                  closest(std::string(k.str()), {stage_keys.begin(), stage_keys.end()}));
    Lookup sl(file);
    sl.add(t);
    SearchStage st;
    st.name = sl.get_string("name", fmt::format("stage{}", i + 1));
    st.method = sl.get_string("method", "grid");
    sl.check_one_of("method", st.method, {"grid", "random", "halving"});
    st.trials = sl.get_int("trials", 0, 0);
    NNLAB_CHECK(st.method != "random" || st.trials > 0,
                "{}search.stages.trials must be > 0 for random", sl.at("trials"));
    NNLAB_CHECK(st.trials <= kMaxGridSize, "{}search.stages.trials must be <= {}", sl.at("trials"),
                kMaxGridSize);
    st.from_best = sl.get_int32("from_best", 0, 0);
    NNLAB_CHECK(i > 0 || st.from_best == 0, "{}search.stages.from_best needs a stage before it",
                sl.at("from_best"));
    NNLAB_CHECK(st.from_best <= 1000, "{}search.stages.from_best must be <= 1000",
                sl.at("from_best"));
    st.narrow = sl.get_number("narrow", 0);
    NNLAB_CHECK(st.narrow >= 0 && st.narrow <= 1, "{}search.stages.narrow must be in [0, 1]",
                sl.at("narrow"));
    st.min_epochs = sl.get_int32("min_epochs", 1, 1);
    st.eta = sl.get_int32("eta", 3, 2);
    NNLAB_CHECK(st.min_epochs <= 1'000'000 && st.eta <= 100,
                "{}search.stages: min_epochs <= 1000000 and eta <= 100", sl.at("eta"));
    const auto* space = t->get_as<toml::table>("space");
    NNLAB_CHECK(space && !space->empty(), "{}: search stage '{}' needs a space = {{...}}",
                where(*t, file), st.name);
    for (const auto& [k, v] : *space) {
      const std::string key(k.str());
      const std::string at = where(v, file);
      ParamSpace p = parse_param(key, toml_to_json(v), at);
      if (!is_variable_key(key)) {
        NNLAB_CHECK(key != "name" && key != "search" && key != "sweep" &&
                        key.rfind("reference", 0) != 0 && key != "seed" && key != "repeats",
                    "{}: a search cannot vary '{}'", at, key);
        const auto& def = resolve_key(run_schema(), key, at + ": search space");
        std::set<std::string> refs;
        for (const auto& value : p.values) referenced_variables(value, refs);
        used.insert(refs.begin(), refs.end());
        // Values with variables are checked once substituted, when a trial is read.
        if (p.kind == ParamSpace::Kind::list && refs.empty())
          if (const auto* list = v.as_array())
            for (const auto& value : *list) validate_value(value, def, key, file);
      }
      st.space.params.push_back(std::move(p));
    }
    for (const ParamSpace& p : st.space.params)
      NNLAB_CHECK(!is_variable_key(p.key) || used.contains(p.key) || st.from_best > 0,
                  "{}: search variable '{}' is used by no value (write \"${}\" where it goes)",
                  where(*space, file), p.key, p.key);
    // Trials = configurations x bases x folds x repeats, all added to the store at once: bounded
    // before anything is allocated (each factor is bounded, so the product fits a double).
    const bool whole_grid = st.method == "grid" || (st.method == "halving" && st.trials == 0);
    const double configurations =
        static_cast<double>(whole_grid ? grid_size(st.space, where(*space, file)) : st.trials);
    const double trials =
        configurations * std::max(1, st.from_best) * std::max(1, s.folds) * s.cv_repeats;
    NNLAB_CHECK(trials <= static_cast<double>(kMaxSearchTrials),
                "{}: search stage '{}' makes {:.0f} trials (configurations x from_best x folds x "
                "cv_repeats); at most {} are allowed",
                where(*space, file), st.name, trials, kMaxSearchTrials);
    s.stages.push_back(std::move(st));
  }
  return s;
}

}  // namespace study_detail

std::string toml_value_text(const json& v) {
  if (v.is_string()) {
    std::string out = "\"";
    for (const char c : v.get_ref<const std::string&>()) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        out += fmt::format("\\u{:04x}", static_cast<int>(c));
      } else {
        out += c;
      }
    }
    return out + "\"";
  }
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return v.dump();
  if (v.is_number_float()) {
    std::string s = fmt::format("{}", v.get<double>());  // shortest round-trip form
    if (s.find_first_of(".eEni") == std::string::npos) s += ".0";
    return s;
  }
  if (v.is_array()) {
    std::vector<std::string> items;
    for (const auto& item : v) items.push_back(toml_value_text(item));
    return fmt::format("[{}]", fmt::join(items, ", "));
  }
  if (v.is_object()) {
    std::vector<std::string> items;
    for (const auto& [k, item] : v.items())
      items.push_back(bare_or_quoted_key(k) + " = " + toml_value_text(item));
    return fmt::format("{{{}}}", fmt::join(items, ", "));
  }
  throw Error("a search value cannot be null");
}

std::vector<std::string> configuration_overrides(const std::string& run, const json& config) {
  std::vector<std::string> out;
  for (const auto& [key, value] : config.items()) {
    if (is_variable_key(key)) continue;
    out.push_back(fmt::format("runs.{}.{}={}", run, key,
                              toml_value_text(substitute_variables(value, config))));
  }
  return out;
}

}  // namespace nnlab
