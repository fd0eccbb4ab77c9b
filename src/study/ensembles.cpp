#include "study/ensembles.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <vector>

#include "eval/ensemble.hpp"
#include "tensor/error.hpp"

namespace nnlab {

using nlohmann::json;

namespace {

// The results of each group, a group being a search's name for its refits ("ensemble_of"), else a
// run's name for its repeats; groups in the order they first appear, results in metrics' order.
// Indexed once, so that finding a group's results does not scan every result again.
struct Groups {
  std::vector<std::string> order;
  std::map<std::string, std::vector<const json*>> results;
};

Groups group_results(const json& runs) {
  Groups g;
  for (const json& r : runs) {
    const std::string group = r.value("ensemble_of", r["name"].get<std::string>());
    auto [it, added] = g.results.try_emplace(group);
    if (added) g.order.push_back(group);
    it->second.push_back(&r);
  }
  return g;
}

// The members of `names`' groups: results that did not diverge and kept their test outputs.
struct Members {
  std::vector<TestOutputs> outputs;
  std::vector<std::string> names;
  std::vector<double> accuracies;
  std::vector<std::string> groups_without;  // groups with no member at all
};

Members members_of(const Groups& groups, const std::string& out_dir,
                   const std::vector<std::string>& names) {
  static const std::vector<const json*> kNone;  // a group with no result (a run not run yet)
  Members m;
  for (const std::string& group : names) {
    const size_t before = m.outputs.size();
    const auto it = groups.results.find(group);
    for (const json* result : it != groups.results.end() ? it->second : kNone) {
      const json& r = *result;
      if (r.value("stopped", "") == "diverged" || !r.contains("dir") || !r.contains("test") ||
          !r["test"].contains("accuracy"))
        continue;
      const std::filesystem::path file =
          std::filesystem::path(out_dir) / r["dir"].get<std::string>() / "test_outputs.safetensors";
      if (!std::filesystem::exists(file)) continue;
      m.outputs.push_back(load_test_outputs(file.string()));
      m.names.push_back(
          fmt::format("{} r{}", r["name"].get<std::string>(), r["repeat"].get<int>()));
      m.accuracies.push_back(r["test"]["accuracy"].get<double>());
    }
    if (m.outputs.size() == before) m.groups_without.push_back(group);
  }
  return m;
}

json scored(const std::string& name, const Members& m) {
  json e = {{"name", name}, {"members", m.names}};
  try {
    const EnsembleScore s = score_ensemble(m.outputs, m.names);
    double sum = 0;
    for (double a : m.accuracies) sum += a;
    e["test_accuracy"] = s.accuracy;
    e["test_loss"] = s.loss;
    e["test_errors"] = s.errors;
    e["members_test_accuracy_mean"] = sum / static_cast<double>(m.accuracies.size());
    e["members_test_accuracy_best"] = *std::max_element(m.accuracies.begin(), m.accuracies.end());
  } catch (const Error& err) {
    e["skipped"] = err.what();
  }
  return e;
}

}  // namespace

json study_ensembles(const json& runs, const std::string& out_dir,
                     const std::vector<EnsembleSpec>& declared) {
  const Groups groups = group_results(runs);
  json out = json::array();
  for (const std::string& group : groups.order)
    if (const Members m = members_of(groups, out_dir, {group}); m.outputs.size() >= 2)
      out.push_back(scored(group, m));
  for (const EnsembleSpec& spec : declared) {
    const Members m = members_of(groups, out_dir, spec.runs);
    if (!m.groups_without.empty())
      out.push_back({{"name", spec.name},
                     {"members", m.names},
                     {"skipped", fmt::format("{} {} kept no test outputs in this folder (not "
                                             "run yet, left out by --run, diverged, or a "
                                             "learner without probabilities)",
                                             m.groups_without.size() == 1 ? "run" : "runs",
                                             fmt::join(m.groups_without, ", "))}});
    else
      out.push_back(scored(spec.name, m));
  }
  return out;
}

}  // namespace nnlab
