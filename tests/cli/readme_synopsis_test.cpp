// The README's command-line synopsis against the program: one line per (sub)command, listing
// exactly the long options its --help shows; and --help shows the options' defaults.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli/nnlab_binary.hpp"
#include "support/test_support.hpp"

namespace nnlab::test {
namespace {

using Flags = std::set<std::string>;

/// The long options (`--out`) in a text, each where a word starts.
Flags long_options(const std::string& text) {
  static const std::regex option(R"((^|[\s,\[])(--[a-z][a-z0-9-]*))");
  Flags flags;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), option);
       it != std::sregex_iterator(); ++it)
    flags.insert((*it)[2]);
  return flags;
}

/// The subcommand names under "Subcommands:" in a --help text.
std::vector<std::string> subcommands(const std::string& help) {
  std::vector<std::string> names;
  const size_t at = help.find("Subcommands:\n");
  if (at == std::string::npos) return names;
  std::istringstream in(help.substr(at + 13));
  for (std::string line; std::getline(in, line) && line.rfind("  ", 0) == 0;) {
    std::istringstream words(line);
    std::string name;
    words >> name;
    names.push_back(name);
  }
  return names;
}

/// Every leaf command ("run", "data info") with the long options its --help lists.
void program_commands(const std::string& prefix, std::map<std::string, Flags>& out) {
  const CommandResult r = run_nnlab(prefix + " --help");
  ASSERT_EQ(r.status, 0) << "nnlab " << prefix << " --help: " << r.err;
  const std::vector<std::string> subs = subcommands(r.out);
  if (!prefix.empty() && subs.empty()) {
    Flags flags = long_options(r.out);
    flags.erase("--help");
    out[prefix] = flags;
  }
  for (const std::string& sub : subs)
    program_commands(prefix.empty() ? sub : prefix + " " + sub, out);
}

/// The README's synopsis: the first ``` block after "## The command line"; each line
/// "nnlab WORD... ARGS  # comment", where the leading lower-case WORDs name the command.
std::map<std::string, Flags> readme_commands() {
  std::ifstream in(std::filesystem::path(NNLAB_SOURCE_DIR) / "README.md");
  std::map<std::string, Flags> out;
  bool section = false, block = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("## ", 0) == 0) section = line == "## The command line";
    if (!section) continue;
    if (line.rfind("```", 0) == 0) {
      if (block) break;
      block = true;
      continue;
    }
    if (!block) continue;
    line = line.substr(0, line.find('#'));
    std::istringstream words(line);
    std::string word, command;
    words >> word;
    EXPECT_EQ(word, "nnlab") << "a synopsis line that is not a command: " << line;
    while (words >> word && std::regex_match(word, std::regex("[a-z]+")))
      command += (command.empty() ? "" : " ") + word;
    EXPECT_FALSE(out.count(command)) << "'nnlab " << command << "' has two synopsis lines";
    out[command] = long_options(line);
  }
  return out;
}

class CliDocs : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(nnlab_binary())) skip_for_missing(nnlab_binary() + " not built");
  }
};

TEST_F(CliDocs, ReadmeSynopsisListsEveryCommandAndOption) {
  std::map<std::string, Flags> program;
  program_commands("", program);
  const std::map<std::string, Flags> readme = readme_commands();
  ASSERT_GE(program.size(), 6u) << "the --help parsing found too few commands";
  for (const auto& [command, flags] : program) {
    SCOPED_TRACE("nnlab " + command);
    if (!readme.count(command)) {
      ADD_FAILURE() << "missing from the README's synopsis";
      continue;
    }
    EXPECT_EQ(readme.at(command), flags) << "the README's options differ from --help's";
  }
  for (const auto& [command, flags] : readme)
    EXPECT_TRUE(program.count(command)) << "the README's 'nnlab " << command << "' is no command";
}

TEST_F(CliDocs, HelpShowsDefaults) {
  const CommandResult eval = run_nnlab("eval --help");
  EXPECT_NE(eval.out.find("=256"), std::string::npos) << eval.out;  // --batch
  const CommandResult run = run_nnlab("run --help");
  EXPECT_NE(run.out.find("=0"), std::string::npos) << run.out;  // --threads
  const CommandResult fetch = run_nnlab("data fetch --help");
  EXPECT_NE(fetch.out.find("=data"), std::string::npos) << fetch.out;  // --dir
}

}  // namespace
}  // namespace nnlab::test
