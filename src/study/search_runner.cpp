#include "study/search_runner.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include "eval/metrics.hpp"
#include "io/atomic_file.hpp"
#include "io/csv.hpp"
#include "search/halving.hpp"
#include "search/trial_store.hpp"
#include "study/output_dir.hpp"
#include "study/run_repeat.hpp"
#include "study/search_trials.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

/// One configuration's scores on one rung, over its folds.
struct Row {
  int stage = 0;
  int64_t config = 0;
  int rung = 0;
  json settings;  // the configuration
  int epochs = 0;
  std::vector<double> scores;  // per fold, in fold order (NaN: diverged or failed)
  std::vector<json> results;   // per fold
  int folds_done = 0;
  double mean = NAN, std = NAN, seconds = 0, epochs_run = 0, best_epoch = 0;
  bool complete = false;   // every fold done and none diverged
  bool final_rung = true;  // on its stage's last rung (halving), or not halving
  int rank = 0;            // 1 = best among the complete final rows; 0 = not ranked
  std::string error;
};

/// What one search (or one outer fold of a nested one) shares between this process's workers.
struct Scope {
  const Study& study;
  const RunSpec& run;
  const SearchSpec& spec;
  const SourceData& source;
  std::vector<std::optional<Split>> folds;  // k folds (per repeat), or one nullopt: hold-out
  std::vector<uint64_t> fold_repeat;        // fold f's repeat: its model's seed is run.seed + it
  std::string name;                         // "" or "outer2": part of every trial's key
  TrialStore* store = nullptr;              // the scheduling thread's connection
  std::string store_path;
  const RunOptions& options;
  int workers = 1, threads_per_worker = 1;
  Clock::time_point start;
  std::mutex log_mutex;
  std::string worker_prefix;  // host:pid
};

bool better(double a, double b, bool maximize) { return maximize ? a > b : a < b; }

std::string trial_key(const Scope& s, const json& settings, int epochs, size_t fold) {
  return fnv1a_hex(fmt::format("{}\n{}\n{}\n{}\n{}\n{}", s.study.trial_identity, s.run.name, s.name,
                               settings.dump(), epochs, fold));
}

json trial_params(int stage, int64_t config, int rung, int epochs, size_t fold,
                  const json& settings, const std::string& scope) {
  return {{"stage", stage}, {"config", config},     {"rung", rung},  {"epochs", epochs},
          {"fold", fold},   {"settings", settings}, {"scope", scope}};
}

/// The rows of a stage from the store's finished trials.
std::vector<Row> rows_of(const Scope& s, TrialStore& store, int stage) {
  std::map<std::pair<int64_t, int>, Row> rows;
  const size_t k = s.folds.size();
  for (const Trial& t : store.trials()) {
    const json& p = t.params;
    if (p.value("scope", "") != s.name || p.value("stage", -1) != stage) continue;
    Row& r = rows[{p["config"].get<int64_t>(), p["rung"].get<int>()}];
    if (r.scores.empty()) {
      r.stage = stage;
      r.config = p["config"];
      r.rung = p["rung"];
      r.settings = p["settings"];
      r.epochs = p["epochs"];
      r.scores.assign(k, NAN);
      r.results.assign(k, nullptr);
    }
    const size_t fold = p["fold"];
    if (t.state == "done") {
      ++r.folds_done;
      r.results[fold] = t.result;
      if (t.result.contains("score") && t.result["score"].is_number())
        r.scores[fold] = t.result["score"].get<double>();
      if (t.result.value("stopped", "") == "deadline")
        r.error = "stopped at the search's time budget, unscored";
    } else if (t.state == "failed") {
      ++r.folds_done;
      r.error = t.result.value("error", "failed");
    } else if (r.error.empty()) {
      r.error = "not run: the search's time budget ran out";
    }
  }
  std::vector<Row> out;
  for (auto& [id, r] : rows) {
    double sum = 0, seconds = 0, epochs = 0, best = 0;
    int n = 0;
    for (size_t f = 0; f < k; ++f) {
      if (r.results[f].is_object()) {
        seconds += r.results[f].value("seconds", 0.0);
        epochs += r.results[f].value("epochs_run", 0);
        best += r.results[f].value("best_epoch", 0);
      }
      if (std::isfinite(r.scores[f])) {
        sum += r.scores[f];
        ++n;
      }
    }
    r.complete = n == static_cast<int>(k);
    r.seconds = seconds;
    if (r.folds_done > 0) {
      r.epochs_run = epochs / r.folds_done;
      r.best_epoch = best / r.folds_done;
    }
    if (n > 0) {
      r.mean = sum / n;
      double ss = 0;
      for (double x : r.scores)
        if (std::isfinite(x)) ss += (x - r.mean) * (x - r.mean);
      r.std = std::sqrt(ss / n);  // population std, as scikit-learn's std_test_score
    }
    out.push_back(std::move(r));
  }
  return out;
}

