// nnlab: the command line. Parse errors exit 2 with CLI11's message; every other failure is
// printed as "nnlab: error: MESSAGE" and exits 1.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "study/version.hpp"
#include "tensor/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"nnlab: a neural-network laboratory. Runs study files and writes their reports.",
               "nnlab"};
  app.set_version_flag("--version",
                       fmt::format("nnlab {} (commit {})", nnlab::kVersion, nnlab::kCommit));
  app.require_subcommand(1);
  // --help shows every option's default ("--threads INT=0"); subcommands inherit this setting.
  app.option_defaults()->always_capture_default();
  nnlab::cli::add_run_command(app);
  nnlab::cli::add_search_command(app);
  nnlab::cli::add_report_command(app);
  nnlab::cli::add_eval_command(app);
  nnlab::cli::add_predict_command(app);
  nnlab::cli::add_data_command(app);
  nnlab::cli::add_bench_command(app);
  nnlab::cli::add_autoencoder_commands(app);
  // CLI11 would only say "A subcommand is required" for a misspelt one.
  if (argc > 1 && argv[1][0] != '-') {
    std::vector<std::string> names;
    for (const auto* sub : app.get_subcommands([](CLI::App*) { return true; }))
      names.push_back(sub->get_name());
    if (std::find(names.begin(), names.end(), argv[1]) == names.end()) {
      fmt::print(
          stderr,
          "nnlab: unknown subcommand '{}'; known: {}\nRun with --help for more information.\n",
          argv[1], fmt::join(names, ", "));
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  } catch (const nnlab::Error& e) {
    fmt::print(stderr, "nnlab: error: {}\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "nnlab: error: {}\n", e.what());
    return 1;
  }
  return 0;
}
