// The SQLite trial store: RAII wrappers over the C API, one retried transaction per operation.
#include "search/trial_store.hpp"

#include <fmt/ranges.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <string_view>
#include <thread>
#include <type_traits>

#include "tensor/error.hpp"

namespace nnlab {
namespace {

// The meta key holding the schema's version; "nnlab." keys are the store's own.
constexpr const char* kSchemaKey = "nnlab.schema_version";
constexpr const char* kSchemaVersion = "1";
constexpr std::string_view kReservedPrefix = "nnlab.";
// How long one operation waits for other processes' transactions before giving up.
constexpr auto kBusyTimeout = std::chrono::seconds(60);

constexpr const char* kSchema = R"sql(
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE trials (
  id        INTEGER PRIMARY KEY,
  key       TEXT NOT NULL UNIQUE,
  params    TEXT NOT NULL,
  state     TEXT NOT NULL DEFAULT 'pending'
            CHECK (state IN ('pending', 'running', 'done', 'failed')),
  result    TEXT,
  worker    TEXT NOT NULL DEFAULT '',
  heartbeat REAL NOT NULL DEFAULT 0,
  attempts  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX trials_by_state ON trials (state, id);
)sql";

// The columns read_trial() expects, in its order.
#define NNLAB_TRIAL_COLUMNS "id, key, params, state, result, worker, heartbeat, attempts"

// Thrown for SQLITE_BUSY / SQLITE_LOCKED: the whole transaction is rolled back and retried.
struct Busy {};

double unix_now() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

// The connection and the path its errors name. Not in the anonymous namespace: a member of
// SqliteTrialStore::Impl, whose linkage is external, may not have a type of internal linkage.
struct SqliteConnection {
  sqlite3* db = nullptr;
  std::string path;
  const char* op = "open";  // the operation running, for error messages

  SqliteConnection() = default;
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;
  // close_v2 never fails for want of finalized statements: every Stmt is RAII anyway.
  ~SqliteConnection() { sqlite3_close_v2(db); }

