#include "study/test_set_files.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "data/loader.hpp"
#include "eval/autoencoder.hpp"
#include "eval/evaluate.hpp"
#include "io/atomic_file.hpp"
#include "io/safetensors.hpp"
#include "learn/pca.hpp"

namespace nnlab {
namespace {

using nlohmann::json;

std::vector<int64_t> first_indices(int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), int64_t{0});
  return v;
}

/// The corruptions a run is scored under: "none" first, then the study's, without repeats.
std::vector<CorruptionSpec> corruptions_of(const RunSpec& run) {
  std::vector<CorruptionSpec> out = {CorruptionSpec{}};
  for (const CorruptionSpec& c : run.diagnostics.corruptions)
    if (std::none_of(out.begin(), out.end(), [&](const auto& o) { return o.str() == c.str(); }))
      out.push_back(c);
  return out;
}

/// "input/C" and "output/C" of the first `keep` test images under corruption `c`: the inputs as
/// the evaluation drew them (same loader seed, so the same noise), the model's predictions.
void add_reconstructions(Model& model, const Dataset& test, const CorruptionSpec& c, uint64_t seed,
                         int64_t keep, SafeTensors& st) {
  const int64_t h = test.sample_shape[1], w = test.sample_shape[2];
  Loader loader(test, first_indices(keep),
                {.task = Task::reconstruct, .batch = keep, .seed = seed, .corrupt = c});
  Batch b;
  loader.next(b);
  Tensor out;
  Rng rng(0);
  model.predict(b.x, out, rng);
  const std::string name = c.str();
  st.add_u8("input/" + name, {keep, h, w}, to_bytes(b.x.span()).data());
  st.add_u8("output/" + name, {keep, h, w}, to_bytes(out.span()).data());
}

json latent_files(Model& model, const Dataset& test, const std::string& dir) {
  const int64_t n = std::min(test.size(), kLatentPoints);
  const std::vector<int64_t> all = first_indices(test.size());
  const Tensor codes = encode(model, test, all);
  const int64_t d = codes.cols();
  std::vector<double> mean(static_cast<size_t>(d), 0.0), sq(static_cast<size_t>(d), 0.0);
  for (int64_t i = 0; i < codes.rows(); ++i)
    for (int64_t j = 0; j < d; ++j) {
      mean[static_cast<size_t>(j)] += codes.row(i)[j];
      sq[static_cast<size_t>(j)] += static_cast<double>(codes.row(i)[j]) * codes.row(i)[j];
    }
  std::vector<double> stdev(static_cast<size_t>(d));
  for (size_t j = 0; j < mean.size(); ++j) {
    mean[j] /= static_cast<double>(codes.rows());
    stdev[j] =
        std::sqrt(std::max(0.0, sq[j] / static_cast<double>(codes.rows()) - mean[j] * mean[j]));
  }
  json latent = {{"dim", d}, {"mean", mean}, {"std", stdev}};
  if (d < 2 || codes.rows() < 2) return latent;
  const Pca pca = Pca::fit(codes, 2);
  const Tensor xy = pca.transform(codes);
  std::string csv = "pc1,pc2,label\n";
  for (int64_t i = 0; i < n; ++i)
    csv += fmt::format(
        "{:.6g},{:.6g},{}\n", xy.row(i)[0], xy.row(i)[1],
        test.labels.empty()
            ? std::string()
            : test.class_names[static_cast<size_t>(test.labels[static_cast<size_t>(i)])]);
  write_file_atomic(dir + "/latent.csv", csv);
  latent["explained_variance_ratio"] = pca.explained_variance_ratio();
  return latent;
}

}  // namespace

json write_test_set_files(Model& model, const Loss& loss, const RunSpec& run, const Dataset& test,
                          uint64_t seed, const std::string& dir) {
  json out = json::object();
  const bool reconstruct = run.task == Task::reconstruct;
  const std::vector<CorruptionSpec> corruptions = corruptions_of(run);
  const std::vector<int64_t> all = first_indices(test.size());
  if (reconstruct || corruptions.size() > 1) {
    const std::string score = run.task == Task::classify ? "accuracy" : "mse";
    std::string csv = "corruption,loss," + score + "\n";
    json rows = json::array();
    for (const CorruptionSpec& c : corruptions) {
      Rng rng(seed);
      const Evaluation e = evaluate(
          model, loss, test, all,
          {.task = run.task, .batch = run.train.eval_batch, .corrupt = c, .seed = seed}, rng);
      const double value = run.task == Task::classify ? e.accuracy : e.mse;
      csv += fmt::format("{},{:.9g},{:.9g}\n", c.str(), e.loss, value);
      rows.push_back({{"corruption", c.str()}, {"loss", e.loss}, {score, value}});
    }
    write_file_atomic(dir + "/corruptions.csv", csv);
    out["corruptions"] = rows;
  }
  const int64_t keep = std::min<int64_t>(run.diagnostics.reconstructions, test.size());
  const Shape& shape = test.sample_shape;
  const bool grey = test.is_images() && shape.size() == 3 && shape[0] == 1 &&
                    shape_size(model.output_shape()) == shape_size(shape);
  if (reconstruct && grey && keep > 0) {
    SafeTensors st;
    st.add_u8("clean", {keep, shape[1], shape[2]}, test.pixels.data());
    for (const CorruptionSpec& c : corruptions) add_reconstructions(model, test, c, seed, keep, st);
    save_safetensors(dir + "/reconstructions.safetensors", st);
  }
  if (model.code_layer() >= 0 && test.size() > 0) out["latent"] = latent_files(model, test, dir);
  return out;
}

}  // namespace nnlab
