#include "study/runner.hpp"

#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <numeric>

#include "eval/evaluate.hpp"
#include "eval/metrics.hpp"
#include "io/atomic_file.hpp"
#include "learn/dataset_rows.hpp"
#include "perf/step_flops.hpp"
#include "perf/step_limit.hpp"
#include "report/report.hpp"
#include "study/ensembles.hpp"
#include "study/features.hpp"
#include "study/generation_files.hpp"
#include "study/output_dir.hpp"
#include "study/preflight.hpp"
#include "study/run_repeat.hpp"
#include "study/search_runner.hpp"
#include "study/search_trials.hpp"
#include "study/session.hpp"
#include "study/version.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

bool selected(const RunSpec& run, const RunOptions& o) {
  return o.only_runs.empty() ||
         std::find(o.only_runs.begin(), o.only_runs.end(), run.name) != o.only_runs.end();
}

json summarize(const json& runs) {
  json out = json::array();
  std::vector<std::string> names;
  for (const json& r : runs)
    if (std::find(names.begin(), names.end(), r["name"]) == names.end()) names.push_back(r["name"]);
  for (const std::string& name : names) {
    std::vector<double> test, test_loss, test_mse, val, val_mse, train, seconds, epochs;
    json reference, sweep;
    int repeats = 0, diverged = 0;
    for (const json& r : runs) {
      if (r["name"] != name) continue;
      ++repeats;
      reference = r["reference"];
      if (r.contains("sweep")) sweep = r["sweep"];
      if (r["stopped"] == "diverged") ++diverged;
      if (r.contains("test") && r["test"].contains("accuracy"))
        test.push_back(r["test"]["accuracy"]);
      if (r.contains("test") && r["test"].contains("loss")) test_loss.push_back(r["test"]["loss"]);
      if (r.contains("test") && r["test"].contains("mse")) test_mse.push_back(r["test"]["mse"]);
      if (r.contains("val") && r["val"].contains("accuracy")) val.push_back(r["val"]["accuracy"]);
      if (r.contains("val") && r["val"].contains("mse")) val_mse.push_back(r["val"]["mse"]);
      if (r.contains("train") && r["train"].contains("accuracy"))
        train.push_back(r["train"]["accuracy"]);
      seconds.push_back(r.value("train_seconds", 0.0));
      epochs.push_back(r.value("epochs_run", 0));
    }
    json s = {
        {"name", name}, {"repeats", repeats}, {"diverged", diverged}, {"reference", reference}};
    const auto put = [&](const char* key, const std::vector<double>& v) {
      if (v.empty()) return;
      const auto [m, sd] = mean_std(v);
      s[std::string(key) + "_mean"] = m;
      s[std::string(key) + "_std"] = sd;
    };
    put("test_accuracy", test);
    put("test_loss", test_loss);
    put("test_mse", test_mse);
    put("val_accuracy", val);
    put("val_mse", val_mse);
    put("train_accuracy", train);
    if (!sweep.is_null()) s["sweep"] = sweep;
    s["train_seconds_mean"] = mean_std(seconds).first;
    s["epochs_mean"] = mean_std(epochs).first;
    out.push_back(s);
  }
  return out;
}