/// Ranks the complete rows on their stage's last rung, best first (ties: earlier stage and
/// configuration first, so ranks are a function of the scores).
void rank_rows(std::vector<Row>& rows, bool maximize) {
  std::vector<Row*> ranked;
  for (Row& r : rows) {
    r.rank = 0;
    if (r.complete && r.final_rung) ranked.push_back(&r);
  }
  std::stable_sort(ranked.begin(), ranked.end(), [&](const Row* a, const Row* b) {
    if (a->mean != b->mean) return better(a->mean, b->mean, maximize);
    return std::tie(a->stage, a->config) < std::tie(b->stage, b->config);
  });
  for (size_t i = 0; i < ranked.size(); ++i) ranked[i]->rank = static_cast<int>(i + 1);
}

/// Refreshes the heartbeat of the trials this process's workers hold, from its own thread and
/// connection, so that a long trial is never taken for a dead worker's.
class Heartbeat {
 public:
  Heartbeat(const std::string& path, double stale_after)
      : thread_([this, path, stale_after] { loop(path, stale_after); }) {}
  ~Heartbeat() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  void hold(int64_t id, const std::string& worker) {
    std::lock_guard lock(mutex_);
    held_[id] = worker;
  }
  void release(int64_t id) {
    std::lock_guard lock(mutex_);
    held_.erase(id);
  }

 private:
  void loop(const std::string& path, double stale_after) {
    const auto every = std::chrono::duration<double>(std::max(0.05, stale_after / 4));
    std::unique_ptr<TrialStore> store = open_trial_store(path);
    std::unique_lock lock(mutex_);
    while (!stop_) {
      wake_.wait_for(lock, every);
      if (stop_) break;
      const auto held = held_;
      lock.unlock();
      for (const auto& [id, worker] : held) store->heartbeat(id, worker);
      lock.lock();
    }
  }
  std::mutex mutex_;
  std::condition_variable wake_;
  std::map<int64_t, std::string> held_;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the members it uses exist
};

double elapsed(const Scope& s) {
  return std::chrono::duration<double>(Clock::now() - s.start).count();
}

bool past_deadline(const Scope& s) {
  return s.spec.minutes > 0 && elapsed(s) > s.spec.minutes * 60;
}

/// When the budget's time is up: no trial trains past it.
std::optional<Clock::time_point> deadline(const Scope& s) {
  if (s.spec.minutes <= 0) return std::nullopt;
  return s.start + std::chrono::duration_cast<Clock::duration>(
                       std::chrono::duration<double>(s.spec.minutes * 60));
}

/// The ASHA scheduler of a halving stage: adds the next trials (a promotion or a new
/// configuration) when a worker finds nothing to claim. Decisions read the store, so processes
/// sharing it agree; the same choice made twice adds the same keys, which the store ignores.
class Halving {
 public:
  Halving(Scope& s, int stage, const SearchStage& st, std::vector<json> configs)
      : s_(s),
        stage_(stage),
        configs_(std::move(configs)),
        rungs_(rung_epochs(st.min_epochs, st.eta, s.run.train.epochs)),
        eta_(st.eta) {}

