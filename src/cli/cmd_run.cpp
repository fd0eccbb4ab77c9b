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
    const StudyResult result = run_study(study, args->options);
    fmt::print("\n{}Report: {}\n", summary_table(result.metrics),
               std::filesystem::absolute(result.report).string());
    std::fflush(stdout);
    NNLAB_CHECK(result.failure.empty(), "{}", result.failure);  // exit status 1
  });
}

}  // namespace nnlab::cli
