// Tests of the SQLite trial store: the trial life cycle, ownership, stale reclaim, meta, bad
// files, and several forked processes sharing one database (one of them killed mid-trial).
#include "search/trial_store.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/test_support.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr double kNever = std::numeric_limits<double>::infinity();  // stale_after: no reclaim

std::string db_path(const fs::path& dir) { return (dir / "trials.db").string(); }

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// Runs sql on the file with the raw C API, for tests that damage a store.
void raw_exec(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

TEST(TrialStore, AddFindAndIdempotentAdd) {
  const auto path = db_path(test::temp_dir());
  auto store = open_trial_store(path);
  const int64_t a = store->add("k-a", {{"lr", 0.1}});
  const int64_t b = store->add("k-b", {{"lr", 0.01}});
  EXPECT_NE(a, b);
  EXPECT_EQ(store->add("k-a", {{"lr", 0.5}}), a);  // known key: same id, first params kept

  const auto t = store->find("k-a");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->id, a);
  EXPECT_EQ(t->params, json({{"lr", 0.1}}));
  EXPECT_EQ(t->state, "pending");
  EXPECT_TRUE(t->result.is_null());
  EXPECT_EQ(t->worker, "");
  EXPECT_EQ(t->attempts, 0);
  EXPECT_FALSE(store->find("k-none"));

  // A batch mixing a known key, new keys and a key repeated within the batch.
  const auto ids = store->add_all({{"k-b", json{}}, {"k-c", {{"x", 1}}}, {"k-c", {{"x", 2}}}});
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids[0], b);
  EXPECT_EQ(ids[1], ids[2]);
  EXPECT_EQ(store->find("k-c")->params, json({{"x", 1}}));

  const auto all = store->trials();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].key, "k-a");
  EXPECT_EQ(all[1].key, "k-b");
  EXPECT_EQ(all[2].key, "k-c");
  EXPECT_LT(all[0].id, all[1].id);
  EXPECT_LT(all[1].id, all[2].id);
  EXPECT_EQ(store->counts().pending, 3);
  EXPECT_EQ(store->counts().total(), 3);

  // What was written is there for the next process.
  store.reset();
  EXPECT_EQ(open_trial_store(path)->trials().size(), 3u);
}

TEST(TrialStore, ClaimInIdOrderThroughTheStates) {
  auto store = open_trial_store(db_path(test::temp_dir()));
  const auto ids = store->add_all({{"k1", {{"i", 1}}}, {"k2", {{"i", 2}}}, {"k3", {{"i", 3}}}});
  const auto t1 = store->claim("w", kNever);
  const auto t2 = store->claim("w", kNever);
  const auto t3 = store->claim("w", kNever);
  ASSERT_TRUE(t1 && t2 && t3);
  EXPECT_EQ(t1->id, ids[0]);
  EXPECT_EQ(t2->id, ids[1]);
  EXPECT_EQ(t3->id, ids[2]);
  EXPECT_EQ(t1->state, "running");
  EXPECT_EQ(t1->worker, "w");
  EXPECT_EQ(t1->attempts, 1);
  EXPECT_EQ(t1->params, json({{"i", 1}}));
  EXPECT_GT(t1->heartbeat, 1.6e9);  // unix seconds
  EXPECT_FALSE(store->claim("w", kNever));
  EXPECT_EQ(store->counts().running, 3);

  EXPECT_TRUE(store->finish(t1->id, "w", {{"accuracy", 0.99}}));
  EXPECT_TRUE(store->fail(t2->id, "w", "diverged at epoch 3"));
  EXPECT_FALSE(store->finish(t1->id, "w", {{"accuracy", 0.5}}));  // done is final
  const auto c = store->counts();
  EXPECT_EQ(c.pending, 0);
  EXPECT_EQ(c.running, 1);
  EXPECT_EQ(c.done, 1);
  EXPECT_EQ(c.failed, 1);
  EXPECT_EQ(store->find("k1")->result, json({{"accuracy", 0.99}}));
  EXPECT_EQ(store->find("k2")->state, "failed");
  EXPECT_EQ(store->find("k2")->result, json({{"error", "diverged at epoch 3"}}));

  // Done and failed trials are never claimed again, however stale.
  EXPECT_TRUE(store->finish(t3->id, "w", json{}));
  sleep_ms(5);
  EXPECT_FALSE(store->claim("w2", 0));
}

