// Flatten gives a plain batch's values in their own order, so its output and its input gradient
// are views, not copies (a copy of S5's 256 x 1092 input batch cost a serial pass each step).
// Its gradients are checked in gradient_check_test.cpp; a blocked input in layout_test.cpp.
#include "nn/flatten.hpp"

#include <gtest/gtest.h>

#include "gradient_check.hpp"
#include "nn/dense.hpp"
#include "nn/model.hpp"
#include "support/test_support.hpp"

namespace nnlab::test {
namespace {

TEST(Flatten, ViewsTheInputAndTheGradientWithoutACopy) {
  std::vector<LayerPtr> layers;
  layers.push_back(std::make_unique<Flatten>("flatten1"));
  layers.push_back(std::make_unique<Dense>("dense1", 4));
  Rng rng(1);
  Model m(test::exec(), {2, 3, 5}, std::move(layers), Head::none, rng);
  for (const int64_t n : {3, 7, 0}) {  // the view follows each batch, the empty one too
    const Tensor x = random_tensor({n, 2, 3, 5}, 1 + static_cast<uint64_t>(n));
    Pass pass;
    m.forward(x, Mode::train, rng, pass);
    const Tensor& y = pass.context(0).y;
    EXPECT_EQ(y.shape(), (Shape{n, 30}));
    if (n > 0) {
      EXPECT_EQ(y.data(), x.data());
    }
    const Tensor dy = random_tensor(pass.context(1).y.shape(), 2);
    m.backward(pass, dy, true);
    const Tensor& dx = pass.input_gradient();
    EXPECT_EQ(dx.shape(), x.shape());
    if (n > 0) {
      EXPECT_EQ(dx.data(), pass.context(1).dx.data());
    }
  }
}

}  // namespace
}  // namespace nnlab::test
