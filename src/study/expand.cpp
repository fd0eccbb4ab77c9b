#include "study/expand.hpp"

#include <fmt/format.h>

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

// Every combination of the sweep's axes, the first axis varying slowest.
void expand_sweep(const RunSource& base, const toml::table& sweep, std::vector<RunSource>& out) {
  std::vector<std::pair<std::string, const toml::array*>> axes;
  for (const auto& [key, values] : sweep)
    axes.emplace_back(std::string(key.str()), values.as_array());
  std::vector<size_t> index(axes.size(), 0);
  while (true) {
    RunSource run = base;
    // A run named after its first axis's key reads "l2=1e-05", not "l2-l2=1e-05".
    if (run.name == leaf(axes[0].first)) run.name.clear();
    for (size_t a = 0; a < axes.size(); ++a) {
      const toml::node* value = axes[a].second->get(index[a]);
      run.swept.emplace_back(axes[a].first, value);
      if (!run.name.empty()) run.name += "-";
      run.name += leaf(axes[a].first) + "=" + format_value(*value);
    }
    out.push_back(std::move(run));
    size_t a = axes.size();
    while (a > 0) {
      --a;
      if (++index[a] < axes[a].second->size()) break;
      index[a] = 0;
      if (a == 0) return;
    }
    if (axes.empty()) return;
  }
}

}  // namespace

std::vector<RunSource> expand_runs(const toml::table& root, const std::string& study_name) {
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
      expand_sweep(base, *sweep, out);
    else
      out.push_back(std::move(base));
  }
  return out;
}

}  // namespace nnlab::study_detail
