// The subcommands of `nnlab`: each adds itself to the app with a callback that does the work and
// throws nnlab::Error on failure (main prints it and exits 1).
#pragma once

#include <CLI/CLI.hpp>

namespace nnlab::cli {

void add_run_command(CLI::App& app);           // nnlab run STUDY --out DIR
void add_search_command(CLI::App& app);        // nnlab search STUDY --out DIR
void add_report_command(CLI::App& app);        // nnlab report DIR
void add_eval_command(CLI::App& app);          // nnlab eval MODEL --data NAME
void add_predict_command(CLI::App& app);       // nnlab predict MODEL IMAGE...
void add_data_command(CLI::App& app);          // nnlab data info|fetch NAME
void add_bench_command(CLI::App& app);         // nnlab bench STUDY --run NAME
void add_autoencoder_commands(CLI::App& app);  // nnlab encode|decode|generate MODEL ...

/// --threads: 0 (every core) up to 4 x the machine's hardware threads, at most 1024.
CLI::Validator thread_count();

}  // namespace nnlab::cli