void run_lr_sweep(ExecContext& exec, const Study& study, const LrSweep& sweep, DataCache& cache,
                  const RunOptions& options) {
  const RunSpec& swept = study.run(sweep.run);  // the study file's reader checked the name
  const RunData data = prepare_run_data(cache.get(swept.data), swept.data, swept.seed);
  std::string csv = "rate,epoch,step,train_loss\n";
  for (double rate : sweep.rates) {
    // Each rate is a configuration of the run, resolved as a search trial's is.
    RunSpec run = resolve_configuration(study, sweep.run, {{"train.optimizer.lr", rate}});
    run.train.early_stopping.enabled = false;
    Session s = make_session(exec, run, data.fit.data->sample_shape, run.seed, study.path);
    const int64_t batches = (data.fit.size() + run.train.batch - 1) / run.train.batch;
    const TrainOutcome out =
        train_session(s, run, data.fit, nullptr, sweep.epochs, run.seed,
                      {.loss_every = static_cast<int>(std::max<int64_t>(1, batches / 100)),
                       .checkpoint = "",
                       .label = fmt::format("lr sweep {} lr={:g}", run.name, rate),
                       .progress = options.progress});
    for (const auto& p : out.losses)
      csv += fmt::format("{:g},{},{},{:.6g}\n", rate, p.epoch, p.step, p.loss);
    if (out.stopped == "diverged" && options.progress && exec.log())
      fmt::print(exec.log(), "lr sweep: rate {:g} diverged ({})\n", rate, out.diverged);
  }
  write_file_atomic(options.out_dir + "/lr_sweep.csv", csv);
}

// The current time as ISO 8601 UTC: "2025-06-01T12:00:00Z".
std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace

StudyResult run_study(const Study& study, const RunOptions& options) {
  NNLAB_CHECK(!options.out_dir.empty(), "no output directory given (--out DIR)");
  check_runs_before_training(study, options.only_runs);  // before any data or file
  ExecContext exec(options.threads);
  if (options.resume)
    accept_changed_settings(study, options.out_dir, options.resume_changed, options.command,
                            utc_now());
  claim_output_dir(study, options.out_dir);  // refuses a folder holding another study
  // A run generating with a classifier that does not train before it here needs its weights now.
  for (const RunSpec& run : study.runs)
    if (selected(run, options) && run.diagnostics.generation) {
      const auto& classifier = run.diagnostics.generation->classifier;
      const bool trains_first =
          std::any_of(study.runs.begin(), study.runs.end(),
                      [&](const auto& r) { return r.name == classifier && selected(r, options); });
      if (!trains_first) check_classifier_weights(options.out_dir, run);
    }
  // Likewise an encoder transform whose autoencoder does not train before it here.
  for (const RunSpec& run : study.runs)
    for (const TransformSpec& t : run.transforms)
      if (selected(run, options) && t.type == "encoder" &&
          std::none_of(study.runs.begin(), study.runs.end(),
                       [&](const RunSpec& r) { return r.name == t.run && selected(r, options); }))
        check_encoder_weights(options.out_dir, t.run);
  write_file_atomic(options.out_dir + "/study.toml", study.source_text);

  DataCache cache(options.data_dir);
  const auto start = std::chrono::steady_clock::now();
  auto wall_seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  // Where, when and how the study ran: what differs between two runs of the same study.
  json metrics = {{"study", study.name},
                  {"description", study.description},
                  {"environment",
                   {{"nnlab_version", kVersion},
                    {"nnlab_commit", kCommit},
                    {"date", utc_now()},
                    {"command", options.command},
                    {"threads", exec.threads()}}},
                  {"runs", json::array()},
                  {"summary", json::array()},
                  {"model_summary", json::object()}};
  if (const std::string changes = options.out_dir + "/resume_changes.json"; fs::exists(changes))
    metrics["resume_changes"] = json::parse(read_file(changes));
  std::vector<std::string> diverged;
  StudyPosition position{.index = 0, .total = 0, .start = std::chrono::steady_clock::now()};
  for (const RunSpec& run : study.runs)
    if (selected(run, options)) position.total += run.repeats;
  // Each finished repeat goes into metrics.json at once: a study killed midway keeps them.
  auto record = [&](json result) {
    const std::string name = result["name"];
    if (result.contains("model_summary")) {
      metrics["model_summary"][name] = result["model_summary"];
      result.erase("model_summary");
    }
    if (result["stopped"] == "diverged")
      diverged.push_back(fmt::format("run '{}' repeat {}: {}", name, result["repeat"].get<int>(),
                                     result["diverged"].get<std::string>()));
    metrics["runs"].push_back(result);
    metrics["summary"] = summarize(metrics["runs"]);
    metrics["environment"]["wall_seconds"] = wall_seconds();
    write_file_atomic(options.out_dir + "/metrics.json", metrics.dump(2));
  };
  bool finalized_all = true;
  for (const RunSpec& run : study.runs) {
    if (!selected(run, options)) {
      // A run left out by --run keeps its finished repeats in metrics.json and the report (the
      // folder holds this very study: claim_output_dir checked).
      if (!run.search)
        for (int k = 0; k < run.repeats; ++k) {
          const std::string path = repeat_dir(options.out_dir, run.name, k) + "/result.json";
          if (fs::exists(path)) record(json::parse(read_file(path)));
        }
      continue;
    }
    if (run.search) {
      SearchOutcome found = run_search(exec, study, run, cache, options);
      position.index += run.repeats;
      if (!found.finalized) {
        finalized_all = false;
        continue;
      }
      metrics["search"][run.name] = found.search;
      for (json& result : found.runs) record(std::move(result));
      continue;
    }
    const SourceData& source = cache.get(run.data);
    for (int k = 0; k < run.repeats; ++k) {
      const RunData data = prepare_run_data(source, run.data, run.seed + static_cast<uint64_t>(k));
      const std::string dir = repeat_dir(options.out_dir, run.name, k);
      record(run_repeat(exec, run, k, data, dir, study.path, options, position));
      ++position.index;
    }
  }
  if (!finalized_all)  // another process sharing the searches writes the results
    return {.report = "", .metrics = metrics, .failure = ""};
  if (study.lr_sweep && options.only_runs.empty())
    run_lr_sweep(exec, study, *study.lr_sweep, cache, options);
  if (json ensembles = study_ensembles(metrics["runs"], options.out_dir, study.ensembles);
      !ensembles.empty())
    metrics["ensembles"] = std::move(ensembles);
  metrics["environment"]["wall_seconds"] = wall_seconds();
  write_file_atomic(options.out_dir + "/metrics.json", metrics.dump(2));
  StudyResult result{.report = render_report(options.out_dir), .metrics = metrics, .failure = ""};
  if (!diverged.empty())
    result.failure = fmt::format(
        "{} diverged (the last good state of each is its checkpoint.safetensors; the report "
        "covers the rest):\n  {}",
        diverged.size() == 1 ? "a run" : "runs", fmt::join(diverged, "\n  "));
  return result;
}

