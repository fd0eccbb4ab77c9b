#include "nn/layer_spec.hpp"

#include <gtest/gtest.h>

#include "nn/activation_layer.hpp"
#include "support/test_support.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

LayerSpec spec(std::string type) {
  LayerSpec s;
  s.type = std::move(type);
  s.where = "s1.toml:14: model.layers[2]";
  return s;
}

// Runs make_layers and returns the message it throws ("" when it does not).
std::string error_of(const LayerSpec& s) {
  try {
    make_layers(s, 3);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(LayerSpec, DenseWithActivationIsTwoNamedLayers) {
  LayerSpec s = spec("dense");
  s.numbers["units"] = 500;
  s.strings["activation"] = "relu";
  const auto layers = make_layers(s, 1);
  ASSERT_EQ(layers.size(), 2u);
  EXPECT_EQ(layers[0]->name(), "dense1");
  EXPECT_EQ(layers[1]->name(), "relu1");
  EXPECT_EQ(layers[1]->kind(), "relu");
}

TEST(LayerSpec, EveryTypeBuilds) {
  for (const std::string& type : layer_types()) {
    LayerSpec s = spec(type);
    if (type == "dense") s.numbers["units"] = 4;
    if (type == "reshape") s.lists["shape"] = {-1};
    if (type == "conv2d" || type == "conv_transpose2d")
      s.numbers["filters"] = 2, s.numbers["kernel"] = 3;
    const auto layers = make_layers(s, 2);
    ASSERT_EQ(layers.size(), 1u) << type;
    EXPECT_EQ(layers[0]->kind(), type);
    EXPECT_EQ(layers[0]->name(), type + "2");
  }
}

TEST(LayerSpec, AlphaReachesTheActivation) {
  LayerSpec s = spec("leaky_relu");
  s.numbers["alpha"] = 0.2;
  const auto layers = make_layers(s, 1);
  EXPECT_FLOAT_EQ(dynamic_cast<const Activation&>(*layers[0]).alpha(), 0.2f);
}

TEST(LayerSpec, UnknownTypeListsKnownTypes) {
  EXPECT_EQ(error_of(spec("foo")),
            fmt::format("s1.toml:14: model.layers[2]: unknown layer type 'foo'; known types: {}",
                        fmt::join(layer_types(), ", ")));
  EXPECT_NE(error_of(spec("foo")).find("known types: dense, dropout, "), std::string::npos);
}

TEST(LayerSpec, UnknownKeyListsValidKeys) {
  LayerSpec s = spec("dense");
  s.numbers["unitz"] = 5;
  EXPECT_EQ(error_of(s),
            "s1.toml:14: model.layers[2]: unknown key 'unitz' for a dense layer; valid keys: "
            "units, activation, init, l1, l2, max_norm");
  LayerSpec d = spec("dropout");
  d.strings["activation"] = "relu";
  EXPECT_NE(error_of(d).find("unknown key 'activation' for a dropout layer"), std::string::npos);
}

TEST(LayerSpec, OutOfRangeValuesThrow) {
  LayerSpec d = spec("dropout");
  d.numbers["rate"] = 1.5;
  EXPECT_EQ(error_of(d), "s1.toml:14: model.layers[2]: dropout rate must be in [0, 1), got 1.5");

  LayerSpec units = spec("dense");
  units.numbers["units"] = 0;
  EXPECT_NE(error_of(units).find("s1.toml:14: model.layers[2]: dense units"), std::string::npos);

  LayerSpec norm = spec("dense");
  norm.numbers["units"] = 3;
  norm.numbers["max_norm"] = -1;
  EXPECT_NE(error_of(norm).find("max_norm must be >= 0, got -1"), std::string::npos);

  LayerSpec sigma = spec("gaussian_noise");
  sigma.numbers["sigma"] = -0.5;
  EXPECT_NE(error_of(sigma).find("s1.toml:14: model.layers[2]: gaussian_noise sigma"),
            std::string::npos);
}

TEST(LayerSpec, UnknownActivationAndInitAreNamed) {
  LayerSpec s = spec("dense");
  s.numbers["units"] = 3;
  s.strings["activation"] = "swish";
  EXPECT_NE(error_of(s).find("unknown activation 'swish'"), std::string::npos);
  s.strings["activation"] = "relu";
  s.strings["init"] = "orthogonal";
  EXPECT_NE(error_of(s).find("unknown init 'orthogonal'; known initializers: glorot_uniform"),
            std::string::npos);
}

TEST(LayerSpec, Conv2dAndPooling) {
  LayerSpec c = spec("conv2d");
  c.numbers = {{"filters", 8}, {"kernel", 5}, {"padding", 2}, {"l2", 0.01}};
  c.strings = {{"activation", "relu"}, {"init", "he_uniform"}};
  const auto layers = make_layers(c, 1);
  ASSERT_EQ(layers.size(), 2u);
  EXPECT_EQ(layers[0]->name(), "conv2d1");
  EXPECT_EQ(layers[0]->describe(), "conv2d(8, 5x5, pad 2) l2=0.01");
  EXPECT_EQ(layers[1]->name(), "relu1");

  LayerSpec same = spec("conv2d");
  same.numbers = {{"filters", 8}, {"kernel", 3}};
  same.strings["padding"] = "same";
  EXPECT_EQ(make_layers(same, 1)[0]->describe(), "conv2d(8, 3x3, same)");

  LayerSpec m = spec("max_pool");
  EXPECT_EQ(make_layers(m, 4)[0]->describe(), "max_pool(2)");
  LayerSpec a = spec("avg_pool");
  a.numbers = {{"size", 3}, {"stride", 1}, {"padding", 1}};
  EXPECT_EQ(make_layers(a, 4)[0]->describe(), "avg_pool(3, stride 1, pad 1)");
}

TEST(LayerSpec, Conv2dAndPoolingValuesOutOfRange) {
  auto conv = [](std::map<std::string, double> numbers) {
    LayerSpec s = spec("conv2d");
    s.numbers = {{"filters", 4}, {"kernel", 3}};
    for (const auto& [k, v] : numbers) s.numbers[k] = v;
    return error_of(s);
  };
  const std::string at = "s1.toml:14: model.layers[2]: ";
  EXPECT_EQ(conv({{"filters", 0}}), at + "conv2d filters must be an integer >= 1, got 0");
  EXPECT_EQ(conv({{"kernel", 2.5}}), at + "conv2d kernel must be an integer >= 1, got 2.5");
  EXPECT_EQ(conv({{"stride", 0}}), at + "conv2d stride must be an integer >= 1, got 0");
  EXPECT_EQ(conv({{"padding", -1}}), at + "conv2d padding must be an integer >= 0, got -1");
  EXPECT_EQ(conv({{"max_norm", -1}}), at + "conv2d max_norm must be >= 0, got -1");

  LayerSpec missing = spec("conv2d");
  missing.numbers["filters"] = 4;
  EXPECT_EQ(error_of(missing), at + "a conv2d layer needs 'kernel'");
  LayerSpec full = spec("conv2d");
  full.numbers = {{"filters", 4}, {"kernel", 3}};
  full.strings["padding"] = "full";
  EXPECT_EQ(error_of(full),
            at + "conv2d padding must be an integer >= 0, \"same\" or \"valid\", got 'full'");
  full.strings["padding"] = "same";
  full.numbers["stride"] = 2;
  EXPECT_EQ(error_of(full), at + "conv2d padding=\"same\" needs stride 1, got stride 2");
  full.numbers["units"] = 2;
  EXPECT_EQ(error_of(full), at + "unknown key 'units' for a conv2d layer; valid keys: filters, "
                                 "kernel, stride, padding, activation, init, l1, l2, max_norm");

  LayerSpec pool = spec("max_pool");
  pool.numbers["size"] = 0;
  EXPECT_EQ(error_of(pool), at + "max_pool size must be an integer >= 1, got 0");
  pool.numbers = {{"size", 3}, {"padding", 2}};
  EXPECT_EQ(error_of(pool), at + "max_pool padding must be at most size / 2 = 1, got 2");
  LayerSpec avg = spec("avg_pool");
  avg.numbers["stride"] = 0;
  EXPECT_EQ(error_of(avg), at + "avg_pool stride must be an integer >= 1, got 0");
  avg.strings["activation"] = "relu";
  EXPECT_NE(error_of(avg).find("valid keys: size, stride, padding"), std::string::npos);
}

TEST(LayerSpec, ConvTranspose2dAndUpsample) {
  LayerSpec t = spec("conv_transpose2d");
  t.numbers = {{"filters", 16}, {"kernel", 3},         {"stride", 2},
               {"padding", 1},  {"output_padding", 1}, {"max_norm", 2}};
  t.strings = {{"activation", "relu"}, {"init", "he_uniform"}};
  const auto layers = make_layers(t, 1);
  ASSERT_EQ(layers.size(), 2u);
  EXPECT_EQ(layers[0]->name(), "conv_transpose2d1");
  EXPECT_EQ(layers[0]->describe(),
            "conv_transpose2d(16, 3x3, stride 2, pad 1, output_pad 1) max_norm=2");
  EXPECT_EQ(layers[1]->name(), "relu1");
  EXPECT_TRUE(layer_takes("conv_transpose2d", "init"));
  EXPECT_TRUE(layer_takes("conv_transpose2d", "l2"));

  LayerSpec u = spec("upsample");
  u.numbers["scale"] = 2;
  u.strings["mode"] = "nearest";
  EXPECT_EQ(make_layers(u, 5)[0]->describe(), "upsample(2, nearest)");
  EXPECT_EQ(make_layers(spec("upsample"), 5)[0]->describe(), "upsample(2, nearest)");
  u.numbers["scale"] = 3;
  u.strings["mode"] = "bilinear";
  EXPECT_EQ(make_layers(u, 5)[0]->name(), "upsample5");
  EXPECT_EQ(make_layers(u, 5)[0]->describe(), "upsample(3, bilinear)");
  EXPECT_FALSE(layer_takes("upsample", "init"));
}

TEST(LayerSpec, ConvTranspose2dAndUpsampleValuesOutOfRange) {
  auto deconv = [](std::map<std::string, double> numbers) {
    LayerSpec s = spec("conv_transpose2d");
    s.numbers = {{"filters", 4}, {"kernel", 3}};
    for (const auto& [k, v] : numbers) s.numbers[k] = v;
    return error_of(s);
  };
  const std::string at = "s1.toml:14: model.layers[2]: ";
  EXPECT_EQ(deconv({{"filters", 0}}),
            at + "conv_transpose2d filters must be an integer >= 1, got 0");
  EXPECT_EQ(deconv({{"kernel", 1.5}}),
            at + "conv_transpose2d kernel must be an integer >= 1, got 1.5");
  EXPECT_EQ(deconv({{"stride", 0}}), at + "conv_transpose2d stride must be an integer >= 1, got 0");
  EXPECT_EQ(deconv({{"padding", -1}}),
            at + "conv_transpose2d padding must be an integer >= 0, got -1");
  EXPECT_EQ(deconv({{"stride", 2}, {"output_padding", 2}}),
            at + "conv_transpose2d output_padding must be less than stride (2), got 2");
  EXPECT_EQ(deconv({{"output_padding", 1}}),
            at + "conv_transpose2d output_padding must be less than stride (1), got 1");
  EXPECT_EQ(deconv({{"kernel", 2000}}),
            "conv_transpose2d layer 'conv_transpose2d3': kernel must be in [1, 1024], got 2000");
  EXPECT_EQ(deconv({{"l2", -1}}), at + "conv_transpose2d l2 must be >= 0, got -1");
  LayerSpec missing = spec("conv_transpose2d");
  missing.numbers["kernel"] = 3;
  EXPECT_EQ(error_of(missing), at + "a conv_transpose2d layer needs 'filters'");
  missing.numbers["filters"] = 3;
  missing.strings["padding"] = "same";
  EXPECT_EQ(error_of(missing), at + "key 'padding' of a conv_transpose2d layer must be a number");
  missing.strings.clear();
  missing.numbers["units"] = 3;
  EXPECT_EQ(error_of(missing),
            at + "unknown key 'units' for a conv_transpose2d layer; valid keys: filters, kernel, "
                 "stride, padding, output_padding, activation, init, l1, l2, max_norm");

  auto up = [](double scale, std::string mode) {
    LayerSpec s = spec("upsample");
    s.numbers["scale"] = scale;
    s.strings["mode"] = std::move(mode);
    return error_of(s);
  };
  EXPECT_EQ(up(0, "nearest"), at + "upsample scale must be an integer in [1, 64], got 0");
  EXPECT_EQ(up(2.5, "nearest"), at + "upsample scale must be an integer in [1, 64], got 2.5");
  EXPECT_EQ(up(65, "nearest"), at + "upsample scale must be an integer in [1, 64], got 65");
  EXPECT_EQ(up(2, "bicubic"),
            at + "unknown upsample mode 'bicubic'; known modes: nearest, bilinear");
  LayerSpec act = spec("upsample");
  act.strings["activation"] = "relu";
  EXPECT_EQ(error_of(act),
            at + "unknown key 'activation' for a upsample layer; valid keys: scale, mode");
}

}  // namespace
}  // namespace nnlab