TEST(TrialStore, OnlyTheOwnerHeartbeatsAndFinishes) {
  auto store = open_trial_store(db_path(test::temp_dir()));
  store->add("k", json{});
  const auto t = store->claim("owner", kNever);
  ASSERT_TRUE(t);
  EXPECT_FALSE(store->heartbeat(t->id, "intruder"));
  EXPECT_FALSE(store->finish(t->id, "intruder", {{"r", 1}}));
  EXPECT_FALSE(store->fail(t->id, "intruder", "no"));
  EXPECT_EQ(store->find("k")->state, "running");
  EXPECT_TRUE(store->find("k")->result.is_null());

  sleep_ms(5);
  EXPECT_TRUE(store->heartbeat(t->id, "owner"));
  EXPECT_GT(store->find("k")->heartbeat, t->heartbeat);
  EXPECT_TRUE(store->finish(t->id, "owner", {{"r", 2}}));
  EXPECT_FALSE(store->heartbeat(t->id, "owner"));  // no longer running
  EXPECT_EQ(store->find("k")->result, json({{"r", 2}}));
}

TEST(TrialStore, StaleTrialIsReclaimedAndTheLateWorkerRefused) {
  auto store = open_trial_store(db_path(test::temp_dir()));
  store->add("k", json{});
  const auto first = store->claim("a", kNever);
  ASSERT_TRUE(first);
  EXPECT_FALSE(store->claim("b", 3600));  // a's heartbeat is fresh
  sleep_ms(20);
  const auto second = store->claim("b", 0.01);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->id, first->id);
  EXPECT_EQ(second->worker, "b");
  EXPECT_EQ(second->attempts, 2);

  EXPECT_FALSE(store->heartbeat(first->id, "a"));
  EXPECT_FALSE(store->finish(first->id, "a", {{"by", "a"}}));
  EXPECT_TRUE(store->finish(second->id, "b", {{"by", "b"}}));
  const auto t = store->find("k");
  EXPECT_EQ(t->state, "done");
  EXPECT_EQ(t->result, json({{"by", "b"}}));
  EXPECT_EQ(t->attempts, 2);

  EXPECT_NE(test::error_of([&] { store->claim("c", -1); }).find("stale_after"), std::string::npos);
}