  /// Adds trials; false when the stage has nothing more to start. `idle`: no trial is pending or
  /// running anywhere, so nothing can finish that would allow a promotion.
  bool add_work(TrialStore& store, bool idle = false) {
    std::lock_guard lock(mutex_);
    const auto rows = rows_of(s_, store, stage_);
    std::vector<std::vector<RungResult>> done(rungs_.size());
    std::vector<std::set<int64_t>> promoted(rungs_.size());
    std::set<int64_t> started;
    for (const Row& r : rows) {
      if (r.rung == 0) started.insert(r.config);
      if (r.rung > 0) promoted[static_cast<size_t>(r.rung - 1)].insert(r.config);
      if (r.complete) done[static_cast<size_t>(r.rung)].push_back({r.config, r.mean});
    }
    if (const auto p = asha_promotion(done, promoted, eta_, s_.spec.maximize)) {
      add(store, p->second, p->first + 1);
      return true;
    }
    if (static_cast<int64_t>(started.size()) < static_cast<int64_t>(configs_.size())) {
      int64_t next = 0;
      while (started.contains(next)) ++next;
      add(store, next, 0);
      return true;
    }
    // With few configurations a high rung can hold fewer than eta, of which no top 1/eta is
    // promoted: once all is done, the best of the highest rung goes up, so that a configuration
    // always trains the full epochs.
    if (idle && done.back().empty()) {
      for (size_t r = rungs_.size() - 1; r-- > 0;) {
        if (done[r].empty()) continue;
        const auto best = std::min_element(
            done[r].begin(), done[r].end(), [&](const RungResult& a, const RungResult& b) {
              return s_.spec.maximize ? a.score > b.score : a.score < b.score;
            });
        if (promoted[r].contains(best->config)) return false;
        add(store, best->config, static_cast<int>(r) + 1);
        return true;
      }
    }
    return false;
  }

  const std::vector<int>& rungs() const { return rungs_; }

 private:
  void add(TrialStore& store, int64_t config, int rung) {
    std::vector<std::pair<std::string, json>> trials;
    const json& settings = configs_[static_cast<size_t>(config)];
    const int epochs = rungs_[static_cast<size_t>(rung)];
    for (size_t f = 0; f < s_.folds.size(); ++f)
      trials.emplace_back(trial_key(s_, settings, epochs, f),
                          trial_params(stage_, config, rung, epochs, f, settings, s_.name));
    store.add_all(trials);
  }
  Scope& s_;
  int stage_;
  std::vector<json> configs_;
  std::vector<int> rungs_;
  int eta_;
  std::mutex mutex_;
};

/// The best mean score so far among the configurations whose every fold is scored, for the
/// progress lines: read from the store when work starts, then kept up by this process's trials.
class BestSoFar {
 public:
  BestSoFar(const Scope& s, TrialStore& store)
      : folds_(s.folds.size()), maximize_(s.spec.maximize) {
    for (const Trial& t : store.trials())
      if (t.state == "done" && t.params.value("scope", "") == s.name) add(t.params, t.result);
  }
  /// Counts one fold's result; returns the best so far (NaN: none complete yet).
  double add(const json& params, const json& result) {
    std::lock_guard lock(mutex_);
    if (result.is_object() && result.contains("score") && result["score"].is_number()) {
      auto& [n, sum] = sums_[{params["stage"], params["config"], params["rung"]}];
      sum += result["score"].get<double>();
      if (++n == folds_) {
        const double mean = sum / static_cast<double>(n);
        if (std::isnan(best_) || better(mean, best_, maximize_)) best_ = mean;
      }
    }
    return best_;
  }

 private:
  size_t folds_;
  bool maximize_;
  std::mutex mutex_;
  std::map<std::tuple<int, int64_t, int>, std::pair<size_t, double>> sums_;  // folds, sum
  double best_ = NAN;
};

