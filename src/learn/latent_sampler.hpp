// LatentSampler: draws codes for a decoder to turn into generated samples (S5's generation),
// after learning what it needs from the codes of real data.
//
//   N = fitted codes, D = code width.
//
//   fit(codes [N, D])     checks the codes (rank 2, N >= the kind's minimum, finite values) and
//                         learns from them; a second fit replaces the first.
//   sample(count, rng)    -> [count, D]; every number drawn from rng, which advances. Needs a
//                         fitted sampler.
//
// Kinds (make_latent_sampler):
//   uniform        U(0, 1) per dimension whatever the codes (S5's first try); learns only D.
//   gaussian       N(mean_j, std_j) per dimension j, both fitted (std with divisor N, numpy's
//                  np.std) (S5's second).
//   full_gaussian  N(mean, cov + reg_covar I): the covariance in full, as a mixture of one.
//   mixture        a Gaussian mixture of options.components full-covariance components,
//                  fitted by EM (gaussian_mixture.hpp), deterministic from options.seed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "learn/gaussian_mixture.hpp"
#include "tensor/rng.hpp"
#include "tensor/tensor.hpp"

namespace nnlab {

class LatentSampler {
 public:
  virtual ~LatentSampler() = default;
  /// The registry name: "uniform", "gaussian", "full_gaussian", "mixture".
  virtual std::string kind() const = 0;

  void fit(const Tensor& codes);
  Tensor sample(int64_t count, Rng& rng) const;
  /// D once fitted, 0 before.
  int64_t dim() const { return dim_; }

 protected:
  /// The fewest codes fit() takes.
  virtual int64_t min_codes() const { return 2; }
  /// codes: checked [N, D].
  virtual void fit_impl(const Tensor& codes) = 0;
  /// out: [count, D], to be filled.
  virtual void sample_impl(Rng& rng, Tensor& out) const = 0;

 private:
  int64_t dim_ = 0;
};

/// A sampler of the given kind; `mixture` configures "mixture" ("full_gaussian" takes only its
/// reg_covar: one component needs no seed, and EM reaches its optimum at once). Throws
/// nnlab::Error listing the kinds for an unknown one.
std::unique_ptr<LatentSampler> make_latent_sampler(const std::string& kind,
                                                   const MixtureOptions& mixture = {});
/// Every kind, for error messages, --help and tests.
std::vector<std::string> latent_sampler_kinds();

}  // namespace nnlab