TEST(TrialStore, Meta) {
  const auto path = db_path(test::temp_dir());
  auto store = open_trial_store(path);
  EXPECT_FALSE(store->get_meta("study"));
  store->put_meta("study", "abc");
  EXPECT_EQ(store->get_meta("study"), "abc");
  store->put_meta("study", "def");
  EXPECT_EQ(store->get_meta("study"), "def");

  EXPECT_TRUE(store->put_meta_if_absent("sampler", "{\"seed\":1}"));
  EXPECT_FALSE(store->put_meta_if_absent("sampler", "{\"seed\":2}"));
  EXPECT_EQ(store->get_meta("sampler"), "{\"seed\":1}");

  // The store's own keys are readable and protected.
  EXPECT_EQ(store->get_meta("nnlab.schema_version"), "1");
  const auto msg = test::error_of([&] { store->put_meta("nnlab.schema_version", "2"); });
  EXPECT_NE(msg.find("reserved"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  test::error_of([&] { store->put_meta_if_absent("nnlab.other", "x"); });

  store.reset();
  EXPECT_EQ(open_trial_store(path)->get_meta("study"), "def");
}

TEST(TrialStore, EmptyFileBecomesAStore) {
  const auto path = db_path(test::temp_dir());
  std::ofstream(path).close();
  auto store = open_trial_store(path);
  const int64_t id = store->add("k", json{});
  EXPECT_EQ(store->find("k")->id, id);
}

TEST(TrialStore, BadFilesNameThePath) {
  const auto dir = test::temp_dir();

  const auto garbage = (dir / "garbage.db").string();
  std::ofstream(garbage) << std::string(4096, 'x');
  auto msg = test::error_of([&] { open_trial_store(garbage); });
  EXPECT_NE(msg.find(garbage), std::string::npos) << msg;
  EXPECT_NE(msg.find("not a database"), std::string::npos) << msg;

  const auto other = (dir / "other.db").string();
  raw_exec(other, "CREATE TABLE foo (x)");
  msg = test::error_of([&] { open_trial_store(other); });
  EXPECT_NE(msg.find(other), std::string::npos) << msg;
  EXPECT_NE(msg.find("not an nnlab trial store"), std::string::npos) << msg;

  const auto future = (dir / "future.db").string();
  open_trial_store(future);
  raw_exec(future, "UPDATE meta SET value = '99' WHERE key = 'nnlab.schema_version'");
  msg = test::error_of([&] { open_trial_store(future); });
  EXPECT_NE(msg.find(future), std::string::npos) << msg;
  EXPECT_NE(msg.find("version 99"), std::string::npos) << msg;

  const auto nowhere = (dir / "no" / "such" / "dir" / "trials.db").string();
  msg = test::error_of([&] { open_trial_store(nowhere); });
  EXPECT_NE(msg.find(nowhere), std::string::npos) << msg;
}

// --- several processes ---------------------------------------------------------------------

// Forks a child that runs f and _exits with its return value, or with 1 (saying why on stderr)
// when it throws: the parent sees any "database is locked" as a non-zero exit.
template <class F>
pid_t spawn(F f) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  int code = 1;
  try {
    code = f();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "child %d: %s\n", static_cast<int>(::getpid()), e.what());
  }
  ::_exit(code);  // no gtest teardown, no flushing of the parent's buffers
}