/// Runs the store's pending trials on this process's workers until none is left anywhere (the
/// halving scheduler adding more when asked) or the budget's time is up.
void work(Scope& s, Halving* halving) {
  Heartbeat heartbeat(s.store_path, s.options.stale_after);
  BestSoFar best(s, *s.store);
  std::atomic<int> finished = 0;
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&](int index) {
    try {
      ExecContext exec(s.threads_per_worker, nullptr);
      std::unique_ptr<TrialStore> store = open_trial_store(s.store_path);
      const std::string name = fmt::format("{}:{}", s.worker_prefix, index);
      while (!past_deadline(s)) {
        std::optional<Trial> t = store->claim(name, s.options.stale_after);
        if (!t) {
          if (halving && halving->add_work(*store)) continue;
          const TrialCounts c = store->counts();
          if (c.pending == 0 && c.running == 0) {
            if (halving && halving->add_work(*store, /*idle=*/true)) continue;
            return;
          }
          // Another worker's trial may still be promoted or found dead: look again soon.
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          continue;
        }
        heartbeat.hold(t->id, name);
        const json& p = t->params;
        json result;
        std::string failure;
        try {
          RunSpec spec = resolve_configuration(s.study, s.run.name, p["settings"]);
          const int epochs = halving ? p["epochs"].get<int>() : spec.train.epochs;
          spec.seed += s.fold_repeat[p["fold"].get<size_t>()];
          result = run_trial(exec, spec, epochs, s.source, s.folds[p["fold"].get<size_t>()],
                             s.spec.metric, s.study.path, s.options.out_dir, deadline(s));
        } catch (const Error& e) {
          failure = e.what();
        }
        heartbeat.release(t->id);
        if (failure.empty())
          store->finish(t->id, name, result);
        else
          store->fail(t->id, name, failure);
        ++finished;
        const double best_so_far = best.add(p, result);
        {
          // A log line per trial, with or without the progress bar (--no-progress).
          std::lock_guard lock(s.log_mutex);
          const std::string outcome =
              !failure.empty() ? "failed: " + failure
              : result["score"].is_number()
                  ? fmt::format("{} {:.6g}", s.spec.metric, result["score"].get<double>())
                  : std::string("diverged");
          fmt::print(stderr,
                     "[search {}{}] {} config {} rung {} fold {}/{}: {} -> {} ({:.1f} s); best so "
                     "far {}\n",
                     s.run.name, s.name.empty() ? "" : " " + s.name,
                     s.run.search->stages[p["stage"].get<size_t>()].name,
                     p["config"].get<int64_t>(), p["rung"].get<int>(), p["fold"].get<size_t>() + 1,
                     s.folds.size(), configuration_text(p["settings"]), outcome,
                     result.is_object() ? result.value("seconds", 0.0) : 0.0,
                     std::isnan(best_so_far) ? "-" : fmt::format("{:.6g}", best_so_far));
        }
      }
    } catch (...) {
      std::lock_guard lock(error_mutex);
      if (!error) error = std::current_exception();
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < s.workers; ++i) threads.emplace_back(worker, i);
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
}

/// The configurations of stage `index`: its space (narrowed around each base on request) on
/// top of each base configuration.
std::vector<json> stage_configs(const SearchStage& st, int index, const std::vector<json>& bases,
                                const SearchSpec& spec, const std::string& where) {
  std::vector<json> out;
  std::set<std::string> seen;  // dumps of `out`'s configurations: a grid may hold a million
  for (size_t b = 0; b < bases.size(); ++b) {
    const SearchSpace space =
        st.narrow > 0 && !bases[b].empty() ? narrowed(st.space, bases[b], st.narrow) : st.space;
    std::vector<json> drawn;
    // A grid, or halving with no trials count: every combination of the lists.
    if (st.method == "grid" || (st.method == "halving" && st.trials == 0)) {
      drawn = grid(space, where);
    } else {
      Rng rng = Rng(spec.seed).fork(1000 + static_cast<uint64_t>(index)).fork(b);
      drawn = sample(space, st.trials, rng);
    }
    for (json& d : drawn) {
      json merged = bases[b];
      merged.update(d);
      // Bases that differ only in keys this stage sets, and draws that differ only in variables
      // the configuration does not use, give the same configuration twice: it is tried once.
      merged = without_unused_variables(merged);
      if (seen.insert(merged.dump()).second) out.push_back(std::move(merged));
    }
  }
  return out;
}

json row_json(const Row& r, const SearchSpec& spec) {
  json scores = json::array();
  for (double x : r.scores) scores.push_back(std::isfinite(x) ? json(x) : json(nullptr));
  json j = {{"stage", spec.stages[static_cast<size_t>(r.stage)].name},
            {"config", r.config},
            {"rung", r.rung},
            {"params", r.settings},
            {"epochs", r.epochs},
            {"mean_score", std::isfinite(r.mean) ? json(r.mean) : json(nullptr)},
            {"std_score", std::isfinite(r.std) ? json(r.std) : json(nullptr)},
            {"split_scores", scores},
            {"rank", r.rank},
            {"seconds", r.seconds},
            {"epochs_run", r.epochs_run},
            {"best_epoch", r.best_epoch},
            {"complete", r.complete}};
  if (!r.error.empty()) j["error"] = r.error;
  return j;
}

