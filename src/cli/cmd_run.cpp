// nnlab run STUDY.toml --out DIR: load the study, run it, print the summary table and the
// report's path. nnlab search STUDY.toml --out DIR: the same for the study's searched runs, with
// the options that let several processes share their trials.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <memory>

#include "cli/commands.hpp"
#include "report/summary_table.hpp"
#include "study/runner.hpp"
#include "study/study.hpp"
#include "tensor/error.hpp"
#include "tensor/exec_context.hpp"

namespace nnlab::cli {

namespace {
struct RunArgs {
  std::string command;  // run | search
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
  std::string out = "nnlab " + a.command + " " + shell_quoted(a.study) + " --out " +
                    shell_quoted(a.options.out_dir);
  for (const std::string& s : a.sets) out += " --set " + shell_quoted(s);
  if (a.options.threads != 0) out += fmt::format(" --threads {}", a.options.threads);
  if (!a.options.data_dir.empty()) out += " --data-dir " + shell_quoted(a.options.data_dir);
  if (a.options.resume_changed)
    out += " --resume-changed";
  else if (a.options.resume)
    out += " --resume";
  for (const std::string& r : a.options.only_runs) out += " --run " + shell_quoted(r);
  if (a.options.workers != 0) out += fmt::format(" --workers {}", a.options.workers);
  if (a.options.join) out += " --join";
  return out;
}

CLI::App* add_study_command(CLI::App& app, const std::string& name, const std::string& help,
                            const std::shared_ptr<RunArgs>& args) {
  args->command = name;
  auto* cmd = app.add_subcommand(name, help);
  cmd->add_option("study", args->study, "The study file (TOML)")->required();
  cmd->add_option("--out,-o", args->options.out_dir, "Output directory")->required();
  cmd->add_option("--set", args->sets, "Override a study key: KEY=VALUE (repeatable)");
  cmd->add_option("--threads", args->options.threads, "Threads (0 = all cores)")
      ->check(thread_count());
  cmd->add_option("--data-dir", args->options.data_dir,
                  "The directory holding the datasets (the only one searched)");
  cmd->add_flag("--resume", args->options.resume, "Continue from DIR's checkpoints");
  cmd->add_flag("--resume-changed", args->options.resume_changed,
                "--resume, taking settings other than those DIR's study ran with (what changed "
                "goes to DIR/resume_changes.json and metrics.json)");
  cmd->add_option("--run", args->options.only_runs, "Run only this run (repeatable)");
  cmd->add_flag("--no-progress", args->no_progress, "No progress bar");
  cmd->add_option("--workers", args->options.workers,
                  "Search trials side by side (0 = the study's search.workers, else one per "
                  "thread)")
      ->check(CLI::Range(0, 1024));
  cmd->callback([args] {
    Study study = load_study(args->study, args->sets);
    if (args->command == "search" && args->options.only_runs.empty()) {
      for (const RunSpec& r : study.runs)
        if (r.search) args->options.only_runs.push_back(r.name);
      NNLAB_CHECK(!args->options.only_runs.empty(),
                  "{}: no run has a search (a [runs.search] table); nnlab run runs it",
                  args->study);
    }
    args->options.progress = !args->no_progress;
    args->options.command = command_line(*args);
    args->options.resume = args->options.resume || args->options.resume_changed;
    const StudyResult result = run_study(study, args->options);
    if (result.report.empty()) {  // --join: another process finalizes the search
      fmt::print("Trials done; another process sharing {} writes the results.\n",
                 args->options.out_dir);
      return;
    }
    fmt::print("\n{}Report: {}\n", summary_table(result.metrics),
               std::filesystem::absolute(result.report).string());
    std::fflush(stdout);
    NNLAB_CHECK(result.failure.empty(), "{}", result.failure);  // exit status 1
  });
  return cmd;
}
}  // namespace

// More threads than cores only slow the loops down: 10,000 made a one-second study take minutes,
// and OpenMP crashed starting 100,000.
CLI::Validator thread_count() {
  const int cores = hardware_threads();
  const int max = std::min(4 * cores, 1024);
  return CLI::Validator(
      [cores, max](std::string& value) -> std::string {
        int n = -1;
        const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), n);
        if (error == std::errc() && end == value.data() + value.size() && n >= 0 && n <= max)
          return "";
        return fmt::format(
            "must be 0 (every core) to {} (4 x the {} hardware threads, at most 1024), got {}", max,
            cores, value);
      },
      fmt::format("INT in [0, {}]", max));
}

void add_run_command(CLI::App& app) {
  add_study_command(app, "run", "Run a study file and write its outputs and report",
                    std::make_shared<RunArgs>());
}

void add_search_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  auto* cmd = add_study_command(
      app, "search",
      "Run a study's searches (its runs with a search table), shareable by processes", args);
  cmd->add_flag("--join", args->options.join,
                "Share DIR's trial stores with other nnlab search processes: claim trials, keep "
                "what is there; the process that finishes first writes the results");
  cmd->add_option("--stale-after", args->options.stale_after,
                  "Seconds without a heartbeat after which a trial is taken to have lost its "
                  "worker and runs again")
      ->check(CLI::Range(0.1, 86400.0));
}

}  // namespace nnlab::cli
