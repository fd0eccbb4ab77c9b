#include "study/features.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>

#include "eval/autoencoder.hpp"
#include "learn/dataset_rows.hpp"
#include "learn/scaling.hpp"
#include "study/run_repeat.hpp"
#include "tensor/error.hpp"
#include "train/model_file.hpp"

namespace nnlab {
namespace {

// An autoencoder's encoder as a fixed transform: rows in, the code layer's outputs out. It was
// trained by another run, so fit() learns nothing.
class EncoderTransform : public Transform {
 public:
  EncoderTransform(ExecContext& exec, const std::string& weights)
      : model_(load_model_file(weights, exec, nullptr)) {
    check_autoencoder(*model_, weights);
  }
  void fit(ExecContext&, const Tensor&) override {}
  bool learns() const override { return false; }
  Tensor apply(ExecContext&, const Tensor& rows) const override {
    return encode_rows(*model_, rows);
  }
  std::string name() const override { return "encoder"; }

 private:
  std::unique_ptr<Model> model_;  // forward passes change only the Pass, never the weights
};

// Feature rows per transform, stacked: the rows of `samples` at `positions`.
Tensor gather(const Tensor& samples, std::span<const int64_t> positions) {
  const int64_t width = row_width(samples);
  Tensor out({static_cast<int64_t>(positions.size()), width});
  for (size_t r = 0; r < positions.size(); ++r)
    std::memcpy(out.data() + static_cast<int64_t>(r) * width, samples.data() + positions[r] * width,
                sizeof(float) * width);
  return out;
}

// t applied to the samples of `data` at `used`, a block of rows at a time.
Tensor apply_in_blocks(ExecContext& exec, const Transform& t, const Dataset& data,
                       std::span<const int64_t> used) {
  constexpr int64_t kBlock = 4096;
  const int64_t n = static_cast<int64_t>(used.size());
  Tensor out;
  for (int64_t first = 0; first < n; first += kBlock) {
    const Tensor y = t.apply(exec, rows_of(data, used.subspan(first, std::min(kBlock, n - first))));
    if (first == 0) out = Tensor({n, y.cols()});
    std::memcpy(out.row(first), y.data(), sizeof(float) * y.size());
  }
  return out;
}

// One source dataset of the run's parts: the samples the parts use, where each sits among
// them, and their rows as the transforms so far left them.
struct Source {
  std::vector<int64_t> used;   // sorted sample indices
  std::vector<int64_t> where;  // sample index -> its row (-1: unused)
  Tensor rows;
};

std::string encoder_weights(const std::string& out_dir, const std::string& encoder_run) {
  return repeat_dir(out_dir, encoder_run, 0) + "/weights.safetensors";
}

}  // namespace

void check_encoder_weights(const std::string& out_dir, const std::string& encoder_run) {
  const std::string weights = encoder_weights(out_dir, encoder_run);
  std::error_code ec;
  NNLAB_CHECK(std::filesystem::is_regular_file(weights, ec),
              "transforms: the encoder of run '{}' has no weights at {}: train it first into the "
              "same output folder (nnlab run STUDY --run {} --out {})",
              encoder_run, weights, encoder_run, out_dir);
}

std::unique_ptr<Transform> make_transform(ExecContext& exec, const TransformSpec& spec,
                                          const std::string& out_dir) {
  if (spec.type == "hog") return std::make_unique<HogTransform>(spec.hog);
  if (spec.type == "standardize") return std::make_unique<Standardize>();
  if (spec.type == "pca") return std::make_unique<PcaTransform>(spec.components, spec.whiten);
  NNLAB_CHECK(spec.type == "encoder", "unknown transform type '{}'", spec.type);
  check_encoder_weights(out_dir, spec.run);
  return std::make_unique<EncoderTransform>(exec, encoder_weights(out_dir, spec.run));
}

RunData featurize(ExecContext& exec, const RunSpec& run, const RunData& data,
                  const std::string& out_dir) {
  if (run.transforms.empty()) return data;
  const std::vector<const DataView*> parts = {&data.fit, &data.val, &data.refit, &data.test};
  std::map<const Dataset*, Source> sources;
  for (const DataView* part : parts) {
    if (part->empty()) continue;
    auto& used = sources[part->data.get()].used;
    used.insert(used.end(), part->indices.begin(), part->indices.end());
  }
  for (auto& [dataset, s] : sources) {
    std::sort(s.used.begin(), s.used.end());
    s.used.erase(std::unique(s.used.begin(), s.used.end()), s.used.end());
    s.where.assign(static_cast<size_t>(dataset->size()), -1);
    for (size_t r = 0; r < s.used.size(); ++r)
      s.where[static_cast<size_t>(s.used[r])] = static_cast<int64_t>(r);
  }
  const auto positions = [&](const DataView& v) {
    std::vector<int64_t> p;
    const auto& where = sources.at(v.data.get()).where;
    for (const int64_t i : v.indices) p.push_back(where[static_cast<size_t>(i)]);
    return p;
  };

  std::string names;
  bool raw = true;  // the sources' rows are not made yet: they are still the datasets' samples
  for (const TransformSpec& spec : run.transforms) {
    auto t = make_transform(exec, spec, out_dir);
    if (raw && !t->learns()) {
      // A fixed first transform reads the samples a block at a time: 70,000 images never sit
      // in memory as floats (4 bytes a pixel) on the way to their features.
      for (auto& [dataset, s] : sources) s.rows = apply_in_blocks(exec, *t, *dataset, s.used);
      raw = false;
      names += t->name();
      continue;
    }
    if (raw)
      for (auto& [dataset, s] : sources) s.rows = rows_of(*dataset, s.used);
    raw = false;
    Source& fit_source = sources.at(data.fit.data.get());
    const std::vector<int64_t> fit_rows = positions(data.fit);
    // The common case, a training part that is its whole dataset in order, needs no copy.
    const bool all = fit_rows.size() == fit_source.used.size() &&
                     std::is_sorted(fit_rows.begin(), fit_rows.end()) &&
                     std::adjacent_find(fit_rows.begin(), fit_rows.end()) == fit_rows.end();
    t->fit(exec, all ? fit_source.rows : gather(fit_source.rows, fit_rows));
    for (auto& [dataset, s] : sources) s.rows = t->apply(exec, s.rows);
    if (!names.empty()) names += '+';
    names += t->name();
  }

  std::map<const Dataset*, std::shared_ptr<const Dataset>> made;
  for (auto& [dataset, s] : sources)
    made[dataset] =
        std::make_shared<const Dataset>(feature_dataset(s.rows, *dataset, s.used, names));
  RunData out;
  // An empty part keeps a dataset of the feature space, as the untransformed one did.
  const auto view = [&](const DataView& v) {
    return v.empty() ? DataView{made.at(data.fit.data.get()), {}}
                     : DataView{made.at(v.data.get()), positions(v)};
  };
  out.fit = view(data.fit);
  out.val = view(data.val);
  out.refit = view(data.refit);
  out.test = view(data.test);
  return out;
}

std::unique_ptr<Learner> make_learner(const LearnerConfig& config) {
  if (config.type == "knn") return std::make_unique<KNearest>(config.knn);
  if (config.type == "svm") return std::make_unique<KernelSvm>(config.svm);
  NNLAB_CHECK(config.type == "linear_svm", "make_learner: no learner of type '{}'", config.type);
  return std::make_unique<LinearSvm>(config.linear_svm);
}

}  // namespace nnlab