namespace {

int64_t peak_rss_kb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// The machine's limit measured after the timed epochs rather than once after training: a shared
// machine's speed drifts over seconds, and the epochs and their limit then see about the same
// machine. After each of the first few epochs, or spread evenly over many (a tiny net's
// thousands): a round takes a second or more.
class LimitRounds final : public Callback {
 public:
  static constexpr int kMaxRounds = 5;
  LimitRounds(Model& model, int64_t batch, int warmup_epochs, int epochs)
      : model_(model),
        batch_(batch),
        warmup_epochs_(warmup_epochs),
        every_((epochs + kMaxRounds - 1) / kMaxRounds) {}
  void on_epoch_end(TrainState& s) override {
    const int timed = s.epoch + 1 - warmup_epochs_;  // timed epochs done
    if (timed <= 0 || timed % every_ != 0 || s.epoch_samples == 0) return;
    if (rounds.empty()) training_peak_rss_kb = peak_rss_kb();
    rounds.push_back(measure_step_limit(model_, std::min(batch_, s.epoch_samples)));
  }
  std::vector<StepLimit> rounds;
  // The process's peak memory before the first round: the training's own, which the limit's
  // buffers would otherwise raise (training allocates nothing more after its first batches).
  int64_t training_peak_rss_kb = 0;

 private:
  Model& model_;
  int64_t batch_;
  int warmup_epochs_;
  int every_;  // a round after every every_-th timed epoch
};

}  // namespace