// The child's exit status, or -signal when a signal ended it.
int wait_for(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1000;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

// A worker process: claims until no trial is pending or running, "runs" each one (a heartbeat
// and a short pause, so that the processes interleave), finishes it with its pid in the result
// and appends the id to ids_file once finish() accepted it. Exits 3 when finish() is refused
// although nothing could have reclaimed the trial (stale_after is infinite).
int work(const std::string& db, const fs::path& ids_file, double stale_after) {
  auto store = open_trial_store(db);
  const auto pid = static_cast<int>(::getpid());
  const std::string me = "worker-" + std::to_string(pid);
  std::ofstream ids(ids_file);
  for (;;) {
    const auto t = store->claim(me, stale_after);
    if (!t) {
      if (store->counts().running == 0) return 0;
      sleep_ms(20);  // another worker's trial is running and may yet go stale
      continue;
    }
    store->heartbeat(t->id, me);
    sleep_ms(2);
    if (store->finish(t->id, me, {{"pid", pid}, {"attempt", t->attempts}}))
      ids << t->id << '\n' << std::flush;
    else if (stale_after == kNever)
      return 3;
  }
}

std::vector<int64_t> read_ids(const fs::path& file) {
  std::vector<int64_t> ids;
  std::ifstream in(file);
  for (int64_t id; in >> id;) ids.push_back(id);
  return ids;
}

// A database with n pending trials, closed again before any fork (SQLite connections must not
// cross a fork).
std::string make_db(const fs::path& dir, int n) {
  const auto path = db_path(dir);
  std::vector<std::pair<std::string, json>> trials;
  for (int i = 0; i < n; ++i) trials.emplace_back("key-" + std::to_string(i), json{{"i", i}});
  open_trial_store(path)->add_all(trials);
  return path;
}

// Every trial done, none running; the id files together hold each id exactly once, and each
// trial's result names the process whose file holds its id.
void expect_each_done_once(const std::string& path, const std::vector<fs::path>& files,
                           const std::vector<pid_t>& pids, size_t n) {
  auto store = open_trial_store(path);
  const auto c = store->counts();
  EXPECT_EQ(c.done, static_cast<int64_t>(n));
  EXPECT_EQ(c.running, 0);
  EXPECT_EQ(c.pending, 0);
  std::map<int64_t, Trial> by_id;
  for (auto& t : store->trials()) by_id[t.id] = t;
  std::multiset<int64_t> seen;
  for (size_t k = 0; k < files.size(); ++k)
    for (int64_t id : read_ids(files[k])) {
      seen.insert(id);
      ASSERT_TRUE(by_id.count(id)) << id;
      EXPECT_EQ(by_id[id].result["pid"], static_cast<int>(pids[k])) << "trial " << id;
    }
  EXPECT_EQ(seen.size(), n);
  for (const auto& [id, t] : by_id) EXPECT_EQ(seen.count(id), 1u) << "trial " << id;
}

TEST(TrialStoreProcesses, EightWorkersShareOneDatabase) {
  const auto dir = test::temp_dir();
  constexpr int kTrials = 64, kWorkers = 8;
  const auto path = make_db(dir, kTrials);
  std::vector<pid_t> pids;
  std::vector<fs::path> files;
  for (int k = 0; k < kWorkers; ++k) {
    files.push_back(dir / ("ids-" + std::to_string(k) + ".txt"));
    pids.push_back(spawn([&, file = files.back()] { return work(path, file, kNever); }));
    ASSERT_GT(pids.back(), 0);
  }
  for (pid_t pid : pids) EXPECT_EQ(wait_for(pid), 0) << "worker " << pid;

  expect_each_done_once(path, files, pids, kTrials);
  for (const auto& t : open_trial_store(path)->trials())
    EXPECT_EQ(t.attempts, 1) << "trial " << t.id;  // nothing was ever claimed twice
}

TEST(TrialStoreProcesses, KilledWorkersTrialIsRunAgain) {
  const auto dir = test::temp_dir();
  constexpr int kTrials = 64, kWorkers = 4;
  constexpr double kStale = 1.0;
  const auto path = make_db(dir, kTrials);

  // The victim claims one trial, says which, then hangs until killed.
  const auto victim_file = dir / "victim.txt";
  const pid_t victim = spawn([&] {
    auto store = open_trial_store(path);
    const auto t = store->claim("victim", kNever);
    if (!t) return 2;
    const auto tmp = victim_file.string() + ".tmp";
    std::ofstream(tmp) << t->id << '\n';
    fs::rename(tmp, victim_file);  // the parent never reads half a number
    for (;;) ::pause();
  });
  ASSERT_GT(victim, 0);
  for (int i = 0; i < 1000 && !fs::exists(victim_file); ++i) sleep_ms(10);
  ASSERT_TRUE(fs::exists(victim_file)) << "the victim never claimed";
  const int64_t lost = read_ids(victim_file).at(0);
  ::kill(victim, SIGKILL);
  EXPECT_EQ(wait_for(victim), -SIGKILL);
  EXPECT_EQ(open_trial_store(path)->counts().running, 1);

  std::vector<pid_t> pids;
  std::vector<fs::path> files;
  for (int k = 0; k < kWorkers; ++k) {
    files.push_back(dir / ("ids-" + std::to_string(k) + ".txt"));
    pids.push_back(spawn([&, file = files.back()] { return work(path, file, kStale); }));
    ASSERT_GT(pids.back(), 0);
  }
  for (pid_t pid : pids) EXPECT_EQ(wait_for(pid), 0) << "worker " << pid;

  expect_each_done_once(path, files, pids, kTrials);
  auto store = open_trial_store(path);
  for (const auto& t : store->trials()) {
    if (t.id != lost) continue;
    EXPECT_EQ(t.attempts, 2);
    EXPECT_NE(t.worker, "victim");
  }
}

}  // namespace
}  // namespace nnlab