/// scikit-learn's cv_results_ as CSV: a column per searched key, then the scores.
std::string trials_csv(const std::vector<Row>& rows, const SearchSpec& spec, size_t folds) {
  // A column per key that varies: one value everywhere is the run's setting, not a choice.
  std::vector<std::string> keys;
  for (const Row& r : rows)
    for (const auto& [k, v] : r.settings.items())
      if (std::find(keys.begin(), keys.end(), k) == keys.end() &&
          std::any_of(rows.begin(), rows.end(),
                      [&k = k, &v = v](const Row& o) {  // clang < 16 captures no bindings
                        return !o.settings.contains(k) || o.settings[k] != v;
                      }))
        keys.push_back(k);
  CsvRow head;
  head.add("stage").add("config").add("rung").add("epochs");
  for (const auto& k : keys) head.add("param_" + k);
  head.add("mean_score").add("std_score");
  for (size_t f = 0; f < folds; ++f) head.add(fmt::format("split{}_score", f));
  head.add("rank").add("seconds").add("epochs_run").add("error");
  std::string csv = head.str();
  for (const Row& r : rows) {
    CsvRow line;
    line.add(spec.stages[static_cast<size_t>(r.stage)].name)
        .add(static_cast<long long>(r.config))
        .add(r.rung)
        .add(r.epochs);
    for (const auto& k : keys)
      line.add(r.settings.contains(k)
                   ? (r.settings[k].is_string() ? r.settings[k].get<std::string>()
                                                : r.settings[k].dump())
                   : std::string());
    line.add(r.mean).add(r.std);
    for (double x : r.scores) line.add(x);
    line.add(r.rank).add(r.seconds).add(r.epochs_run).add(r.error);
    csv += line.str();
  }
  return csv;
}

struct SearchTable {
  std::vector<Row> rows;  // every stage's
  json stages = json::array();
};

/// Runs every stage of the search in scope `s` and returns its rows, ranked.
SearchTable search_stages(Scope& s) {
  SearchTable table;
  int64_t configs_so_far = 0;
  for (size_t i = 0; i < s.spec.stages.size(); ++i) {
    const SearchStage& st = s.spec.stages[i];
    const int index = static_cast<int>(i);
    std::vector<json> bases = {json::object()};
    if (st.from_best > 0) {
      rank_rows(table.rows, s.spec.maximize);
      std::vector<const Row*> best;
      for (const Row& r : table.rows)
        if (r.rank > 0) best.push_back(&r);
      std::sort(best.begin(), best.end(),
                [](const Row* a, const Row* b) { return a->rank < b->rank; });
      bases.clear();
      for (size_t b = 0; b < best.size() && b < static_cast<size_t>(st.from_best); ++b)
        bases.push_back(best[b]->settings);
      if (bases.empty()) break;  // nothing finished to build on (the budget ran out)
    }
    std::vector<json> configs = stage_configs(
        st, index, bases, s.spec, fmt::format("{}: search stage '{}'", s.study.path, st.name));
    if (s.spec.max_trials > 0) {
      const int64_t left = std::max<int64_t>(0, s.spec.max_trials - configs_so_far);
      if (static_cast<int64_t>(configs.size()) > left) configs.resize(static_cast<size_t>(left));
    }
    if (configs.empty() || past_deadline(s)) break;
    configs_so_far += static_cast<int64_t>(configs.size());

    std::optional<Halving> halving;
    if (st.method == "halving") {
      halving.emplace(s, index, st, configs);
      // Enough first-rung work for every worker; the rest comes as workers ask.
      for (int w = 0; w < s.workers; ++w)
        if (!halving->add_work(*s.store)) break;
    } else {
      std::vector<std::pair<std::string, json>> trials;
      for (size_t c = 0; c < configs.size(); ++c) {
        // The epochs a trial trains are its resolved run's (a searched train.epochs included);
        // resolving here also checks every configuration before any trains.
        const RunSpec spec = resolve_configuration(s.study, s.run.name, configs[c]);
        for (size_t f = 0; f < s.folds.size(); ++f)
          trials.emplace_back(trial_key(s, configs[c], spec.train.epochs, f),
                              trial_params(index, static_cast<int64_t>(c), 0, spec.train.epochs, f,
                                           configs[c], s.name));
      }
      s.store->add_all(trials);
    }
    work(s, halving ? &*halving : nullptr);

    std::vector<Row> rows = rows_of(s, *s.store, index);
    const int last_rung = halving ? static_cast<int>(halving->rungs().size()) - 1 : 0;
    for (Row& r : rows) r.final_rung = r.rung == last_rung;
    int64_t epochs = 0;
    for (const Row& r : rows)
      epochs += static_cast<int64_t>(r.epochs_run * static_cast<double>(s.folds.size()));
    table.stages.push_back({{"name", st.name},
                            {"method", st.method},
                            {"configurations", configs.size()},
                            {"trials", rows.size() * s.folds.size()},
                            {"epochs_trained", epochs}});
    if (halving) table.stages.back()["rungs"] = halving->rungs();
    table.rows.insert(table.rows.end(), rows.begin(), rows.end());
  }
  rank_rows(table.rows, s.spec.maximize);
  return table;
}

