#include "study/generation_files.hpp"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <span>

#include "eval/autoencoder.hpp"
#include "io/atomic_file.hpp"
#include "io/safetensors.hpp"
#include "study/run_repeat.hpp"
#include "tensor/error.hpp"
#include "train/model_file.hpp"

namespace nnlab {

using nlohmann::json;

std::string classifier_weights(const std::string& out_dir, const RunSpec& run) {
  return repeat_dir(out_dir, run.diagnostics.generation->classifier, 0) + "/weights.safetensors";
}

void check_classifier_weights(const std::string& out_dir, const RunSpec& run) {
  if (!run.diagnostics.generation || run.diagnostics.generation->classifier.empty()) return;
  const std::string& name = run.diagnostics.generation->classifier;
  const std::string path = classifier_weights(out_dir, run);
  std::error_code ec;
  NNLAB_CHECK(std::filesystem::is_regular_file(path, ec),
              "run '{}': diagnostics.generation.classifier = '{}' has no weights at {}: train it "
              "first into the same output folder (nnlab run STUDY --run {} --out {})",
              run.name, name, path, name, out_dir);
}

json write_generation_files(ExecContext& exec, Model& model, const RunSpec& run,
                            const DataView& train, const Dataset& test, uint64_t seed,
                            const std::string& out_dir, const std::string& dir) {
  const DiagnosticsConfig::Generation& g = *run.diagnostics.generation;
  std::optional<LoadedModel> classifier;
  if (!g.classifier.empty()) {
    check_classifier_weights(out_dir, run);
    classifier = load_model(classifier_weights(out_dir, run), exec);
  }
  GenerationOptions options = g.options;
  options.seed = seed;
  const auto fit =
      std::span(train.indices)
          .first(static_cast<size_t>(std::min<int64_t>(options.fit_limit, train.size())));
  const std::vector<Generated> sets = generate(
      model, *train.data, fit, options, classifier ? classifier->model.get() : nullptr, test);

  json rows = json::array();
  SafeTensors st;
  const Shape& shape = test.sample_shape;
  const bool grey_images = test.is_images() && shape.size() == 3 && shape[0] == 1;
  for (const Generated& s : sets) {
    json row = {{"sampler", s.sampler}, {"count", s.images.rows()}};
    if (s.quality)
      row.update({{"confident_share", s.quality->confident_share},
                  {"entropy", s.quality->entropy},
                  {"real_entropy", s.quality->real_entropy},
                  {"kl", s.quality->kl},
                  {"frechet", s.quality->frechet}});
    rows.push_back(row);
    if (!grey_images) continue;
    const int64_t shown = std::min(kGeneratedShown, s.images.rows());
    const int64_t size = shape[1] * shape[2];
    st.add_u8(s.sampler, {shown, shape[1], shape[2]},
              to_bytes(s.images.span().first(static_cast<size_t>(shown * size))).data());
  }
  if (!st.tensors.empty()) save_safetensors(dir + "/generated.safetensors", st);
  if (classifier) write_file_atomic(dir + "/generation.csv", generation_quality_csv(sets));
  return rows;
}

}  // namespace nnlab
