// Hand-written rather than oneDNN's batch_normalization: for plain NCHW tensors oneDNN 2.7 runs
// its generic ncsp code (measured on a 2-core AVX-512 EPYC, batch 128 x 32 x 28 x 28: about 23
// ms forward and 32 ms backward, 40% of a BN-conv net's step), and its sums are split by thread,
// so its results may change with the thread count. These few vectorized passes over whole
// channel planes take a fraction of that; their sums are formed per fixed chunk of samples and
// added in chunk order, the same for any thread count. They take an image batch in either
// layout, plain or with its channels blocked as a convolution writes them (nn/layer.hpp), and
// compute the same bits in both: a conv, batch norm, ReLU, pool chain is never reordered.
#include "nn/batch_norm.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "nn/activations.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/error.hpp"

namespace nnlab {

namespace {

// Samples per chunk of the per-channel sums: a fixed split, so the sums' order is fixed.
constexpr int64_t kChunkRows = 8;

// A batch in memory: n samples of `channels` channels of `length` values each, plain ([n,
// channels, length], block 1) or with the channels in blocks of `block` ([n, channels / block,
// length, block]).
struct Geometry {
  int64_t n = 0, channels = 0, length = 1;
  int block = 1;
};

// The geometry of a batch x of `channels` channels of `length` values each.
Geometry geometry_of(const Tensor& x, int64_t channels, int64_t length) {
  return {.n = x.rows(),
          .channels = channels,
          .length = length,
          .block = std::max(1, x.channel_block())};
}

// Calls body(std::integral_constant<int, B>) for the geometry's block B, a constant there so that
// the loops over a block's channels vectorize whole.
template <class Body>
void with_block(int block, Body body) {
  switch (block) {
    case 1:
      return body(std::integral_constant<int, 1>{});
    case 4:
      return body(std::integral_constant<int, 4>{});
    case 8:
      return body(std::integral_constant<int, 8>{});
    case 16:
      return body(std::integral_constant<int, 16>{});
    default:
      NNLAB_CHECK(false, "batch_norm: channels in blocks of {} are not supported", block);
  }
}

// A term of a sum, a * b, added to the running sum s as fma(a, b, s) (a lone value: b = 1, which
// adds it exactly as s + a would). Written out, so that no loop's sum depends on where the
// compiler chose to contract a product and an addition: the blocked and the plain loops then
// compute the same bits. (On a build without FMA instructions std::fma is a libm call.)
struct Term {
  float a, b = 1.0f;
};

// A channel's plane (its `length` values in one sample) is summed in float in a fixed order,
// the same in every layout: 16 running sums, value l going to sum l % 16 while whole groups of
// 16 last and the rest to sum 0, then the 16 added in order. (The order and the fused
// multiply-adds GCC gave the `omp simd` reduction this replaced on AVX-512, so the models
// trained before keep their numbers.) B > 1: the planes of B channels ch0.. at once, value l of
// channel ch0 + c at x[l * B + c], their sums into total[0, B).
template <int B, class F>
void plane_sums(const float* x, const float* y, int64_t length, int64_t ch0, F f, float* total) {
  constexpr int kLanes = 16;
  float lanes[kLanes][B] = {};
  const int64_t whole = length / kLanes * kLanes;
  for (int64_t g = 0; g < whole; g += kLanes)
    for (int j = 0; j < kLanes; ++j) {
      const int64_t at = (g + j) * B;
#pragma omp simd
      for (int c = 0; c < B; ++c) {
        const Term t = f(ch0 + c, x[at + c], y != nullptr ? y[at + c] : 0.0f);
        lanes[j][c] = std::fma(t.a, t.b, lanes[j][c]);
      }
    }
  for (int64_t l = whole; l < length; ++l) {
#pragma omp simd
    for (int c = 0; c < B; ++c) {
      const Term t = f(ch0 + c, x[l * B + c], y != nullptr ? y[l * B + c] : 0.0f);
      lanes[0][c] = std::fma(t.a, t.b, lanes[0][c]);
    }
  }
#pragma omp simd
  for (int c = 0; c < B; ++c) {
    float sum = 0.0f;
    for (int j = 0; j < kLanes; ++j) sum += lanes[j][c];
    total[c] = sum;
  }
}

/// Per channel, the sum over the batch of the terms f(c, x) for each value x of channel c in
/// `in` (and, with `in2`, f(c, x, y) with y = in2 at the same place) in double.
template <class F>
void channel_sums(const float* in, const float* in2, const Geometry& s, F f,
                  std::vector<double>& partial, std::vector<double>& out) {
  const int64_t chunks = (s.n + kChunkRows - 1) / kChunkRows;
  const auto c = static_cast<size_t>(s.channels);
  partial.assign(static_cast<size_t>(chunks) * c, 0.0);  // keeps its capacity from batch to batch
  with_block(s.block, [&](auto block) {
    constexpr int B = decltype(block)::value;
#pragma omp parallel for schedule(static) if (s.n * s.channels * s.length > kRowwiseThreadMin)
    for (int64_t k = 0; k < chunks; ++k) {
      double* sum = partial.data() + static_cast<size_t>(k) * c;
      for (int64_t row = k * kChunkRows; row < std::min(s.n, (k + 1) * kChunkRows); ++row) {
        const int64_t at = row * s.channels * s.length;
        if (s.length == 1) {
          // Dense: a row is one value per channel, contiguous across channels.
#pragma omp simd
          for (int64_t ch = 0; ch < s.channels; ++ch) {
            const Term t = f(ch, in[at + ch], in2 ? in2[at + ch] : 0.0f);
            sum[ch] += t.a * t.b;  // the product in float, then added in double
          }
          continue;
        }
        for (int64_t ch0 = 0; ch0 < s.channels; ch0 += B) {
          const int64_t plane = at + ch0 * s.length;
          float total[B];
          plane_sums<B>(in + plane, in2 ? in2 + plane : nullptr, s.length, ch0, f, total);
          for (int i = 0; i < B; ++i) sum[ch0 + i] += total[i];
        }
      }
    }
  });
  out.assign(c, 0.0);
  for (int64_t k = 0; k < chunks; ++k)
    for (size_t ch = 0; ch < c; ++ch) out[ch] += partial[static_cast<size_t>(k) * c + ch];
}

/// out = g(c, x, y) for each value x of `in` in channel c (y: in2's at the same place, or 0). g
/// spells its fused multiply-adds out as std::fma, for the reason Term gives.
template <class G>
void per_value(const float* in, const float* in2, float* __restrict out, const Geometry& s, G g) {
  with_block(s.block, [&](auto block) {
    constexpr int B = decltype(block)::value;
    // A group: one block of B channels (one channel if plain) of one sample.
    const int64_t groups = s.n * (s.channels / B);
#pragma omp parallel for schedule(static) if (s.n * s.channels * s.length > kRowwiseThreadMin)
    for (int64_t q = 0; q < groups; ++q) {
      const int64_t ch0 = (q % (s.channels / B)) * B;
      const int64_t at = q * s.length * B;
      if constexpr (B == 1) {
#pragma omp simd
        for (int64_t l = 0; l < s.length; ++l)
          out[at + l] = g(ch0, in[at + l], in2 ? in2[at + l] : 0.0f);
      } else {
        for (int64_t l = 0; l < s.length; ++l) {
          const int64_t i = at + l * B;
#pragma omp simd
          for (int c = 0; c < B; ++c) out[i + c] = g(ch0 + c, in[i + c], in2 ? in2[i + c] : 0.0f);
        }
      }
    }
  });
}

}  // namespace

bool BatchNorm::applies_post_op(const PostOp& op) const {
  return op.algorithm == dnnl::algorithm::eltwise_relu ||
         (op.algorithm == dnnl::algorithm::eltwise_linear && op.alpha == 1.0f && op.beta == 0.0f);
}

BatchNorm::BatchNorm(std::string name, float momentum, float eps)
    : Layer(std::move(name)), momentum_(momentum), eps_(eps) {
  NNLAB_CHECK(momentum > 0.0f && momentum <= 1.0f && eps > 0.0f && std::isfinite(eps),
              "batch_norm layer '{}': momentum must be in (0, 1] and eps > 0, got {} and {}",
              this->name(), momentum, eps);
}

std::string BatchNorm::describe() const {
  return fmt::format("batch_norm(momentum={}, eps={})", momentum_, eps_);
}

Shape BatchNorm::build_impl(const Shape& in) {
  NNLAB_CHECK(in.size() >= 1 && in.size() <= 3 && shape_size(in) > 0,
              "batch_norm layer '{}': the input must be [features], [channels, length] or "
              "[channels, height, width], got {}",
              name(), shape_str(in));
  channels_ = in[0];
  length_ = shape_size(in) / channels_;
  add_parameter("gamma", {channels_}, false);
  add_parameter("beta", {channels_}, false);
  add_buffer("running_mean", {channels_});
  add_buffer("running_var", {channels_});
  return in;
}

void BatchNorm::init(Rng& /*rng*/) {
  gamma().value.fill(1.0f);
  beta().value.fill(0.0f);
  running_mean().value.fill(0.0f);
  running_var().value.fill(1.0f);
}

void BatchNorm::update_running_stats(const float* mean, const float* var, int64_t m) {
  float* rm = running_mean().value.data();
  float* rv = running_var().value.data();
  const float keep = 1.0f - momentum_;
  for (int64_t c = 0; c < channels_; ++c) rm[c] = keep * rm[c] + momentum_ * mean[c];
  if (m < 2) return;  // one value per channel carries no variance
  const float unbias = static_cast<float>(m) / static_cast<float>(m - 1);
  for (int64_t c = 0; c < channels_; ++c) rv[c] = keep * rv[c] + momentum_ * unbias * var[c];
}

void BatchNorm::forward_impl(const Tensor& x, LayerContext& ctx) {
  const int64_t n = x.rows(), c = channels_, l = length_;
  const Geometry geometry = geometry_of(x, c, l);
  ctx.y.resize(x.shape());
  ctx.y.set_channel_block(x.channel_block());
  if (n == 0) return;
  const float* xs = x.data();
  const float* gamma_v = gamma().value.data();
  const float* beta_v = beta().value.data();
  // y = x * scale[c] + shift[c], with scale = gamma / sqrt(var + eps), shift = beta - mean * scale.
  Tensor& scale = work_.a;
  Tensor& shift = work_.b;
  scale.resize({c});
  shift.resize({c});
  const auto normalize = [&](const float* mean, const float* var) {
    for (int64_t ch = 0; ch < c; ++ch) {
      const double inv_std = 1.0 / std::sqrt(static_cast<double>(var[ch]) + eps_);
      scale[ch] = static_cast<float>(gamma_v[ch] * inv_std);
      shift[ch] =
          static_cast<float>(beta_v[ch] - static_cast<double>(mean[ch]) * gamma_v[ch] * inv_std);
    }
    const float* sc = scale.data();
    const float* sh = shift.data();
    const auto write = [&](auto activate) {
      per_value(xs, nullptr, ctx.y.data(), geometry,
                [sc, sh, activate](int64_t ch, float v, float) {
                  return activate(std::fma(v, sc[ch], sh[ch]));
                });
    };
    // A ReLU or leaky ReLU after this layer is applied here, in the same pass (applies_post_op),
    // with the function the activation layer itself computes.
    const PostOp& op = ctx.post_op;
    const float alpha = op.alpha;
    if (op.algorithm != dnnl::algorithm::eltwise_relu)  // none, or the identity
      write([](float z) { return z; });
    else if (alpha == 0.0f)
      write([](float z) { return act::Relu::fn(z); });
    else
      write([alpha](float z) { return act::LeakyRelu::fn(z, alpha); });
  };
  if (ctx.mode == Mode::eval) {
    normalize(running_mean().value.data(), running_var().value.data());
    return;
  }
  // The batch statistics: rows 0 (mean) and 1 (biased variance) of ctx.saved, kept for
  // backward. The variance sums the squares about the mean (two passes: no cancellation).
  const int64_t m = n * l;
  ctx.saved.resize({2, c});
  float* mean = ctx.saved.row(0);
  float* var = ctx.saved.row(1);
  std::vector<double>& sums = work_.sums;
  channel_sums(
      xs, nullptr, geometry, [](int64_t, float v, float) { return Term{v}; }, work_.partial, sums);
  for (int64_t ch = 0; ch < c; ++ch)
    mean[ch] = static_cast<float>(sums[static_cast<size_t>(ch)] / static_cast<double>(m));
  channel_sums(
      xs, nullptr, geometry,
      [mean](int64_t ch, float v, float) {
        return Term{v - mean[ch], v - mean[ch]};
      },
      work_.partial, sums);
  for (int64_t ch = 0; ch < c; ++ch)
    var[ch] = static_cast<float>(sums[static_cast<size_t>(ch)] / static_cast<double>(m));
  normalize(mean, var);
  update_running_stats(mean, var, m);
}

void BatchNorm::backward_impl(LayerContext& ctx, const Tensor& dy) {
  const Tensor& x = *ctx.x;
  const int64_t n = x.rows(), c = channels_, l = length_;
  const Geometry geometry = geometry_of(x, c, l);
  ctx.dx.resize(x.shape());
  ctx.dx.set_channel_block(x.channel_block());
  const bool train = ctx.mode == Mode::train;
  const float* mean = train ? ctx.saved.row(0) : running_mean().value.data();
  const float* var = train ? ctx.saved.row(1) : running_var().value.data();
  Tensor& inv_std = work_.inv_std;
  inv_std.resize({c});
  for (int64_t ch = 0; ch < c; ++ch)
    inv_std[ch] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(var[ch]) + eps_));
  const float* is = inv_std.data();
  // dbeta = sum dy, dgamma = sum dy * xhat with xhat = (x - mean) * inv_std.
  std::vector<double>& sum_dy = work_.sums;
  std::vector<double>& sum_dy_xhat = work_.sums2;
  channel_sums(
      dy.data(), nullptr, geometry, [](int64_t, float g, float) { return Term{g}; }, work_.partial,
      sum_dy);
  channel_sums(
      x.data(), dy.data(), geometry,
      [mean, is](int64_t ch, float v, float g) {
        return Term{g * (v - mean[ch]), is[ch]};
      },
      work_.partial, sum_dy_xhat);
  float* dgamma = gamma().grad.data();
  float* dbeta = beta().grad.data();
  const float* gamma_v = gamma().value.data();
  // dx = gamma * inv_std * (dy - [train] (sum dy + xhat * sum dy xhat) / M): through the batch
  // statistics after a train-mode forward; with the running ones held fixed, the first term only.
  const double m = static_cast<double>(n * l);
  Tensor& a = work_.a;
  Tensor& b = work_.b;
  Tensor& k = work_.k;
  for (Tensor* v : {&a, &b, &k}) v->resize({c});
  for (int64_t ch = 0; ch < c; ++ch) {
    const auto i = static_cast<size_t>(ch);
    dgamma[ch] = static_cast<float>(sum_dy_xhat[i]);
    dbeta[ch] = static_cast<float>(sum_dy[i]);
    k[ch] = gamma_v[ch] * is[ch];
    a[ch] = train ? static_cast<float>(sum_dy[i] / m) : 0.0f;
    b[ch] = train ? static_cast<float>(sum_dy_xhat[i] / m) : 0.0f;
  }
  const float *kp = k.data(), *ap = a.data(), *bp = b.data();
  per_value(x.data(), dy.data(), ctx.dx.data(), geometry, [=](int64_t ch, float v, float g) {
    return kp[ch] * std::fma(-((v - mean[ch]) * is[ch]), bp[ch], g - ap[ch]);
  });
}

}  // namespace nnlab
