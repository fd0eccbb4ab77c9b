#include "nn/dense.hpp"

#include <omp.h>

#include <algorithm>

#include "nn/dnnl_util.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/error.hpp"
#include "tensor/gemm.hpp"

namespace nnlab {

Dense::Dense(std::string name, int64_t units, InitKind init, Regularizer reg)
    : Layer(std::move(name)), units_(units), init_(init), reg_(reg) {
  NNLAB_CHECK(units > 0, "dense layer '{}': units must be > 0, got {}", this->name(), units);
}

std::string Dense::describe() const {
  std::string s = fmt::format("dense({})", units_);
  if (reg_.l1 > 0) s += fmt::format(" l1={}", reg_.l1);
  if (reg_.l2 > 0) s += fmt::format(" l2={}", reg_.l2);
  if (reg_.max_norm > 0) s += fmt::format(" max_norm={}", reg_.max_norm);
  return s;
}

Shape Dense::build_impl(const Shape& in) {
  in_features_ = shape_size(in);
  NNLAB_CHECK(!in.empty() && in_features_ > 0, "dense layer '{}': bad input shape {}", name(),
              shape_str(in));
  add_parameter("weight", {units_, in_features_}, true).reg = reg_;
  add_parameter("bias", {units_}, false);
  return {units_};
}

void Dense::init(Rng& rng) {
  init_weight(weight().value, in_features_, units_, init_, rng);
  bias().value.fill(0.0f);
}

struct Dense::Primitives {
  dnnl::memory::desc x, w, b, y;
  dnnl::matmul::primitive_desc pd;
  dnnl::matmul matmul;
};

Dense::~Dense() = default;

Dense::Primitives& Dense::primitives(int64_t n, int threads, const PostOp& post_op) {
  auto& slot = primitives_[{n, threads, post_op}];
  if (slot) return *slot;
  slot = std::make_unique<Primitives>();
  Primitives& p = *slot;
  using tag = dnnl::memory::format_tag;
  p.x = f32_desc({n, in_features_}, tag::ab);
  p.w = f32_desc({in_features_, units_}, tag::ba);  // W^T: W [U, F] read column-major
  p.b = f32_desc({1, units_}, tag::ab);
  p.y = f32_desc({n, units_}, tag::ab);
  p.pd = {{p.x, p.w, p.b, p.y}, with_post_op(user_scratchpad(), post_op), cpu_engine()};
  p.matmul = dnnl::matmul(p.pd);
  return p;
}

void Dense::forward_impl(const Tensor& x, LayerContext& ctx) {
  const int64_t n = x.rows();
  ctx.y.resize({n, units_});
  if (n == 0) return;
  Primitives& p = primitives(n, ctx.exec->threads(), ctx.post_op);
  const auto over = [](const dnnl::memory::desc& d, const float* data) {
    return dnnl::memory(d, cpu_engine(), const_cast<float*>(data));  // read only, but for y
  };
  execute(ctx.exec->stream(), p.matmul, p.pd,
          {{DNNL_ARG_SRC, over(p.x, x.data())},
           {DNNL_ARG_WEIGHTS, over(p.w, weight().value.data())},
           {DNNL_ARG_BIAS, over(p.b, bias().value.data())},
           {DNNL_ARG_DST, over(p.y, ctx.y.data())}},
          scratchpad_);
}

void Dense::backward_impl(LayerContext& ctx, const Tensor& dy) {
  const Tensor& x = *ctx.x;
  const int64_t n = x.rows();
  // dW[U, F] = dy^T[U, N] x[N, F]
  const auto weight_grad = [&] {
    gemm(true, false, units_, in_features_, n, 1.0f, dy.data(), x.data(), 0.0f,
         params_[0].grad.data());
  };
  // dx[N, F] = dy[N, U] W[U, F]
  const auto input_grad = [&] {
    gemm(false, false, n, in_features_, units_, 1.0f, dy.data(), params_[0].value.data(), 0.0f,
         ctx.dx.data());
  };
  if (!ctx.input_grad) {
    weight_grad();  // a pass's first layer: nothing reads dx
  } else {
    ctx.dx.resize(x.shape());
    if (ctx.exec->threads() == 2) {
      // The two products are independent and of the same size. On two threads each runs whole
      // on one (sgemm called inside a parallel region runs single-threaded), which saves one
      // product's fork, partition and join: 1.03-1.4x on the autoencoder's layers and S1's,
      // 1.01x on S2's largest (docs/results.md, "a dense layer's two backward products side by
      // side"). oneDNN's sgemm gives the same bits on one thread as on two for these shapes.
      // With more threads, one product alone scales further than two side by side.
#pragma omp parallel num_threads(2)
      {
        if (omp_get_thread_num() == 0)
          weight_grad();
        else
          input_grad();
      }
    } else {
      weight_grad();
      input_grad();
    }
  }
  // db[u] = sum over rows of dy[r, u]: threads take bands of units, each summed over the rows
  // in order, so the sums do not depend on the thread count.
  float* db = params_[1].grad.data();
  const float* g = dy.data();
  const int64_t units = units_;
  constexpr int64_t kBand = 64;
#pragma omp parallel for if (n * units > kRowwiseThreadMin)
  for (int64_t u0 = 0; u0 < units; u0 += kBand) {
    const int64_t u1 = std::min(units, u0 + kBand);
    std::fill(db + u0, db + u1, 0.0f);
    for (int64_t r = 0; r < n; ++r) {
      const float* gr = g + r * units;
#pragma omp simd
      for (int64_t u = u0; u < u1; ++u) db[u] += gr[u];
    }
  }
}

}  // namespace nnlab
