#include "nn/reshape.hpp"

#include <gtest/gtest.h>

#include "gradient_check.hpp"
#include "nn/layer_spec.hpp"
#include "support/test_support.hpp"
#include "tensor/error.hpp"

namespace nnlab::test {
namespace {

std::unique_ptr<Model> reshape_model(const Shape& input, Shape shape) {
  std::vector<LayerPtr> layers;
  layers.push_back(std::make_unique<Reshape>("reshape1", std::move(shape)));
  Rng rng(1);
  return std::make_unique<Model>(test::exec(), input, std::move(layers), Head::none, rng);
}

TEST(Reshape, ViewsTheInputInTheNewShapeWithoutACopy) {
  auto m = reshape_model({12}, {3, -1, 2});
  EXPECT_EQ(m->output_shape(), (Shape{3, 2, 2}));
  EXPECT_EQ(m->layer(0).describe(), "reshape([3, -1, 2])");
  const Tensor x = random_tensor({2, 12}, 1);
  Rng rng(1);
  Pass pass;
  const Tensor& y = m->forward(x, Mode::train, rng, pass);
  EXPECT_EQ(y.shape(), (Shape{2, 3, 2, 2}));
  EXPECT_EQ(y.data(), x.data());
  const Tensor dy = random_tensor(y.shape(), 2);
  m->backward(pass, dy, true);
  const Tensor& dx = pass.input_gradient();
  EXPECT_EQ(dx.shape(), x.shape());
  EXPECT_EQ(dx.data(), dy.data());
}

TEST(Reshape, Gradients) {
  expect_layer_gradients(std::make_unique<Reshape>("reshape1", Shape{1, 28, 28}),
                         random_tensor({2, 784}, 3));
}

TEST(Reshape, ACountMismatchNamesTheLayer) {
  EXPECT_EQ(error_of([] {
              reshape_model({1024}, {1, 28, 28});
            }),
            "reshape layer 'reshape1': [1, 28, 28] needs 784 values per sample, the input [1024] "
            "has 1024");
  EXPECT_NE(error_of([] {
              reshape_model({30}, {-1, 7});
            }).find("reshape layer 'reshape1': [-1, 7] cannot hold the 30 values per sample"),
            std::string::npos);
}

LayerSpec reshape_spec() {
  LayerSpec s;
  s.type = "reshape";
  s.where = "s1.toml:9: model.layers[0]";
  return s;
}

TEST(ReshapeSpec, ShapeReachesTheLayer) {
  LayerSpec s = reshape_spec();
  s.lists["shape"] = {1, 28, 28};
  const auto layers = make_layers(s, 1);
  ASSERT_EQ(layers.size(), 1u);
  EXPECT_EQ(layers[0]->name(), "reshape1");
  EXPECT_EQ(layers[0]->describe(), "reshape([1, 28, 28])");
}

TEST(ReshapeSpec, BadShapesNameTheSpec) {
  auto message = [](std::vector<double> shape) {
    LayerSpec s = reshape_spec();
    s.lists["shape"] = std::move(shape);
    return error_of([&] { make_layers(s, 1); });
  };
  EXPECT_EQ(message({1, 0, 28}),
            "s1.toml:9: model.layers[0]: reshape shape must list positive integers and at most "
            "one -1, got [1, 0, 28]");
  EXPECT_NE(message({-1, 28, -1}).find("at most one -1, got [-1, 28, -1]"), std::string::npos);
  EXPECT_NE(message({1.5, 2}).find("s1.toml:9: model.layers[0]: reshape shape"), std::string::npos);
  EXPECT_NE(message({}).find("s1.toml:9: model.layers[0]: reshape shape"), std::string::npos);

  EXPECT_EQ(error_of([] { make_layers(reshape_spec(), 1); }),
            "s1.toml:9: model.layers[0]: a reshape layer needs 'shape', e.g. shape = [1, 28, 28]");
  LayerSpec number = reshape_spec();
  number.numbers["shape"] = 784;
  EXPECT_EQ(error_of([&] { make_layers(number, 1); }),
            "s1.toml:9: model.layers[0]: key 'shape' of a reshape layer must be a list of numbers");
  LayerSpec list = reshape_spec();
  list.lists["shape"] = {784};
  list.lists["size"] = {784};
  EXPECT_EQ(
      error_of([&] { make_layers(list, 1); }),
      "s1.toml:9: model.layers[0]: unknown key 'size' for a reshape layer; valid keys: shape");
}

}  // namespace
}  // namespace nnlab::test
