// nnlab bench STUDY --run NAME: training throughput of one run, for bench/compare_pytorch.py,
// beside the CPU it ran on and the share it reached of the machine's limit for its training
// step (perf/); for a classical learner its transform, fit and prediction times
// (bench/compare_classical.py).
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "study/preflight.hpp"
#include "study/runner.hpp"
#include "study/study.hpp"
#include "tensor/cpu_info.hpp"

namespace nnlab::cli {

namespace {
struct BenchArgs {
  std::string study, run;
  std::vector<std::string> sets;
  RunOptions options;
  int epochs = 1;
  int warmup_epochs = 1;
  bool json = false;
  bool no_augment = false;
};
}  // namespace

void add_bench_command(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  auto* cmd = app.add_subcommand(
      "bench", "Measure the training throughput of one run (a classical learner: its times)");
  cmd->add_option("study", args->study, "The study file (TOML)")->required();
  cmd->add_option("--run", args->run, "The run to train")->required();
  cmd->add_option("--epochs", args->epochs, "Epochs to time")->check(CLI::PositiveNumber);
  cmd->add_option("--warmup-epochs", args->warmup_epochs,
                  "Untimed epochs first (kernels generated, buffers touched; default 1)")
      ->check(CLI::Range(0, 1000));
  cmd->add_option("--threads", args->options.threads, "Threads (0 = all cores)")
      ->check(thread_count());
  cmd->add_option("--data-dir", args->options.data_dir,
                  "The directory holding the datasets (the only one searched)");
  cmd->add_option("--set", args->sets, "Override a study key: KEY=VALUE (repeatable)");
  cmd->add_flag("--json", args->json, "Also print one JSON line with the figures");
  cmd->add_flag("--no-augment", args->no_augment,
                "Train without the run's on-the-fly augmentation (data.augment)");
  cmd->callback([args] {
    Study study = load_study(args->study, args->sets);
    check_runs_before_training(study, {args->run});
    RunSpec* run = &study.run(args->run);
    args->options.progress = false;
    if (args->no_augment) run->data.augment = {};
    if (!run->learner.network()) {
      const LearnerBench b = bench_learner(*run, args->options);
      fmt::print(
          "{}: {} train and {} test rows of {} features: transforms {:.3f} s, fit {:.3f} s, "
          "predict {:.3f} s, test accuracy {:.4f}\n",
          run->name, b.train, b.test, b.features, b.transform_seconds, b.fit_seconds,
          b.predict_seconds, b.test_accuracy);
      if (args->json)
        fmt::print(
            "{{\"train\": {}, \"test\": {}, \"features\": {}, \"transform_seconds\": {}, "
            "\"fit_seconds\": {}, \"predict_seconds\": {}, \"test_accuracy\": {}}}\n",
            b.train, b.test, b.features, b.transform_seconds, b.fit_seconds, b.predict_seconds,
            b.test_accuracy);
      return;
    }
    const BenchResult b = bench_run(*run, args->options, args->epochs, args->warmup_epochs);
    const CpuInfo cpu = cpu_info();
    fmt::print("{}: {} samples in {:.3f} s: {:.1f} samples/s, peak RSS {} kB, {} parameters\n",
               run->name, b.samples, b.seconds, b.samples_per_second, b.peak_rss_kb, b.parameters);
    fmt::print("cpu: {}\n", cpu.describe());
    fmt::print("{} steps of batch {}: {:.1f} µs per step\n", b.steps, b.batch, b.us_per_step());
    const StepPhases& ph = b.phases;
    const auto per_step = [&ph](double seconds) {
      return ph.steps > 0 ? seconds / static_cast<double>(ph.steps) * 1e6 : 0.0;
    };
    fmt::print(
        "per step: loader {:.1f} µs, forward {:.1f}, loss {:.1f}, backward {:.1f}, optimizer "
        "{:.1f}, other {:.1f}\n",
        per_step(ph.loader), per_step(ph.forward), per_step(ph.loss), per_step(ph.backward),
        per_step(ph.optimizer), per_step(ph.other));
    if (b.limit_gflops > 0)
      fmt::print(
          "useful {:.1f} GFLOP/s ({:.4g} MFLOP per sample), limit {:.1f} GFLOP/s ({:.1f} µs per "
          "step: the step's products alone, measured after each timed epoch, the mean of {}), "
          "{:.1f}% of the limit\n",
          b.useful_gflops, b.useful_flops_per_sample * 1e-6, b.limit_gflops,
          b.limit_seconds_per_step * 1e6, b.limit_rounds, 100 * b.share());
    else
      fmt::print("no dense or convolution products: no limit to measure\n");
    // "parameters" stays the last key: scripts and tests read the line as it always ended.
    if (args->json)
      fmt::print(
          "{{\"samples_per_second\": {}, \"seconds\": {}, \"peak_rss_kb\": {}, "
          "\"process_peak_rss_kb\": {}, \"samples\": {}, "
          "\"steps\": {}, \"batch\": {}, \"us_per_step\": {}, \"useful_flops_per_sample\": {}, "
          "\"useful_gflops\": {}, \"limit_gflops\": {}, \"limit_seconds_per_step\": {}, "
          "\"limit_share\": {}, \"limit_rounds\": {}, \"cpu_model\": {}, \"cpu_isa\": {}, "
          "\"onednn_isa\": {}, \"compiled_isa\": {}, \"cpu\": {}, \"phase_us\": {{\"loader\": {}, "
          "\"forward\": {}, \"loss\": {}, "
          "\"backward\": {}, \"optimizer\": {}, \"other\": {}}}, \"parameters\": {}}}\n",
          b.samples_per_second, b.seconds, b.peak_rss_kb, b.process_peak_rss_kb, b.samples, b.steps,
          b.batch, b.us_per_step(), b.useful_flops_per_sample, b.useful_gflops, b.limit_gflops,
          b.limit_seconds_per_step, b.share(), b.limit_rounds, nlohmann::json(cpu.model).dump(),
          nlohmann::json(cpu.isa_summary()).dump(), nlohmann::json(cpu.onednn_isa).dump(),
          nlohmann::json(cpu.compiled_isa).dump(), nlohmann::json(cpu.describe()).dump(),
          per_step(ph.loader), per_step(ph.forward), per_step(ph.loss), per_step(ph.backward),
          per_step(ph.optimizer), per_step(ph.other), b.parameters);
  });
}

}  // namespace nnlab::cli