BenchResult bench_run(const RunSpec& run, const RunOptions& options, int epochs,
                      int warmup_epochs) {
  ExecContext exec(options.threads);
  DataCache cache(options.data_dir);
  DataConfig no_split = run.data;
  no_split.validation = 0;
  no_split.validation_fraction = 0;
  const RunData data = prepare_run_data(cache.get(run.data), no_split, run.seed);
  Session s = make_session(exec, run, data.fit.data->sample_shape, run.seed, "bench");
  LimitRounds limits(*s.model, run.train.batch, warmup_epochs, epochs);
  const TrainOutcome out =
      train_session(s, run, data.fit, nullptr, warmup_epochs + epochs, run.seed,
                    {.checkpoint = "",
                     .label = "bench " + run.name,
                     .progress = options.progress,
                     .callbacks = {&limits}});
  NNLAB_CHECK(out.stopped != "diverged", "bench: {}", out.diverged);
  BenchResult r;
  // An epoch's samples (noisy copies and oversampling included) when fewer than a batch.
  r.batch = out.history.empty() ? 0 : std::min(run.train.batch, out.history.front().samples);
  // The warm-up epochs (oneDNN's kernels generated, buffers touched for the first time) are not
  // timed, as the PyTorch side's warm-up batches are not.
  for (size_t i = static_cast<size_t>(warmup_epochs); i < out.history.size(); ++i) {
    const EpochStats& e = out.history[i];
    r.samples += e.samples;
    r.steps += e.phases.steps;
    r.seconds += e.seconds;
    r.phases += e.phases;
  }
  NNLAB_CHECK(r.samples > 0 && r.seconds > 0, "bench: run '{}' trained no timed samples", run.name);
  r.samples_per_second = static_cast<double>(r.samples) / r.seconds;
  r.peak_rss_kb = limits.rounds.empty() ? peak_rss_kb() : limits.training_peak_rss_kb;
  r.process_peak_rss_kb = peak_rss_kb();
  r.parameters = s.model->parameter_count();
  r.useful_flops_per_sample = useful_flops(*s.model).per_sample();
  r.useful_gflops = r.useful_flops_per_sample * r.samples_per_second * 1e-9;
  // The limit's time per step: the mean of its rounds (their FLOPs are the same).
  for (const StepLimit& l : limits.rounds) r.limit_seconds_per_step += l.seconds;
  r.limit_rounds = std::ssize(limits.rounds);
  if (r.limit_rounds > 0 && r.limit_seconds_per_step > 0) {
    r.limit_seconds_per_step /= static_cast<double>(r.limit_rounds);
    r.limit_gflops = limits.rounds.front().flops / r.limit_seconds_per_step * 1e-9;
  }
  return r;
}

LearnerBench bench_learner(const RunSpec& run, const RunOptions& options) {
  NNLAB_CHECK(!run.learner.network(), "bench: run '{}' trains a network", run.name);
  ExecContext exec(options.threads);
  DataCache cache(options.data_dir);
  DataConfig no_split = run.data;
  no_split.validation = 0;
  no_split.validation_fraction = 0;
  const RunData raw = prepare_run_data(cache.get(run.data), no_split, run.seed);
  using Clock = std::chrono::steady_clock;
  const auto seconds_since = [](Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };
  LearnerBench b;
  auto t0 = Clock::now();
  const RunData data = featurize(exec, run, raw, options.out_dir);
  b.transform_seconds = seconds_since(t0);
  const Tensor train = rows_of(*data.fit.data, data.fit.indices);
  const Tensor test = rows_of(*data.test.data, data.test.indices);
  b.train = train.rows();
  b.test = test.rows();
  b.features = train.cols();
  const auto learner = make_learner(run.learner);
  t0 = Clock::now();
  learner->fit(exec, train, data.fit.labels(), data.fit.data->num_classes());
  b.fit_seconds = seconds_since(t0);
  t0 = Clock::now();
  const Evaluation e = evaluate_predictions(learner->predict(exec, test), data.test.labels());
  b.predict_seconds = seconds_since(t0);
  b.test_accuracy = e.accuracy;
  return b;
}

}  // namespace nnlab
