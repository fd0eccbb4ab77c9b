#include "study/expand.hpp"

#include <fmt/format.h>

#include "search/space.hpp"
#include "study/toml_access.hpp"

namespace nnlab::study_detail {

std::string format_value(const toml::node& node) {
  if (const auto* v = node.as_integer()) return fmt::format("{}", v->get());
  if (const auto* v = node.as_floating_point()) return fmt::format("{}", v->get());
  if (const auto* v = node.as_string()) return v->get();
  if (const auto* v = node.as_boolean()) return v->get() ? "true" : "false";
  return "?";
}

namespace {

std::string leaf(const std::string& key) {
  const size_t dot = key.rfind('.');
  return dot == std::string::npos ? key : key.substr(dot + 1);
}

// A sweep is a grid search whose every configuration is kept as a run of its own: its axes
// enumerated by the search's grid (the first axis varying slowest, within kMaxGridSize), each
// configuration naming its values by their place in the file so that errors can cite the line.
void expand_sweep(const RunSource& base, const toml::table& sweep, const std::string& file,
                  std::vector<RunSource>& out) {
  SearchSpace space;
  std::vector<const toml::array*> axes;
  for (const auto& [key, values] : sweep) {
    axes.push_back(values.as_array());
    ParamSpace& p = space.params.emplace_back();
    p.key = std::string(key.str());
    for (size_t i = 0; i < axes.back()->size(); ++i) p.values.emplace_back(i);
  }
  if (axes.empty()) return;
  const std::string first = space.params[0].key;
  for (const nlohmann::json& config : grid(space, file + ": sweep of run '" + base.name + "'")) {
    RunSource run = base;
    run.sweep_of = base.name;
    // A run named after its first axis's key reads "l2=1e-05", not "l2-l2=1e-05".
    if (run.name == leaf(first)) run.name.clear();
    for (size_t a = 0; a < axes.size(); ++a) {
      const std::string& key = space.params[a].key;
      const toml::node* value = axes[a]->get(config[key].get<size_t>());
      run.swept.emplace_back(key, value);
      if (!run.name.empty()) run.name += "-";
      run.name += leaf(key) + "=" + format_value(*value);
    }
    out.push_back(std::move(run));
  }
}

}  // namespace

std::vector<RunSource> expand_runs(const toml::table& root, const std::string& study_name,
                                   const std::string& file) {
  std::vector<RunSource> out;
  const auto* runs = root.get_as<toml::array>("runs");
  if (!runs || runs->empty()) {
    out.push_back({study_name, nullptr, {}});
    return out;
  }
  for (const auto& item : *runs) {
    const auto& table = *item.as_table();
    RunSource base{table.get("name") ? table.get_as<std::string>("name")->get() : "", &table, {}};
    const auto* sweep = table.get_as<toml::table>("sweep");
    if (sweep && !sweep->empty())
      expand_sweep(base, *sweep, file, out);
    else
      out.push_back(std::move(base));
  }
  return out;
}

}  // namespace nnlab::study_detail
