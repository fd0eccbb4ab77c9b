#include "fuzz_targets.hpp"

#include <unistd.h>
#include <zlib.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "data/csv_dataset.hpp"
#include "data/idx.hpp"
#include "io/safetensors.hpp"
#include "nn/model_builder.hpp"
#include "optim/optimizer.hpp"
#include "report/png_read.hpp"
#include "report/report.hpp"
#include "report/report_data.hpp"
#include "study/study.hpp"
#include "tensor/error.hpp"
#include "tensor/rng.hpp"
#include "train/checkpoint.hpp"
#include "train/early_stopping.hpp"
#include "train/inactive_neurons.hpp"
#include "train/model_file.hpp"

namespace nnlab::fuzz {
namespace {

namespace fs = std::filesystem;

// The readers below take a path (they stream, inflate or decode the file themselves), so the
// bytes go to a file in a folder of this process's own, removed at exit: under /dev/shm where
// there is one (memory, not disk: the report's fsync of report.html costs nothing there), else
// the system's temporary folder. Files are written plainly, not with io/atomic_file.hpp, whose
// fsync per input would cost most of the fuzzer's time.
class Scratch {
 public:
  Scratch() {
    std::error_code ec;
    const fs::path base =
        fs::is_directory("/dev/shm", ec) ? fs::path("/dev/shm") : fs::temp_directory_path();
    dir_ = base / ("nnlab-fuzz-" + std::to_string(::getpid()));
    fs::remove_all(dir_, ec);
    fs::create_directories(dir_);
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  /// Writes `bytes` to `relative` in the folder (creating its folders) and returns its path.
  std::string write(const fs::path& relative, std::string_view bytes) const {
    const fs::path path = dir_ / relative;
    fs::create_directories(path.parent_path());
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) throw std::runtime_error("fuzz: cannot write " + path.string());
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
    return path.string();
  }
  fs::path path(const fs::path& relative) const { return dir_ / relative; }

