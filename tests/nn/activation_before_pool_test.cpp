// An activation right before a max pool of disjoint windows (Model::backward): its derivative,
// a function of its output, is applied to the pool's gradient at the pool's outputs (the maxima
// the windows picked) instead of to the pool's input gradient, and the net's gradients are the
// ones it computes when an identity reshape between the two keeps them apart. Activations whose
// derivative needs their input, and pools whose windows overlap, keep the layer-by-layer order.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "gradient_check.hpp"
#include "nn/activation_layer.hpp"
#include "nn/conv2d.hpp"
#include "nn/dense.hpp"
#include "nn/flatten.hpp"
#include "nn/model.hpp"
#include "nn/pool2d.hpp"
#include "nn/reshape.hpp"
#include "support/test_support.hpp"

namespace nnlab::test {
namespace {

struct Case {
  ActKind kind;
  float alpha;
  bool folds;  // the activation's derivative is a function of its output (as_post_op)
};

struct Window {
  int64_t size, stride, padding;
  bool disjoint() const { return stride >= size; }
};

// conv(16, 3x3) act max_pool conv(16, 3x3) act max_pool flatten dense(5) on `channels` x 14 x 14
// images; with `apart`, an identity reshape between each activation and its pool.
std::unique_ptr<Model> net(const Case& c, const Window& w, int64_t channels, bool apart) {
  std::vector<LayerPtr> layers;
  Shape shape = {channels, 14, 14};
  for (int k = 0; k < 2; ++k) {
    const std::string id = std::to_string(k);
    layers.push_back(std::make_unique<Conv2d>("conv" + id, 16, 3));
    shape = {16, shape[1] - 2, shape[2] - 2};
    layers.push_back(std::make_unique<Activation>("act" + id, c.kind, c.alpha));
    if (apart) layers.push_back(std::make_unique<Reshape>("apart" + id, shape));
    layers.push_back(
        std::make_unique<Pool2d>("pool" + id, PoolKind::max, w.size, w.stride, w.padding));
    const int64_t side = (shape[1] + 2 * w.padding - w.size) / w.stride + 1;
    shape = {16, side, side};
  }
  layers.push_back(std::make_unique<Flatten>("flatten"));
  layers.push_back(std::make_unique<Dense>("out", 5));
  Rng rng(5);
  return std::make_unique<Model>(test::exec(), Shape{channels, 14, 14}, std::move(layers),
                                 Head::none, rng);
}

class ActivationBeforePool : public ::testing::TestWithParam<std::tuple<Case, Window, int64_t>> {};

TEST_P(ActivationBeforePool, GivesTheGradientsOfTheLayerByLayerOrder) {
  const auto [c, w, channels] = GetParam();
  auto folded = net(c, w, channels, false), apart = net(c, w, channels, true);
  ASSERT_EQ(std::memcmp(folded->values().data(), apart->values().data(),
                        folded->values().size() * sizeof(float)),
            0);
  // Inputs on both sides of 0, large enough to saturate sigmoid and tanh in places; ReLU's
  // windows of zeros tie.
  Tensor x = random_tensor({6, channels, 14, 14}, 11);
  for (float& v : x.span()) v *= 3.0f;
  const Tensor dy = random_tensor({6, 5}, 12);
  Rng rng(0);
  Pass pf, pa;
  EXPECT_EQ(
      differing(folded->forward(x, Mode::train, rng, pf), apart->forward(x, Mode::train, rng, pa)),
      0)
      << "output";
  folded->backward(pf, dy, /*input_grad=*/true);
  apart->backward(pa, dy, /*input_grad=*/true);
  EXPECT_TRUE(std::equal(folded->grads().begin(), folded->grads().end(), apart->grads().begin()))
      << "parameter gradients differ";
  EXPECT_EQ(differing(pf.input_gradient(), pa.input_gradient()), 0) << "input gradient";
  // The derivative went through the pool's gradient exactly where it may.
  EXPECT_EQ(pf.pool_gradient.size() > 0, c.folds && w.disjoint());
  EXPECT_EQ(pa.pool_gradient.size(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, ActivationBeforePool,
    ::testing::Combine(
        ::testing::Values(Case{ActKind::relu, 0.0f, true}, Case{ActKind::leaky_relu, 0.1f, true},
                          Case{ActKind::sigmoid, 0.0f, true}, Case{ActKind::tanh, 0.0f, true},
                          Case{ActKind::linear, 0.0f, true},
                          Case{ActKind::leaky_relu, -0.5f, false}, Case{ActKind::elu, 1.0f, false},
                          Case{ActKind::gelu, 0.0f, false}),
        ::testing::Values(Window{2, 2, 0}, Window{2, 2, 1}, Window{3, 3, 1}, Window{3, 2, 0}),
        ::testing::Values(int64_t{3}, int64_t{16})));

// A pass may start at the activation (its input gradient then comes through the pool) or at
// the pool (the activation is not in the pass).
TEST(ActivationBeforePoolPass, StartingAtTheActivationOrAtThePool) {
  auto m = net({ActKind::relu, 0.0f, true}, {2, 2, 0}, 16, false);
  auto reference = net({ActKind::relu, 0.0f, true}, {2, 2, 0}, 16, true);
  Rng rng(0);
  Tensor x = random_tensor({4, 16, 14, 14}, 13);
  Pass conv0;
  const Tensor act0_in = m->forward(x, Mode::train, rng, conv0, 0, 1);
  Pass act0;
  const Tensor pool0_in = m->forward(act0_in, Mode::train, rng, act0, 1, 2);
  // {m's first layer, the reference's, the input}: act0 is layer 1 in both, pool0 is 2 in m and
  // 3 in the reference (after the reshape).
  const std::tuple<int, int, const Tensor*> starts[] = {{1, 1, &act0_in}, {2, 3, &pool0_in}};
  for (const auto& [first, ref_first, in] : starts) {
    Pass pm, pr;
    const Tensor& ym = m->forward(*in, Mode::train, rng, pm, first);
    const Tensor& yr = reference->forward(*in, Mode::train, rng, pr, ref_first);
    EXPECT_EQ(differing(ym, yr), 0);
    const Tensor dy = random_tensor(ym.shape(), 14);
    m->backward(pm, dy, /*input_grad=*/true);
    reference->backward(pr, dy, /*input_grad=*/true);
    EXPECT_EQ(differing(pm.input_gradient(), pr.input_gradient()), 0) << "first layer " << first;
    EXPECT_TRUE(std::equal(m->grads().begin(), m->grads().end(), reference->grads().begin()));
  }
}

}  // namespace
}  // namespace nnlab::test