  [[noreturn]] void raise(int rc) const {
    const int primary = rc & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) throw Busy{};
    throw Error(fmt::format("trial store {}: {} failed: {}", path, op,
                            db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
  }
  void check(int rc) const {
    if (rc != SQLITE_OK) raise(rc);
  }
  void exec(const char* sql) const { check(sqlite3_exec(db, sql, nullptr, nullptr, nullptr)); }
  [[noreturn]] void error(const std::string& what) const {
    throw Error(fmt::format("trial store {}: {}", path, what));
  }
};

namespace {

// A prepared statement; values are always bound, never formatted into the SQL.
class Stmt {
 public:
  Stmt(const SqliteConnection& conn, const char* sql) : conn_(conn) {
    conn_.check(sqlite3_prepare_v2(conn_.db, sql, -1, &stmt_, nullptr));
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind_int(int i, int64_t v) {
    conn_.check(sqlite3_bind_int64(stmt_, i, v));
    return *this;
  }
  Stmt& bind_real(int i, double v) {
    conn_.check(sqlite3_bind_double(stmt_, i, v));
    return *this;
  }
  Stmt& bind_text(int i, std::string_view v) {
    conn_.check(
        sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }
  /// True when a row is ready, false when the statement is done.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    conn_.raise(rc);
  }
  /// Ready to run again with new bindings.
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  int64_t int_at(int col) const { return sqlite3_column_int64(stmt_, col); }
  double real_at(int col) const { return sqlite3_column_double(stmt_, col); }
  bool null_at(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string text_at(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }

 private:
  const SqliteConnection& conn_;
  sqlite3_stmt* stmt_ = nullptr;
};

// Rolls back the open transaction unless dismissed (an error or Busy left the body early).
class RollbackGuard {
 public:
  explicit RollbackGuard(const SqliteConnection& conn) : conn_(conn) {}
  ~RollbackGuard() {
    // SQLite may already have rolled back by itself (autocommit is on again then).
    if (!done_ && !sqlite3_get_autocommit(conn_.db))
      sqlite3_exec(conn_.db, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  RollbackGuard(const RollbackGuard&) = delete;
  RollbackGuard& operator=(const RollbackGuard&) = delete;
  void dismiss() { done_ = true; }

 private:
  const SqliteConnection& conn_;
  bool done_ = false;
};

}  // namespace

struct SqliteTrialStore::Impl {
  SqliteConnection conn;
  std::minstd_rand jitter;  // spreads the retries of processes that collided

  explicit Impl(const std::string& path);

  // Runs body until it gets through without Busy: sqlite3_busy_timeout waits inside SQLite in
  // most cases, but not in all (WAL recovery, a snapshot that went stale), which return BUSY at
  // once; those are retried here with a growing, jittered pause.
  template <class F>
  auto retry(const char* op, F&& body) {
    conn.op = op;
    const auto start = std::chrono::steady_clock::now();
    int pause_us = 1000;
    for (;;) {
      try {
        return body();
      } catch (const Busy&) {
        if (std::chrono::steady_clock::now() - start > kBusyTimeout)
          conn.error(fmt::format("{} failed: still locked by another process after {} s", op,
                                 std::chrono::seconds(kBusyTimeout).count()));
        std::uniform_int_distribution<int> d(pause_us / 2, pause_us);
        std::this_thread::sleep_for(std::chrono::microseconds(d(jitter)));
        pause_us = std::min(pause_us * 2, 100'000);
      }
    }
  }

  // body in one transaction. Writes take the write lock up front (BEGIN IMMEDIATE): a
  // transaction that reads first and upgrades later can find that another process wrote in
  // between, and SQLite then fails it at once instead of waiting.
  template <class F>
  auto transact(const char* op, bool write, F&& body) {
    return retry(op, [&] {
      conn.exec(write ? "BEGIN IMMEDIATE" : "BEGIN");
      RollbackGuard guard(conn);
      if constexpr (std::is_void_v<decltype(body())>) {
        body();
        conn.exec("COMMIT");
        guard.dismiss();
      } else {
        auto r = body();
        conn.exec("COMMIT");
        guard.dismiss();
        return r;
      }
    });
  }

  void open_schema();
  int64_t insert(Stmt& ins, Stmt& sel, const std::string& key, const nlohmann::json& params);
  Trial read_trial(const Stmt& s) const;
  bool finish_as(int64_t id, const std::string& worker, const char* state,
                 const nlohmann::json& result);
  nlohmann::json parse(const std::string& text) const;
  std::string dump(const nlohmann::json& j) const;
  void check_meta_key(const std::string& key) const;
};

SqliteTrialStore::Impl::Impl(const std::string& path)
    : jitter(static_cast<unsigned>(::getpid()) ^
             static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count())) {
  conn.path = path;
  NNLAB_CHECK(!path.empty(), "trial store: the database path is empty");
  const int rc =
      sqlite3_open_v2(path.c_str(), &conn.db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) conn.raise(rc);  // conn's destructor closes the half-open handle
  sqlite3_busy_timeout(conn.db, static_cast<int>(std::chrono::milliseconds(kBusyTimeout).count()));
  // WAL lets readers run beside the one writer. Where the file system cannot share memory
  // (a network mount) SQLite stays in its rollback journal, which locks just as correctly.
  retry("open", [&] {
    Stmt wal(conn, "PRAGMA journal_mode=WAL");
    wal.step();
  });
  // With WAL, NORMAL never corrupts the file; a power cut may lose the last commits only.
  conn.exec("PRAGMA synchronous=NORMAL");
  transact("open", true, [&] { open_schema(); });
}

// Creates the schema in an empty file, or checks that the file is an nnlab trial store of this
// version. Inside BEGIN IMMEDIATE: of several processes opening a new file at once, one creates.
void SqliteTrialStore::Impl::open_schema() {
  std::vector<std::string> tables;
  Stmt list(conn, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
  while (list.step()) tables.push_back(list.text_at(0));
  if (tables.empty()) {
    conn.exec(kSchema);
    Stmt(conn, "INSERT INTO meta (key, value) VALUES (?1, ?2)")
        .bind_text(1, kSchemaKey)
        .bind_text(2, kSchemaVersion)
        .step();
    return;
  }
  const auto has = [&](const char* t) {
    return std::find(tables.begin(), tables.end(), t) != tables.end();
  };
  std::optional<std::string> version;
  if (has("meta") && has("trials")) {
    Stmt get(conn, "SELECT value FROM meta WHERE key = ?1");
    get.bind_text(1, kSchemaKey);
    if (get.step()) version = get.text_at(0);
  }
  if (!version)
    conn.error(fmt::format("not an nnlab trial store (a SQLite database with tables {})",
                           fmt::join(tables, ", ")));
  if (*version != kSchemaVersion)
    conn.error(
        fmt::format("schema version {}, this nnlab reads version {}", *version, kSchemaVersion));
}

nlohmann::json SqliteTrialStore::Impl::parse(const std::string& text) const {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    conn.error(fmt::format("a stored JSON value does not parse: {}", e.what()));
  }
}

std::string SqliteTrialStore::Impl::dump(const nlohmann::json& j) const {
  try {
    return j.dump();
  } catch (const nlohmann::json::exception& e) {  // a string that is not UTF-8
    conn.error(fmt::format("cannot store a JSON value: {}", e.what()));
  }
}

Trial SqliteTrialStore::Impl::read_trial(const Stmt& s) const {
  Trial t;
  t.id = s.int_at(0);
  t.key = s.text_at(1);
  t.params = parse(s.text_at(2));
  t.state = s.text_at(3);
  if (!s.null_at(4)) t.result = parse(s.text_at(4));
  t.worker = s.text_at(5);
  t.heartbeat = s.real_at(6);
  t.attempts = s.int_at(7);
  return t;
}

int64_t SqliteTrialStore::Impl::insert(Stmt& ins, Stmt& sel, const std::string& key,
                                       const nlohmann::json& params) {
  NNLAB_CHECK(!key.empty(), "trial store {}: a trial needs a non-empty key", conn.path);
  ins.reset();
  ins.bind_text(1, key).bind_text(2, dump(params)).step();
  if (sqlite3_changes(conn.db) == 1) return sqlite3_last_insert_rowid(conn.db);
  sel.reset();
  sel.bind_text(1, key);
  if (!sel.step()) conn.error(fmt::format("trial {} neither inserted nor found", key));
  return sel.int_at(0);
}

bool SqliteTrialStore::Impl::finish_as(int64_t id, const std::string& worker, const char* state,
                                       const nlohmann::json& result) {
  const std::string text = dump(result);
  return transact(std::string_view(state) == "done" ? "finish" : "fail", true, [&] {
    Stmt(conn,
         "UPDATE trials SET state = ?1, result = ?2, heartbeat = ?3"
         " WHERE id = ?4 AND worker = ?5 AND state = 'running'")
        .bind_text(1, state)
        .bind_text(2, text)
        .bind_real(3, unix_now())
        .bind_int(4, id)
        .bind_text(5, worker)
        .step();
    return sqlite3_changes(conn.db) == 1;
  });
}

void SqliteTrialStore::Impl::check_meta_key(const std::string& key) const {
  if (key.starts_with(kReservedPrefix))
    conn.error(fmt::format("meta key {} is reserved (\"{}\" keys are the store's own)", key,
                           kReservedPrefix));
}

SqliteTrialStore::SqliteTrialStore(const std::string& path) : impl_(std::make_unique<Impl>(path)) {}
SqliteTrialStore::~SqliteTrialStore() = default;

const std::string& SqliteTrialStore::path() const { return impl_->conn.path; }

int64_t SqliteTrialStore::add(const std::string& key, const nlohmann::json& params) {
  return add_all({{key, params}}).front();
}

std::vector<int64_t> SqliteTrialStore::add_all(
    const std::vector<std::pair<std::string, nlohmann::json>>& trials) {
  return impl_->transact("add", true, [&] {
    Stmt ins(impl_->conn, "INSERT OR IGNORE INTO trials (key, params) VALUES (?1, ?2)");
    Stmt sel(impl_->conn, "SELECT id FROM trials WHERE key = ?1");
    std::vector<int64_t> ids;
    ids.reserve(trials.size());
    for (const auto& [key, params] : trials) ids.push_back(impl_->insert(ins, sel, key, params));
    return ids;
  });
}

std::optional<Trial> SqliteTrialStore::claim(const std::string& worker,
                                             double stale_after_seconds) {
  NNLAB_CHECK(stale_after_seconds >= 0, "trial store {}: stale_after must be >= 0 seconds, not {}",
              path(), stale_after_seconds);
  return impl_->transact("claim", true, [&]() -> std::optional<Trial> {
    const double now = unix_now();
    // Pick and mark in one statement; the write lock held since BEGIN IMMEDIATE makes it
    // atomic across processes.
    Stmt s(impl_->conn,
           "UPDATE trials SET state = 'running', worker = ?1, heartbeat = ?2,"
           " attempts = attempts + 1"
           " WHERE id = (SELECT id FROM trials"
           "             WHERE state = 'pending' OR (state = 'running' AND heartbeat < ?3)"
           "             ORDER BY id LIMIT 1)"
           " RETURNING " NNLAB_TRIAL_COLUMNS);
    s.bind_text(1, worker).bind_real(2, now).bind_real(3, now - stale_after_seconds);
    if (!s.step()) return std::nullopt;
    return impl_->read_trial(s);
  });
}

bool SqliteTrialStore::heartbeat(int64_t id, const std::string& worker) {
  return impl_->transact("heartbeat", true, [&] {
    Stmt(impl_->conn,
         "UPDATE trials SET heartbeat = ?1 WHERE id = ?2 AND worker = ?3 AND state = 'running'")
        .bind_real(1, unix_now())
        .bind_int(2, id)
        .bind_text(3, worker)
        .step();
    return sqlite3_changes(impl_->conn.db) == 1;
  });
}

bool SqliteTrialStore::finish(int64_t id, const std::string& worker, const nlohmann::json& result) {
  return impl_->finish_as(id, worker, "done", result);
}

bool SqliteTrialStore::fail(int64_t id, const std::string& worker, const std::string& message) {
  return impl_->finish_as(id, worker, "failed", nlohmann::json{{"error", message}});
}

std::optional<Trial> SqliteTrialStore::find(const std::string& key) {
  return impl_->transact("find", false, [&]() -> std::optional<Trial> {
    Stmt s(impl_->conn, "SELECT " NNLAB_TRIAL_COLUMNS " FROM trials WHERE key = ?1");
    s.bind_text(1, key);
    if (!s.step()) return std::nullopt;
    return impl_->read_trial(s);
  });
}

std::vector<Trial> SqliteTrialStore::trials() {
  return impl_->transact("trials", false, [&] {
    Stmt s(impl_->conn, "SELECT " NNLAB_TRIAL_COLUMNS " FROM trials ORDER BY id");
    std::vector<Trial> all;
    while (s.step()) all.push_back(impl_->read_trial(s));
    return all;
  });
}

TrialCounts SqliteTrialStore::counts() {
  return impl_->transact("counts", false, [&] {
    Stmt s(impl_->conn, "SELECT state, count(*) FROM trials GROUP BY state");
    TrialCounts c;
    while (s.step()) {
      const std::string state = s.text_at(0);
      const int64_t n = s.int_at(1);
      if (state == "pending") c.pending = n;
      if (state == "running") c.running = n;
      if (state == "done") c.done = n;
      if (state == "failed") c.failed = n;
    }
    return c;
  });
}

void SqliteTrialStore::put_meta(const std::string& key, const std::string& value) {
  impl_->check_meta_key(key);
  impl_->transact("put_meta", true, [&] {
    Stmt(impl_->conn,
         "INSERT INTO meta (key, value) VALUES (?1, ?2)"
         " ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind_text(1, key)
        .bind_text(2, value)
        .step();
  });
}

std::optional<std::string> SqliteTrialStore::get_meta(const std::string& key) {
  return impl_->transact("get_meta", false, [&]() -> std::optional<std::string> {
    Stmt s(impl_->conn, "SELECT value FROM meta WHERE key = ?1");
    s.bind_text(1, key);
    if (!s.step()) return std::nullopt;
    return s.text_at(0);
  });
}

bool SqliteTrialStore::put_meta_if_absent(const std::string& key, const std::string& value) {
  impl_->check_meta_key(key);
  return impl_->transact("put_meta", true, [&] {
    Stmt(impl_->conn, "INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)")
        .bind_text(1, key)
        .bind_text(2, value)
        .step();
    return sqlite3_changes(impl_->conn.db) == 1;
  });
}

std::unique_ptr<TrialStore> open_trial_store(const std::string& path) {
  return std::make_unique<SqliteTrialStore>(path);
}

#undef NNLAB_TRIAL_COLUMNS

}  // namespace nnlab
