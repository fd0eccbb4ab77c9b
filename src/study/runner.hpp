// The runner: executes a study's runs and repeats, writes DIR (docs/output-format.md) and the
// report.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "study/study.hpp"
#include "train/history.hpp"

namespace nnlab {

struct RunOptions {
  std::string out_dir;                 // DIR
  std::string data_dir;                // --data-dir, searched first for datasets
  int threads = 0;                     // 0 = all cores
  bool resume = false;                 // continue from DIR's checkpoints
  bool resume_changed = false;         // with resume: take settings other than DIR's study's
  bool progress = true;                // a progress bar on a terminal, plain lines otherwise
  std::vector<std::string> only_runs;  // --run NAME (empty = all)
  std::string command = {};            // the command line, recorded in metrics.json
  int workers = 0;                     // --workers: trials side by side (0: search.workers, or
                                       // one per thread)
  bool join = false;        // --join: work on the searches' stores with other processes; only the
                            // process that finalizes a search writes its results
  double stale_after = 60;  // seconds without a heartbeat before another worker reruns a trial
};

struct StudyResult {
  std::string report;      // DIR/report.html
  nlohmann::json metrics;  // what DIR/metrics.json holds
  std::string failure;     // "" or which runs diverged (their other repeats and the report exist)
};

/// Runs the study into DIR (refusing a DIR that holds another study, study/output_dir.hpp) and
/// renders the report. A diverged run does not stop the others: it is named in `failure`.
StudyResult run_study(const Study& study, const RunOptions& options);

struct BenchResult {
  int64_t samples = 0;  // training samples processed
  int64_t steps = 0;    // training steps (batches; an epoch's last may be smaller)
  int64_t batch = 0;    // the step's batch: train.batch, or the whole pool when smaller
  double seconds = 0;   // wall time of the training epochs
  double samples_per_second = 0;
  int64_t peak_rss_kb = 0;          // the process's peak resident memory, the training's alone
  int64_t process_peak_rss_kb = 0;  // the same at the end: the limit's rounds included
  int64_t parameters = 0;  // of the model trained, for a side by side to check it is the same
  // The machine's limit on the same thread budget (perf/): the useful FLOPs of the products per
  // sample, their rate achieved in training, and their rate when the step's products run alone
  // on its shapes (0 for a model without products), measured after each timed epoch and
  // averaged over those rounds.
  double useful_flops_per_sample = 0;
  double useful_gflops = 0;
  double limit_gflops = 0;
  double limit_seconds_per_step = 0;
  int64_t limit_rounds = 0;
  StepPhases phases;  // where the training steps' time went
  double share() const { return limit_gflops > 0 ? useful_gflops / limit_gflops : 0; }
  double us_per_step() const { return steps > 0 ? seconds / static_cast<double>(steps) * 1e6 : 0; }
};

/// Trains `run` for `warmup_epochs` untimed and then `epochs` timed epochs (no validation, no
/// outputs) and measures throughput: the figure `nnlab bench` prints and
/// bench/compare_pytorch.py sets beside PyTorch's. After each timed epoch it measures the
/// machine's limit for the model's training step (perf/step_limit.hpp) in the same execution
/// context, outside the epoch's time.
BenchResult bench_run(const RunSpec& run, const RunOptions& options, int epochs, int warmup_epochs);

/// A classical learner's timings on all of its training and test data: the transforms of
/// every sample, the fit, the test predictions and their accuracy (bench/compare_classical.py).
struct LearnerBench {
  int64_t train = 0, test = 0, features = 0;  // rows and the width the learner saw
  double transform_seconds = 0, fit_seconds = 0, predict_seconds = 0;
  double test_accuracy = 0;
};
LearnerBench bench_learner(const RunSpec& run, const RunOptions& options);

}  // namespace nnlab
