// Trial store: the trials of a hyper-parameter search in a database that several `nnlab search`
// processes share, and the SQLite file that holds them by default.
//
//   A trial is one resolved run (spec + seed + fold) under a key unique in the study.
//   Its life:  add ──> pending ──claim──> running ──finish──> done
//                                            │  └────fail───> failed
//                                            └─ heartbeat older than stale_after: claimable again
//
//   add(key, params)   inserts a pending trial unless the key is known; returns its id either way
//                      (an existing key keeps its first params). Sampling again after a restart
//                      is therefore harmless.
//   claim(worker, s)   atomically takes the lowest-id trial that is pending, or running with a
//                      heartbeat older than now - s seconds (its worker died), marks it running
//                      by `worker` with heartbeat now and attempts + 1, and returns it. Two
//                      callers never get the same trial unless the first one's heartbeat went
//                      stale. The caller may fail a trial whose attempts are too many (a trial
//                      that kills its worker).
//   heartbeat / finish / fail (id, worker)  act only while `worker` still owns the trial
//                      (running, claimed by it): they return false and write nothing once it
//                      was reclaimed, so a late worker never overwrites another's result.
//
// A worker name must be unique per process (host and pid, say): ownership is the name. Every
// operation is one short transaction; failures throw nnlab::Error naming the database. A store
// object belongs to one thread; other threads and processes open their own. Heartbeats are wall
// clock (unix seconds): processes on different machines need synchronized clocks.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace nnlab {

struct Trial {
  int64_t id = 0;
  std::string key;        // hash of the resolved spec + seed + fold, unique per study
  nlohmann::json params;  // what the sampler chose
  std::string state;      // "pending" | "running" | "done" | "failed"
  nlohmann::json result;  // null until done; {"error": message} when failed
  std::string worker;     // who claimed it last ("" while never claimed)
  double heartbeat = 0;   // unix seconds of the last claim, heartbeat or finish
  int64_t attempts = 0;   // how many times it was claimed
};

/// How many trials are in each state.
struct TrialCounts {
  int64_t pending = 0, running = 0, done = 0, failed = 0;
  int64_t total() const { return pending + running + done + failed; }
};

/// The store's contract (see the top of this file); SQLite now, a server database later.
class TrialStore {
 public:
  virtual ~TrialStore() = default;

  virtual int64_t add(const std::string& key, const nlohmann::json& params) = 0;
  /// add() for each (key, params) in one transaction; the ids in the same order.
  virtual std::vector<int64_t> add_all(
      const std::vector<std::pair<std::string, nlohmann::json>>& trials) = 0;

  /// stale_after_seconds >= 0; infinity never reclaims a running trial.
  virtual std::optional<Trial> claim(const std::string& worker, double stale_after_seconds) = 0;
  /// Refreshes the heartbeat; false when `worker` no longer owns the trial.
  virtual bool heartbeat(int64_t id, const std::string& worker) = 0;
  /// done with `result`; false (nothing written) when `worker` no longer owns the trial.
  virtual bool finish(int64_t id, const std::string& worker, const nlohmann::json& result) = 0;
  /// failed with result {"error": message}; false as finish().
  virtual bool fail(int64_t id, const std::string& worker, const std::string& message) = 0;

  virtual std::optional<Trial> find(const std::string& key) = 0;
  /// Every trial, ordered by id.
  virtual std::vector<Trial> trials() = 0;
  virtual TrialCounts counts() = 0;

  /// A small key/value table: the sampler's state, the study's identity. Keys starting with
  /// "nnlab." are the store's own and refused.
  virtual void put_meta(const std::string& key, const std::string& value) = 0;
  virtual std::optional<std::string> get_meta(const std::string& key) = 0;
  /// Writes only when the key is absent; true when it wrote. Lets the first of several
  /// processes record the study's identity and the others compare theirs with it.
  virtual bool put_meta_if_absent(const std::string& key, const std::string& value) = 0;
};

/// A TrialStore in one SQLite file (WAL mode), created with its schema when absent or empty.
/// Throws nnlab::Error naming the path when the file is not a database, not an nnlab trial
/// store, or one of another schema version.
class SqliteTrialStore final : public TrialStore {
 public:
  explicit SqliteTrialStore(const std::string& path);
  ~SqliteTrialStore() override;
  SqliteTrialStore(const SqliteTrialStore&) = delete;
  SqliteTrialStore& operator=(const SqliteTrialStore&) = delete;

  const std::string& path() const;

  int64_t add(const std::string& key, const nlohmann::json& params) override;
  std::vector<int64_t> add_all(
      const std::vector<std::pair<std::string, nlohmann::json>>& trials) override;
  std::optional<Trial> claim(const std::string& worker, double stale_after_seconds) override;
  bool heartbeat(int64_t id, const std::string& worker) override;
  bool finish(int64_t id, const std::string& worker, const nlohmann::json& result) override;
  bool fail(int64_t id, const std::string& worker, const std::string& message) override;
  std::optional<Trial> find(const std::string& key) override;
  std::vector<Trial> trials() override;
  TrialCounts counts() override;
  void put_meta(const std::string& key, const std::string& value) override;
  std::optional<std::string> get_meta(const std::string& key) override;
  bool put_meta_if_absent(const std::string& key, const std::string& value) override;

 private:
  struct Impl;  // keeps sqlite3.h out of this header
  std::unique_ptr<Impl> impl_;
};

/// The store at `path`: a SQLite file now (a server address may select another kind later).
std::unique_ptr<TrialStore> open_trial_store(const std::string& path);

}  // namespace nnlab
