// nnlab run STUDY.toml --out DIR: load the study, run it, print the summary table and the
// report's path.
#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "cli/commands.hpp"
#include "report/summary_table.hpp"
#include "study/runner.hpp"
#include "study/study.hpp"
#include "tensor/error.hpp"

namespace nnlab::cli {

namespace {
struct RunArgs {
  std::string study;
  std::vector<std::string> sets;
  RunOptions options;
  bool no_progress = false;
};

// `arg` as the shell reads it back: bare when it holds only safe characters, else in single
// quotes.
std::string shell_quoted(const std::string& arg) {
  const bool bare = !arg.empty() && arg.find_first_not_of(
                                        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789-_./=:,+@%") == std::string::npos;
  if (bare) return arg;
  std::string out = "'";
  for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The command line that reruns this study with these options, for metrics.json.
std::string command_line(const RunArgs& a) {
  std::string out =
      "nnlab run " + shell_quoted(a.study) + " --out " + shell_quoted(a.options.out_dir);
  for (const std::string& s : a.sets) out += " --set " + shell_quoted(s);
  if (a.options.threads != 0) out += fmt::format(" --threads {}", a.options.threads);
  if (!a.options.data_dir.empty()) out += " --data-dir " + shell_quoted(a.options.data_dir);
  if (a.options.resume) out += " --resume";
  for (const std::string& r : a.options.only_runs) out += " --run " + shell_quoted(r);
  return out;
}
}  // namespace

void add_run_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  auto* cmd = app.add_subcommand("run", "Run a study file and write its outputs and report");
  cmd->add_option("study", args->study, "The study file (TOML)")->required();
  cmd->add_option("--out,-o", args->options.out_dir, "Output directory")->required();
  cmd->add_option("--set", args->sets, "Override a study key: KEY=VALUE (repeatable)");
  cmd->add_option("--threads", args->options.threads, "Threads (0 = all cores)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--data-dir", args->options.data_dir, "Directory searched first for datasets");
  cmd->add_flag("--resume", args->options.resume, "Continue from DIR's checkpoints");
  cmd->add_option("--run", args->options.only_runs, "Run only this run (repeatable)");
  cmd->add_flag("--no-progress", args->no_progress, "No progress bar");
  cmd->callback([args] {
    const Study study = load_study(args->study, args->sets);
    args->options.progress = !args->no_progress;
    args->options.command = command_line(*args);
    const StudyResult result = run_study(study, args->options);
    fmt::print("\n{}Report: {}\n", summary_table(result.metrics),
               std::filesystem::absolute(result.report).string());
    std::fflush(stdout);
    NNLAB_CHECK(result.failure.empty(), "{}", result.failure);  // exit status 1
  });
}

}  // namespace nnlab::cli
