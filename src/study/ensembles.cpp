#include "study/ensembles.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "eval/ensemble.hpp"
#include "tensor/error.hpp"

namespace nnlab {

using nlohmann::json;

json study_ensembles(const json& runs, const std::string& out_dir) {
  const auto group_of = [](const json& r) {
    return r.value("ensemble_of", r["name"].get<std::string>());
  };
  std::vector<std::string> groups;
  for (const json& r : runs)
    if (std::find(groups.begin(), groups.end(), group_of(r)) == groups.end())
      groups.push_back(group_of(r));

  json out = json::array();
  for (const std::string& group : groups) {
    std::vector<TestOutputs> members;
    std::vector<std::string> names;
    std::vector<double> accuracies;
    for (const json& r : runs) {
      if (group_of(r) != group || r.value("stopped", "") == "diverged" || !r.contains("dir") ||
          !r.contains("test") || !r["test"].contains("accuracy"))
        continue;
      const std::filesystem::path file =
          std::filesystem::path(out_dir) / r["dir"].get<std::string>() / "test_outputs.safetensors";
      if (!std::filesystem::exists(file)) continue;
      members.push_back(load_test_outputs(file.string()));
      names.push_back(fmt::format("{} r{}", r["name"].get<std::string>(), r["repeat"].get<int>()));
      accuracies.push_back(r["test"]["accuracy"].get<double>());
    }
    if (members.size() < 2) continue;
    json e = {{"name", group}, {"members", names}};
    try {
      const EnsembleScore s = score_ensemble(members, names);
      double sum = 0;
      for (double a : accuracies) sum += a;
      e["test_accuracy"] = s.accuracy;
      e["test_loss"] = s.loss;
      e["test_errors"] = s.errors;
      e["members_test_accuracy_mean"] = sum / static_cast<double>(accuracies.size());
      e["members_test_accuracy_best"] = *std::max_element(accuracies.begin(), accuracies.end());
    } catch (const Error& err) {
      e["skipped"] = err.what();
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace nnlab
