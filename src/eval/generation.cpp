#include "eval/generation.hpp"

#include <fmt/format.h>

#include "eval/autoencoder.hpp"
#include "learn/latent_sampler.hpp"
#include "tensor/error.hpp"

namespace nnlab {

std::vector<Generated> generate(Model& autoencoder, const Dataset& train,
                                std::span<const int64_t> fit, const GenerationOptions& options,
                                Model* classifier, const Dataset& real) {
  NNLAB_CHECK(options.count >= 2 && options.count <= kMaxGenerate,
              "generation: count must be in [2, {}], got {}", kMaxGenerate, options.count);
  NNLAB_CHECK(fit.size() >= 2, "generation: the samplers need at least 2 training codes, got {}",
              fit.size());
  const Tensor codes = encode(autoencoder, train, fit);
  std::vector<Generated> sets;
  for (const std::string& kind : options.samplers) {
    const auto sampler =
        make_latent_sampler(kind, {.components = options.components, .seed = options.seed});
    sampler->fit(codes);
    Rng rng(options.seed);
    Generated g;
    g.sampler = kind;
    g.codes = sampler->sample(options.count, rng);
    g.images = decode(autoencoder, g.codes);
    if (classifier) g.quality = measure_generation(*classifier, g.images, real, options.count);
    sets.push_back(std::move(g));
  }
  return sets;
}

std::string generation_quality_csv(const std::vector<Generated>& sets) {
  std::string csv = "sampler,count,confident_share,entropy,real_entropy,kl,frechet\n";
  for (const Generated& g : sets) {
    if (!g.quality) continue;
    const GenerationQuality& q = *g.quality;
    csv += fmt::format("{},{},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g}\n", g.sampler, g.images.rows(),
                       q.confident_share, q.entropy, q.real_entropy, q.kl, q.frechet);
  }
  return csv;
}

}  // namespace nnlab