 private:
  fs::path dir_;
};

const Scratch& scratch() {
  static const Scratch s;
  return s;
}

ExecContext& exec() {
  static ExecContext e(1, nullptr);  // one thread, no log: nothing here trains
  return e;
}

void safetensors(std::string_view bytes) { decode_safetensors(bytes, "fuzz.safetensors"); }

void study(std::string_view bytes) { parse_study(std::string(bytes), "fuzz.toml", {}); }

void idx(std::string_view bytes) { read_idx(scratch().write("idx/fuzz.idx", bytes)); }

// As a study with dataset = "csv" reads its train and test files (study/run_data.cpp), the
// columns being S3's curve's.
void csv(std::string_view bytes) {
  read_csv_dataset(scratch().write("csv/fuzz.csv", bytes), {"x"}, {"y"}, kMaxCsvRows);
}

void png(std::string_view bytes) { read_png_gray(scratch().write("png/fuzz.png", bytes)); }

// A valid study with two runs of their own and a sweep, so that --set reaches study keys, layer
// paths, [[runs]] keys and the runs a sweep makes.
constexpr const char* kSetStudy = R"(name = "set"
seed = 1
[data]
dataset = "mnist"
validation = 0.1
[model]
layers = [
  {type = "conv2d", filters = 4, kernel = 3, activation = "relu"},
  {type = "max_pool", size = 2},
  {type = "flatten"},
  {type = "dense", units = 10, activation = "softmax"},
]
[train]
loss = "cross_entropy"
epochs = 2
batch = 32
optimizer = {type = "adam", lr = 1e-3}
[[runs]]
name = "plain"
[[runs]]
name = "wide"
model.layers = [{type = "flatten"}, {type = "dense", units = 10, activation = "softmax"}]
[[runs]]
name = "lr"
sweep = {"train.optimizer.lr" = [1e-3, 1e-2]}
)";

// The bytes as --set overrides, one a line.
void set(std::string_view bytes) {
  std::vector<std::string> overrides;
  size_t start = 0;
  while (start <= bytes.size()) {
    size_t end = bytes.find('\n', start);
    if (end == std::string_view::npos) end = bytes.size();
    overrides.emplace_back(bytes.substr(start, end - start));
    start = end + 1;
  }
  parse_study(kSetStudy, "set.toml", overrides);
}

// As `nnlab predict` and `nnlab eval` load one (cli/cmd_predict.cpp).
void model(std::string_view bytes) {
  load_model(scratch().write("model/fuzz.safetensors", bytes), exec());
}

// zlib's CRC-32 a checkpoint carries (train/checkpoint.cpp): each tensor's name with its NUL
// and bytes, in name order, then the 'nnlab.checkpoint' metadata.
std::string checkpoint_checksum(const SafeTensors& file, const std::string& meta) {
  uLong crc = crc32_z(0L, Z_NULL, 0);
  for (const auto& [name, t] : file.tensors) {
    crc = crc32_z(crc, reinterpret_cast<const Bytef*>(name.data()), name.size() + 1);
    crc = crc32_z(crc, t.bytes.data(), t.bytes.size());
  }
  crc = crc32_z(crc, reinterpret_cast<const Bytef*>(meta.data()), meta.size());
  return fmt::format("{:08x}", crc);
}

// The file at `path` restored as `--resume` does (study/session.cpp) into a model of the seeds'
// shape (fuzz/corpus/checkpoint/: S3's curve, dense 8 + batch norm + dense 1, Adam, early
// stopping and the inactive-neuron diagnostics), made afresh for each input.
void restore_checkpoint(const std::string& path) {
  const auto spec = [](const char* type, double units) {
    LayerSpec s;
    s.type = type;
    if (units > 0) s.numbers["units"] = units;
    s.where = "fuzz checkpoint model";
    return s;
  };
  const std::vector<LayerSpec> layers = {spec("dense", 8), spec("batch_norm", 0), spec("relu", 0),
                                         spec("dense", 1)};
  const std::unique_ptr<Loss> loss = make_loss("mse");
  Rng rng(1);
  const std::unique_ptr<Model> model = build_model(exec(), {1}, layers, *loss, rng);
  const std::unique_ptr<Optimizer> optimizer = make_optimizer(
      {.type = "adam", .lr = 1e-3f}, model->values(), model->grads(), model->parameters());
  EarlyStopping early({});
  InactiveNeurons inactive(0.0f, 1);
  History history;
  Checkpointer(path, {&early, &inactive}).restore(*model, *optimizer, history);
}

// The input as it is (the checksum checked first), then, when it decodes, with the checksum a
// forger would write: the CRC-32 catches corruption, not intent, and the fuzzer could not find
// a matching one itself, so without this nothing behind the check would be reached.
void checkpoint(std::string_view bytes) {
  const std::string path = scratch().write("checkpoint/checkpoint.safetensors", bytes);
  try {
    restore_checkpoint(path);
  } catch (const Error&) {
    // refused as it is: try it forged
  }
  SafeTensors file = decode_safetensors(bytes, path);
  const auto meta = file.metadata.find("nnlab.checkpoint");
  if (meta == file.metadata.end()) return;
  file.metadata["nnlab.checksum"] = checkpoint_checksum(file, meta->second);
  restore_checkpoint(
      scratch().write("checkpoint/checkpoint.safetensors", encode_safetensors(file)));
}

// As `nnlab report DIR` reads DIR/metrics.json (report/report.cpp), in a folder of its own.
void metrics(std::string_view bytes) {
  scratch().write("metrics/metrics.json", bytes);
  render_report(scratch().path("metrics").string());
}

// As `nnlab report` reads a run's history.csv: the two parts of the report that read it, a
// run's own learning curves and the chart of all runs (which needs two runs with a history), and
// nothing else, since rendering the whole report per input would cost most of the fuzzer's time.
void history(std::string_view bytes) {
  const fs::path dir = scratch().path("history");
  scratch().write("history/r0/history.csv", bytes);
  const auto run = [&dir](std::string name, double best_epoch) {
    report::RunInfo r;
    r.id = name;
    r.name = std::move(name);
    r.repeat_dirs = {dir / "r0"};
    r.best_epochs = {best_epoch};
    return r;
  };
  const report::RunInfo a = run("a", 1), b = run("b", 2);
  report::run_section(a);
  report::study_curves({a, b});
}

constexpr std::array<Target, 10> kTargets = {{
    {"safetensors", safetensors},
    {"study", study},
    {"idx", idx},
    {"csv", csv},
    {"png", png},
    {"set", set},
    {"model", model},
    {"checkpoint", checkpoint},
    {"metrics", metrics},
    {"history", history},
}};

}  // namespace

std::span<const Target> targets() { return kTargets; }

void run(std::string_view name, std::string_view bytes) {
  for (const Target& t : kTargets) {
    if (name != t.name) continue;
    try {
      t.run(bytes);
    } catch (const Error&) {
      // a refusal with a message: what hostile input should get
    }
    return;
  }
  throw std::invalid_argument("no fuzz target " + std::string(name));
}

}  // namespace nnlab::fuzz
