// The four samplers and their registry. Per-dimension statistics in double, since codes of
// 60,000 images summed in float lose digits; the full-covariance kinds delegate to
// GaussianMixture.
#include "learn/latent_sampler.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <optional>

#include "tensor/error.hpp"

namespace nnlab {
namespace {

class UniformSampler : public LatentSampler {
 public:
  std::string kind() const override { return "uniform"; }

 protected:
  int64_t min_codes() const override { return 1; }
  void fit_impl(const Tensor&) override {}
  void sample_impl(Rng& rng, Tensor& out) const override { rng.fill_uniform(out.span(), 0, 1); }
};

class GaussianSampler : public LatentSampler {
 public:
  std::string kind() const override { return "gaussian"; }

 protected:
  void fit_impl(const Tensor& codes) override {
    const int64_t n = codes.dim(0), d = codes.dim(1);
    std::vector<double> sum(static_cast<size_t>(d), 0.0), sq(static_cast<size_t>(d), 0.0);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < d; ++j) sum[static_cast<size_t>(j)] += codes.row(i)[j];
    mean_.resize(static_cast<size_t>(d));
    for (int64_t j = 0; j < d; ++j)
      mean_[static_cast<size_t>(j)] = sum[static_cast<size_t>(j)] / static_cast<double>(n);
    // Centred second pass: sum(x^2) - n mean^2 cancels badly for codes far from zero.
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < d; ++j) {
        const double c = codes.row(i)[j] - mean_[static_cast<size_t>(j)];
        sq[static_cast<size_t>(j)] += c * c;
      }
    std_.resize(static_cast<size_t>(d));
    for (int64_t j = 0; j < d; ++j)
      std_[static_cast<size_t>(j)] = std::sqrt(sq[static_cast<size_t>(j)] / static_cast<double>(n));
  }
  void sample_impl(Rng& rng, Tensor& out) const override {
    const auto d = static_cast<int64_t>(mean_.size());
    for (int64_t i = 0; i < out.dim(0); ++i)
      for (int64_t j = 0; j < d; ++j)
        out.row(i)[j] = static_cast<float>(mean_[static_cast<size_t>(j)] +
                                           std_[static_cast<size_t>(j)] * rng.normal());
  }

 private:
  std::vector<double> mean_, std_;  // [D] each
};

class MixtureSampler : public LatentSampler {
 public:
  MixtureSampler(std::string kind, const MixtureOptions& options)
      : kind_(std::move(kind)), options_(options) {}
  std::string kind() const override { return kind_; }

 protected:
  int64_t min_codes() const override { return std::max<int64_t>(2, options_.components); }
  void fit_impl(const Tensor& codes) override { mixture_ = GaussianMixture::fit(codes, options_); }
  void sample_impl(Rng& rng, Tensor& out) const override {
    out = mixture_->sample(out.dim(0), rng);
  }

 private:
  std::string kind_;
  MixtureOptions options_;
  std::optional<GaussianMixture> mixture_;
};

struct Entry {
  const char* kind;
  std::function<std::unique_ptr<LatentSampler>(const MixtureOptions&)> make;
};

const std::vector<Entry>& registry() {
  static const std::vector<Entry> entries = {
      {"uniform", [](const MixtureOptions&) { return std::make_unique<UniformSampler>(); }},
      {"gaussian", [](const MixtureOptions&) { return std::make_unique<GaussianSampler>(); }},
      {"full_gaussian",
       [](const MixtureOptions& o) {
         MixtureOptions one = o;
         one.components = 1;
         return std::make_unique<MixtureSampler>("full_gaussian", one);
       }},
      {"mixture",
       [](const MixtureOptions& o) { return std::make_unique<MixtureSampler>("mixture", o); }},
  };
  return entries;
}

}  // namespace

void LatentSampler::fit(const Tensor& codes) {
  NNLAB_CHECK(codes.rank() == 2 && codes.dim(1) >= 1,
              "latent sampler {}: needs codes [N, D], got {}", kind(), shape_str(codes.shape()));
  NNLAB_CHECK(codes.dim(0) >= min_codes(), "latent sampler {}: needs at least {} codes, got {}",
              kind(), min_codes(), codes.dim(0));
  const auto span = codes.span();
  NNLAB_CHECK(std::all_of(span.begin(), span.end(), [](float v) { return std::isfinite(v); }),
              "latent sampler {}: the codes hold a NaN or infinite value", kind());
  fit_impl(codes);
  dim_ = codes.dim(1);
}

Tensor LatentSampler::sample(int64_t count, Rng& rng) const {
  NNLAB_CHECK(dim_ > 0, "latent sampler {}: sample() before fit()", kind());
  NNLAB_CHECK(count >= 0, "latent sampler {}: cannot draw {} codes", kind(), count);
  Tensor out({count, dim_});
  sample_impl(rng, out);
  return out;
}

std::unique_ptr<LatentSampler> make_latent_sampler(const std::string& kind,
                                                   const MixtureOptions& mixture) {
  for (const Entry& e : registry())
    if (kind == e.kind) return e.make(mixture);
  throw Error(fmt::format("unknown latent sampler '{}'; valid: {}", kind,
                          fmt::join(latent_sampler_kinds(), ", ")));
}

std::vector<std::string> latent_sampler_kinds() {
  std::vector<std::string> out;
  for (const Entry& e : registry()) out.emplace_back(e.kind);
  return out;
}

}  // namespace nnlab
