// Every ```toml block of README.md and docs/*.md is a study nnlab accepts: parsed, validated and
// expanded by parse_study, and each run's model, loss and optimizer built for MNIST's
// [1, 28, 28] samples (make_session, which also checks model.max_params). A block fenced
// ```toml fragment is part of a study: its tables are merged key by key over kMinimalStudy
// first (docs/study-format.md, "Examples in the documentation").
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "study/preflight.hpp"
#include "study/session.hpp"
#include "study/study.hpp"
#include "support/test_support.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

namespace fs = std::filesystem;

// What a fragment is completed with: the smallest study nnlab runs, one output per class of the
// fragment's dataset (MNIST's 10, Multi-MNIST's 50).
constexpr const char* kMinimalStudy = R"(
[model]
layers = [{type = "dense", units = 10, activation = "softmax"}]
)";
constexpr const char* kMinimalMultiMnistStudy = R"(
[model]
layers = [{type = "dense", units = 50, activation = "softmax"}]
)";

struct TomlBlock {
  std::string file;  // relative to the source tree
  int line = 0;      // of the opening fence, 1-based
  bool fragment = false;
  std::string text;
};

/// The ```toml blocks of a Markdown file, in order.
std::vector<TomlBlock> toml_blocks(const fs::path& root, const std::string& file) {
  std::ifstream in(root / file);
  EXPECT_TRUE(in) << "cannot read " << file;
  std::vector<TomlBlock> blocks;
  enum { outside, in_toml, in_other } state = outside;
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    const bool fence = line.rfind("```", 0) == 0;
    if (state == outside && fence) {
      const std::string info = line.substr(3);
      state = info == "toml" || info == "toml fragment" ? in_toml : in_other;
      if (state == in_toml)
        blocks.push_back(
            {.file = file, .line = n, .fragment = info == "toml fragment", .text = {}});
    } else if (fence) {
      state = outside;
    } else if (state == in_toml) {
      blocks.back().text += line + "\n";
    }
  }
  EXPECT_EQ(state, outside) << file << ": a ``` block is not closed";
  return blocks;
}

/// Merges `top` over `base`: tables key by key, anything else replaced whole.
void merge_into(toml::table& base, const toml::table& top) {
  for (const auto& [key, node] : top) {
    toml::table* below = base.get_as<toml::table>(key);
    if (below && node.is_table())
      merge_into(*below, *node.as_table());
    else
      node.visit([&, k = key](const auto& value) { base.insert_or_assign(k, value); });
  }
}

/// The study text a block stands for: itself, or for a fragment the minimal study with the
/// fragment merged in. Whole blocks keep their lines: errors name the Markdown file's line.
std::string study_text(const TomlBlock& b) {
  if (!b.fragment) return std::string(static_cast<size_t>(b.line), '\n') + b.text;
  const toml::table fragment = toml::parse(b.text, b.file);
  const bool multi = fragment["data"]["dataset"].value_or(std::string()) == "multi-mnist";
  toml::table study = toml::parse(multi ? kMinimalMultiMnistStudy : kMinimalStudy);
  merge_into(study, fragment);
  std::ostringstream out;
  out << study;
  return out.str();
}

std::vector<TomlBlock> documented_blocks() {
  const fs::path root = NNLAB_SOURCE_DIR;
  std::vector<std::string> files = {"README.md"};
  for (const auto& entry : fs::directory_iterator(root / "docs"))
    if (entry.path().extension() == ".md")
      files.push_back("docs/" + entry.path().filename().string());
  std::vector<TomlBlock> blocks;
  for (const std::string& file : files)
    for (TomlBlock& b : toml_blocks(root, file)) blocks.push_back(std::move(b));
  return blocks;
}

TEST(DocsToml, EveryTomlBlockIsAValidStudy) {
  const std::vector<TomlBlock> blocks = documented_blocks();
  int fragments = 0;
  for (const TomlBlock& b : blocks) {
    const std::string where = b.file + ":" + std::to_string(b.line);
    SCOPED_TRACE("the ```toml block at " + where);
    fragments += b.fragment;
    try {
      // A whole block is named after its file, so that errors read "README.md:40: ...".
      const Study study =
          parse_study(study_text(b), b.fragment ? where + " (fragment)" : b.file, {});
      ASSERT_FALSE(study.runs.empty());
      check_runs_before_training(study, {});  // every learner on its transformed samples
      for (const RunSpec& run : study.runs)
        if (run.learner.network() && run.transforms.empty())
          make_session(test::exec(), run, {1, 28, 28}, run.seed, where);
    } catch (const toml::parse_error& e) {  // a fragment's own syntax
      ADD_FAILURE() << where << ": " << e.description();
    } catch (const Error& e) {
      ADD_FAILURE() << e.what();
    }
  }
  // The README's study, the full example of docs/study-format.md, at least one fragment.
  EXPECT_GE(blocks.size(), 3u);
  EXPECT_GE(fragments, 1);
}

// The convention itself: a fragment is completed by the minimal study; the same text as a
// whole block is not a study (no model.layers).
TEST(DocsToml, FragmentsAreMergedOverTheMinimalStudy) {
  const TomlBlock fragment{.file = "x.md",
                           .line = 3,
                           .fragment = true,
                           .text = "[train]\nepochs = 2\n[model]\nactivation = \"tanh\"\n"};
  const Study s = parse_study(study_text(fragment), "x.md:3 (fragment)", {});
  ASSERT_EQ(s.runs.size(), 1u);
  EXPECT_EQ(s.runs[0].train.epochs, 2);
  ASSERT_EQ(s.runs[0].model.layers.size(), 1u);  // from the minimal study
  TomlBlock whole = fragment;
  whole.fragment = false;
  EXPECT_NE(test::error_of([&] { parse_study(study_text(whole), "x.md", {}); }).find("x.md"),
            std::string::npos);
}

}  // namespace
}  // namespace nnlab
