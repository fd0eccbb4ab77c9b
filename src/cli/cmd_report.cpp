// nnlab report DIR: re-render DIR/report.html from the files of a finished run.
#include <fmt/format.h>

#include <memory>

#include "cli/commands.hpp"
#include "report/report.hpp"

namespace nnlab::cli {

void add_report_command(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("report", "Render DIR/report.html from a study's output files");
  cmd->add_option("dir", *dir, "The output directory of `nnlab run`")->required();
  cmd->callback([dir] { fmt::print("{}\n", render_report(*dir)); });
}

}  // namespace nnlab::cli
