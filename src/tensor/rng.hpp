// Rng: the one source of randomness. Hand-written (xoshiro256** seeded by splitmix64, Box-Muller
// normals) because the standard library's distributions differ between platforms, and a study
// must give the same numbers everywhere from the same seed.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace nnlab {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0);

  /// An independent generator for a sub-task (a loader epoch, a worker), derived from this
  /// one's seed and `stream` without advancing this one.
  Rng fork(uint64_t stream) const;

  /// xoshiro256**. Inline: dropout and noise draw one per one or two elements.
  uint64_t next_u64() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  /// Uniform in [0, 1).
  float uniform();
  /// Uniform in [lo, hi).
  float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
  /// Normal with the given mean and standard deviation.
  float normal(float mean = 0.0f, float stddev = 1.0f);
  /// Uniform integer in [0, n).
  uint64_t below(uint64_t n);
  /// True with probability p.
  bool bernoulli(float p) { return uniform() < p; }

  void fill_uniform(std::span<float> out, float lo, float hi);
  void fill_normal(std::span<float> out, float mean, float stddev);
  /// Fisher-Yates shuffle.
  template <class T>
  void shuffle(std::span<T> v) {
    for (size_t i = v.size(); i > 1; --i) {
      const size_t j = static_cast<size_t>(below(i));
      std::swap(v[i - 1], v[j]);
    }
  }
  /// 0, 1, ..., n-1 in random order.
  std::vector<int64_t> permutation(int64_t n);

  uint64_t seed() const { return seed_; }

 private:
  friend class RngLanes;
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  uint64_t seed_;
  uint64_t s_[4];
  bool has_spare_ = false;
  float spare_ = 0.0f;
};

/// kLanes generators stepped side by side, so that one step draws kLanes numbers in vector
/// registers (a lone xoshiro256** is a serial chain of a few cycles per number). Lane l yields
/// exactly the numbers of the Rng it was seeded from, in the same order.
class RngLanes {
 public:
  static constexpr int kLanes = 8;
  /// Lane `lane` continues `rng`'s sequence from where it stands.
  void seed(int lane, const Rng& rng) {
    for (int k = 0; k < 4; ++k) s_[k][lane] = rng.s_[k];
  }
  /// out[l] = the next number of lane l.
  void next(uint64_t (&out)[kLanes]) {
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) {
      out[l] = Rng::rotl(s_[1][l] * 5, 7) * 9;
      const uint64_t t = s_[1][l] << 17;
      s_[2][l] ^= s_[0][l];
      s_[3][l] ^= s_[1][l];
      s_[1][l] ^= s_[2][l];
      s_[0][l] ^= s_[3][l];
      s_[2][l] ^= t;
      s_[3][l] = Rng::rotl(s_[3][l], 45);
    }
  }

 private:
  alignas(64) uint64_t s_[4][kLanes] = {};
};

}  // namespace nnlab
