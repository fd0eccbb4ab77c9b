// docs/output-format.md against a tiny run that uses every feature writing a file: the files it
// lists are the files written, and metrics.json has exactly the keys of its example.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "io/atomic_file.hpp"
#include "study/runner.hpp"
#include "support/test_support.hpp"

namespace nnlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The example of metrics.json in miniature: its run name and reference, a validation split
// and a refit, two repeats (an ensemble); plus an lr_sweep, augmentation, inactive neurons and a
// hidden layer for figures.
constexpr const char* kOutputFormatStudy = R"toml(
name = "tiny"
repeats = 2
[data]
dataset = "mnist"
train_limit = 300
test_limit = 200
validation = 100
augment = {shift = 1}
[model]
layers = [{type = "dense", units = 16}, {type = "dense", units = 10, activation = "softmax"}]
[train]
epochs = 1
batch = 50
refit = true
optimizer = {type = "adam", lr = 1e-3}
[diagnostics]
inactive_neurons = true
[lr_sweep]
run = "regularized"
rates = [1e-3]
[[runs]]
name = "regularized"
reference = {test_accuracy = 0.9837}
)toml";

std::string docs_text() {
  std::ifstream in(fs::path(NNLAB_SOURCE_DIR) / "docs" / "output-format.md");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// The text of the first ``` block (with the given info string) after `from`.
std::string block_after(const std::string& text, const std::string& from, const std::string& info) {
  const size_t at = text.find(from);
  const size_t open = text.find("```" + info + "\n", at == std::string::npos ? 0 : at);
  if (at == std::string::npos || open == std::string::npos) return "";
  const size_t start = open + 4 + info.size();
  return text.substr(start, text.find("\n```", start) - start);
}

/// The paths the file list names ("DIR/runs/RUN/rK/history.csv" as "runs/RUN/rK/history.csv").
std::set<std::string> documented_files(const std::string& docs) {
  std::set<std::string> files;
  std::istringstream in(block_after(docs, "# What", ""));
  static const std::regex path(R"(^DIR/(\S+))");
  std::smatch m;
  for (std::string line; std::getline(in, line);)
    if (std::regex_search(line, m, path)) files.insert(m[1]);
  return files;
}

/// The files under `dir`, with run directories written as the docs write them.
std::set<std::string> written_files(const fs::path& dir) {
  std::set<std::string> files;
  static const std::regex run_dir(R"(^runs/[^/]+/r[0-9]+/)");
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file())
      files.insert(
          std::regex_replace(fs::relative(e.path(), dir).string(), run_dir, "runs/RUN/rK/"));
  return files;
}

/// Every key path of a JSON value ("runs[].test.errors"), arrays by their first element.
void key_paths(const json& j, const std::string& prefix, std::set<std::string>& out) {
  if (j.is_object())
    for (const auto& [k, v] : j.items()) {
      out.insert(prefix + k);
      key_paths(v, prefix + k + ".", out);
    }
  if (j.is_array() && !j.empty())
    key_paths(j.front(), prefix.substr(0, prefix.size() - 1) + "[].", out);
}

/// The elements of `a` that `b` lacks.
std::set<std::string> minus(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::set<std::string> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::inserter(out, out.end()));
  return out;
}

TEST(OutputFormat, DocumentedFilesAndMetricsKeysAreWhatARunWrites) {
  const fs::path out = test::temp_dir() / "out";
  run_study(parse_study(kOutputFormatStudy, "tiny.toml", {}),
            {.out_dir = out.string(),
             .data_dir = test::shared_data_dir().string(),
             .threads = 2,
             .resume = false,
             .progress = false,
             .only_runs = {}});
  const std::string docs = docs_text();
  std::set<std::string> documented = documented_files(docs);
  ASSERT_GE(documented.size(), 10u) << "the file list of docs/output-format.md was not found";
  // Checkpoints live only while a repeat trains; listed, but gone once it has finished.
  for (const char* f :
       {"runs/RUN/rK/checkpoint.safetensors", "runs/RUN/rK/refit_checkpoint.safetensors"})
    EXPECT_EQ(documented.erase(f), 1u) << f << " is not documented";
  // A searched run's files: checked by the next test; a regression's and an autoencoder's: by
  // tests/cli/search_test.cpp and tests/study/reconstruct_run_test.cpp.
  for (const char* f :
       {"search/RUN/trials.csv", "search/RUN/trials.sqlite", "runs/RUN/rK/points.csv",
        "runs/RUN/rK/curve.csv", "runs/RUN/rK/corruptions.csv",
        "runs/RUN/rK/reconstructions.safetensors", "runs/RUN/rK/latent.csv",
        "runs/RUN/rK/generated.safetensors", "runs/RUN/rK/generation.csv"})
    EXPECT_EQ(documented.erase(f), 1u) << f << " is not documented";
  const std::set<std::string> written = written_files(out);
  EXPECT_EQ(minus(written, documented), std::set<std::string>{}) << "written, not documented";
  EXPECT_EQ(minus(documented, written), std::set<std::string>{}) << "documented, not written";

  std::set<std::string> example, metrics;
  key_paths(json::parse(block_after(docs, "## metrics.json", "json")), "", example);
  key_paths(json::parse(read_file((out / "metrics.json").string())), "", metrics);
  EXPECT_EQ(minus(metrics, example), std::set<std::string>{}) << "keys missing from the example";
  EXPECT_EQ(minus(example, metrics), std::set<std::string>{}) << "keys the run does not write";
}

// A searched run: its files, and metrics.json "search" with exactly the keys of the example.
TEST(OutputFormat, SearchFilesAndKeysAreWhatASearchWrites) {
  const fs::path out = test::temp_dir() / "out";
  const std::string study = std::string(kOutputFormatStudy) + R"toml(
[[runs]]
name = "searched"
[runs.search]
folds = 2
outer_folds = 2
[[runs.search.stages]]
space = {"train.optimizer.lr" = [1e-3, 1e-2]}
)toml";
  run_study(parse_study(study, "tiny.toml", {}), {.out_dir = out.string(),
                                                  .data_dir = test::shared_data_dir().string(),
                                                  .threads = 2,
                                                  .resume = false,
                                                  .progress = false,
                                                  .only_runs = {"searched"}});
  const std::string docs = docs_text();
  for (const std::string& f : documented_files(docs))
    if (f.rfind("search/", 0) == 0) {
      const std::string path = std::regex_replace(f, std::regex("RUN"), "searched");
      EXPECT_TRUE(fs::exists(out / path)) << path;
    }
  std::set<std::string> example, written;
  key_paths(json::parse(block_after(docs, "## metrics.json \"search\"", "json")), "", example);
  key_paths(json::parse(read_file((out / "metrics.json").string()))["search"]["searched"], "",
            written);
  EXPECT_EQ(minus(written, example), std::set<std::string>{}) << "keys missing from the example";
  EXPECT_EQ(minus(example, written), std::set<std::string>{}) << "keys the search does not write";
}

}  // namespace
}  // namespace nnlab
