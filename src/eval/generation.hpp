// Generation from an autoencoder's latent space, measured: codes drawn from samplers fitted on
// real training codes (learn/latent_sampler.hpp), decoded into images, and, when a classifier of
// the same data is given, scored by it (eval/generation_quality.hpp). `nnlab generate` and a
// study's diagnostics.generation both go through here.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "eval/generation_quality.hpp"
#include "nn/model.hpp"

namespace nnlab {

/// The most images generated per sampler (a stated limit on a size a user sets).
constexpr int64_t kMaxGenerate = 1'000'000;

struct GenerationOptions {
  std::vector<std::string> samplers = {"uniform", "gaussian", "full_gaussian", "mixture"};
  int64_t count = 1000;       // images per sampler, 2..kMaxGenerate
  int64_t fit_limit = 10000;  // training samples whose codes fit the samplers (callers pick them)
  int64_t components = 10;    // of the mixture sampler
  uint64_t seed = 1;          // of the draws and the mixture's fit
};

struct Generated {
  std::string sampler;
  Tensor codes;                              // [count, code size]
  Tensor images;                             // [count, output size], the decoder's predictions
  std::optional<GenerationQuality> quality;  // with a classifier only
};

/// For each sampler of `options`, in order: fitted on the codes of `train`'s samples at `fit`,
/// `count` codes drawn (a fresh Rng(seed) each, so a sampler's draws do not depend on
/// the others listed) and decoded by `autoencoder`. With a classifier, each set is measured
/// against `real`'s first `count` samples (all of them when it has fewer).
std::vector<Generated> generate(Model& autoencoder, const Dataset& train,
                                std::span<const int64_t> fit, const GenerationOptions& options,
                                Model* classifier, const Dataset& real);

/// "sampler,count,confident_share,entropy,real_entropy,kl,frechet" and a row per measured set.
std::string generation_quality_csv(const std::vector<Generated>& sets);

}  // namespace nnlab