const Row* best_row(const std::vector<Row>& rows, int rank = 1) {
  for (const Row& r : rows)
    if (r.rank == rank) return &r;
  return nullptr;
}

/// The run a chosen configuration is refit as: all training data, the epochs the search
/// trained (the folds' mean best epoch under early stopping), no validation.
RunSpec refit_spec(const Scope& s, const Row& row, const std::string& name) {
  RunSpec spec = resolve_configuration(s.study, s.run.name, row.settings);
  spec.name = name;
  spec.search.reset();
  spec.train.epochs = spec.train.early_stopping.enabled
                          ? std::max(1, static_cast<int>(std::lround(row.best_epoch)))
                          : row.epochs;
  spec.train.early_stopping.enabled = false;
  spec.train.refit = false;
  spec.data.validation = 0;
  spec.data.validation_fraction = 0;
  return spec;
}

std::string worker_prefix() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return fmt::format("{}:{}", host, getpid());
}

}  // namespace

SearchOutcome run_search(ExecContext& exec, const Study& study, const RunSpec& run,
                         DataCache& cache, const RunOptions& options) {
  NNLAB_CHECK(run.search, "run '{}' has no search", run.name);
  const SearchSpec& spec = *run.search;
  const std::string dir = fmt::format("{}/search/{}", options.out_dir, file_safe(run.name));
  fs::create_directories(dir);
  const std::string store_path = dir + "/trials.sqlite";
  if (!options.resume && !options.join) {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(store_path + suffix);
  }
  std::unique_ptr<TrialStore> store = open_trial_store(store_path);

  const SourceData& source = cache.get(run.data);  // loaded before any worker starts
  const int threads = exec.threads();
  const int workers = std::clamp(options.workers > 0 ? options.workers
                                 : spec.workers > 0  ? spec.workers
                                                     : threads,
                                 1, 1024);
  const DataView pool = training_pool(source, run.data);
  const bool classes = !pool.data->labels.empty();
  // k folds of `positions`, cv_repeats times over (repeat r draws its own folds; the first
  // repeat's are those of a search without repeats).
  auto folds_of = [&](const std::vector<int64_t>& positions, int k, uint64_t stream,
                      std::vector<uint64_t>* repeat_of) {
    std::vector<std::optional<Split>> out;
    if (k == 0) {
      out.emplace_back(std::nullopt);
      if (repeat_of) repeat_of->assign(1, 0);
      return out;
    }
    std::vector<int32_t> labels;
    if (classes && spec.stratified) {
      const auto all = pool.labels();
      for (int64_t p : positions) labels.push_back(all[static_cast<size_t>(p)]);
    }
    if (repeat_of) repeat_of->clear();
    const int repeats = repeat_of ? spec.cv_repeats : 1;
    for (int r = 0; r < repeats; ++r) {
      Rng rng = r == 0 ? Rng(spec.seed).fork(stream)
                       : Rng(spec.seed).fork(stream).fork(static_cast<uint64_t>(r));
      for (Split& f :
           kfold(static_cast<int64_t>(positions.size()), k, labels, !labels.empty(), rng)) {
        Split mapped;  // positions within `positions` -> positions in the pool
        for (int64_t i : f.train) mapped.train.push_back(positions[static_cast<size_t>(i)]);
        for (int64_t i : f.val) mapped.val.push_back(positions[static_cast<size_t>(i)]);
        out.emplace_back(std::move(mapped));
        if (repeat_of) repeat_of->push_back(static_cast<uint64_t>(r));
      }
    }
    return out;
  };
  std::vector<uint64_t> repeat_of;
  std::vector<int64_t> everything(static_cast<size_t>(pool.size()));
  for (size_t i = 0; i < everything.size(); ++i) everything[i] = static_cast<int64_t>(i);

  Scope scope{.study = study,
              .run = run,
              .spec = spec,
              .source = source,
              .folds = folds_of(everything, spec.folds, 7, &repeat_of),
              .fold_repeat = repeat_of,
              .name = "",
              .store = store.get(),
              .store_path = store_path,
              .options = options,
              .workers = workers,
              .threads_per_worker = std::max(1, threads / workers),
              .start = Clock::now(),
              .log_mutex = {},
              .worker_prefix = worker_prefix()};
  SearchTable table = search_stages(scope);

  SearchOutcome out;
  json rows = json::array();
  for (const Row& r : table.rows) rows.push_back(row_json(r, spec));
  int64_t epochs = 0;
  for (const auto& st : table.stages) epochs += st["epochs_trained"].get<int64_t>();
  out.search = {{"run", run.name},
                {"metric", spec.metric},
                {"direction", spec.maximize ? "max" : "min"},
                {"folds", spec.folds},
                {"cv_repeats", spec.cv_repeats},
                {"workers", workers},
                {"threads_per_worker", scope.threads_per_worker},
                {"seconds", elapsed(scope)},
                {"epochs_trained", epochs},
                {"refit", spec.refit},
                {"stages", table.stages},
                {"trials", rows}};
  write_file_atomic(dir + "/trials.csv", trials_csv(table.rows, spec, scope.folds.size()));

  // Nested cross-validation: the whole search again inside each outer training part, its best
  // configuration trained there and scored on the outer fold, which no choice has seen.
  if (spec.outer_folds > 0) {
    const auto outer = folds_of(everything, spec.outer_folds, 8, nullptr);
    json outer_scores = json::array();
    std::vector<double> values;
    for (size_t o = 0; o < outer.size(); ++o) {
      Scope inner{.study = study,
                  .run = run,
                  .spec = spec,
                  .source = source,
                  .folds = folds_of(outer[o]->train, spec.folds, 9 + o, &repeat_of),
                  .fold_repeat = repeat_of,
                  .name = fmt::format("outer{}", o + 1),
                  .store = store.get(),
                  .store_path = store_path,
                  .options = options,
                  .workers = workers,
                  .threads_per_worker = scope.threads_per_worker,
                  .start = scope.start,
                  .log_mutex = {},
                  .worker_prefix = scope.worker_prefix};
      const SearchTable t = search_stages(inner);
      const Row* best = best_row(t.rows);
      if (!best) continue;
      const RunSpec chosen = resolve_configuration(study, run.name, best->settings);
      const json r = run_trial(exec, chosen, best->epochs, source, outer[o], spec.metric,
                               study.path, options.out_dir);
      outer_scores.push_back({{"fold", o + 1},
                              {"params", best->settings},
                              {"inner_score", best->mean},
                              {"score", r["score"]}});
      if (r["score"].is_number()) values.push_back(r["score"].get<double>());
    }
    const auto [mean, sd] = mean_std(values);
    out.search["nested"] = {{"outer_folds", spec.outer_folds},
                            {"inner_folds", spec.folds},
                            {"outer", outer_scores},
                            {"mean", std::isfinite(mean) ? json(mean) : json(nullptr)},
                            {"std", std::isfinite(sd) ? json(sd) : json(nullptr)}};
  }

  // Finalize once, whichever process gets here first (or any on --resume: the refits resume
  // from their own files).
  out.finalized = store->put_meta_if_absent("finalized", scope.worker_prefix) || options.resume ||
                  !options.join;
  if (!out.finalized) return out;
  out.runs = json::array();
  for (int k = 1; k <= spec.refit; ++k) {
    const Row* row = best_row(table.rows, k);
    if (!row) break;
    const std::string name = k == 1 ? run.name : fmt::format("{}#{}", run.name, k);
    const RunSpec chosen = refit_spec(scope, *row, name);
    const RunData data = prepare_run_data(source, chosen.data, chosen.seed);
    const std::string run_dir = repeat_dir(options.out_dir, chosen.name, 0);
    json result = run_repeat(exec, chosen, 0, data, run_dir, study.path, options);
    result["search_rank"] = k;
    result["ensemble_of"] = run.name;  // the top-k refits are one ensemble (study/ensembles.hpp)
    result["search_params"] = row->settings;
    result["search_score"] = row->mean;
    out.runs.push_back(std::move(result));
  }
  if (const Row* best = best_row(table.rows))
    out.search["best"] = {{"params", best->settings},
                          {"mean_score", best->mean},
                          {"std_score", best->std},
                          {"epochs", best->epochs}};
  return out;
}

}  // namespace nnlab
