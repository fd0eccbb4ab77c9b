// figures.safetensors: the tensors and shapes write_figures stores for a dense and a conv model,
// their values against the model's own forward pass, and a tiny study's report showing them.
#include "study/figures.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "io/atomic_file.hpp"
#include "io/safetensors.hpp"
#include "nn/activation_layer.hpp"
#include "nn/dense.hpp"
#include "nn/dropout.hpp"
#include "nn/flatten.hpp"
#include "report/report.hpp"
#include "study/runner.hpp"
#include "study/study_text.hpp"
#include "support/test_support.hpp"

namespace nnlab {
namespace {

using test::kOneDenseLayer;

namespace fs = std::filesystem;

// A "conv2d" with a rank-4 weight: valid 3x3 convolution of a [1, H, W] image, no bias, so the
// figures can be tested without depending on the real Conv2d layer's internals.
class TestConv : public Layer {
 public:
  TestConv(std::string name, int64_t filters) : Layer(std::move(name)), filters_(filters) {}
  std::string kind() const override { return "conv2d"; }
  void init(Rng& rng) override { rng.fill_uniform(params_[0].value.span(), -1.0f, 1.0f); }

 protected:
  Shape build_impl(const Shape& in) override {
    add_parameter("weight", {filters_, 1, 3, 3}, true);
    return {filters_, in[1] - 2, in[2] - 2};
  }
  void forward_impl(const Tensor& x, LayerContext& ctx) override {
    const Shape& out = output_shape();
    const int64_t w_in = input_shape()[2];
    ctx.y.resize({x.dim(0), out[0], out[1], out[2]});
    const float* w = params_[0].value.data();
    for (int64_t n = 0; n < x.dim(0); ++n)
      for (int64_t o = 0; o < out[0]; ++o)
        for (int64_t i = 0; i < out[1]; ++i)
          for (int64_t j = 0; j < out[2]; ++j) {
            float sum = 0;
            for (int64_t a = 0; a < 3; ++a)
              for (int64_t b = 0; b < 3; ++b)
                sum += w[o * 9 + a * 3 + b] * x.row(n)[(i + a) * w_in + j + b];
            ctx.y.row(n)[(o * out[1] + i) * out[2] + j] = sum;
          }
  }
  void backward_impl(LayerContext&, const Tensor&) override {}

 private:
  int64_t filters_;
};

// Five 6x6 grey test images with labels "c0".."c2".
Dataset images() {
  Dataset d;
  d.name = "synthetic/test";
  d.sample_shape = {1, 6, 6};
  d.class_names = {"c0", "c1", "c2"};
  for (int i = 0; i < 5; ++i) {
    for (int p = 0; p < 36; ++p) d.pixels.push_back(static_cast<uint8_t>((i * 37 + p * 11) % 256));
    d.labels.push_back(i % 3);
  }
  return d;
}

// The default diagnostics with `edit` applied.
template <class F>
DiagnosticsConfig diagnostics(F edit) {
  DiagnosticsConfig d;
  edit(d);
  return d;
}

Model make_model(std::vector<LayerPtr> layers) {
  Rng rng(5);
  return Model(test::exec(), {1, 6, 6}, std::move(layers), Head::softmax, rng);
}

// The model's output of layer `last` for test sample `index`, by its own forward pass.
std::vector<float> forward_to(Model& m, const Dataset& d, int64_t index, int last) {
  Tensor x({1, 1, 6, 6});
  d.read_sample(index, x.data());
  Rng rng(0);
  Pass pass;
  const Tensor& y = m.forward(x, Mode::eval, rng, pass, 0, last + 1);
  return {y.data(), y.data() + y.size()};
}

// Equal up to float rounding: the batched GEMM may round another way than a single sample's.
void expect_close(const std::vector<float>& a, const std::vector<float>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5f) << i;
}

TEST(Figures, DenseModelProfilesAndReceptiveFields) {
  std::vector<LayerPtr> layers;
  layers.push_back(std::make_unique<Flatten>("flatten1"));
  layers.push_back(std::make_unique<Dense>("dense2", 8));
  layers.push_back(make_activation("relu2", "relu"));
  layers.push_back(std::make_unique<Dropout>("dropout3", 0.5f));
  layers.push_back(std::make_unique<Dense>("dense4", 5));
  layers.push_back(make_activation("tanh4", "tanh"));
  layers.push_back(std::make_unique<Dense>("dense5", 3));
  Model m = make_model(std::move(layers));
  const Dataset test = images();
  const fs::path path = test::temp_dir() / "figures.safetensors";
  write_figures(m, test, diagnostics([](DiagnosticsConfig& d) {
                  d.profile_inputs = {0, 4};
                  d.receptive_fields = 6;
                }),
                path.string());

  const SafeTensors st = load_safetensors(path.string());
  std::vector<std::string> names;
  for (const auto& [name, t] : st.tensors) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"input/profiles", "profiles/relu2", "profiles/tanh4",
                                             "receptive_fields/dense2"}));
  EXPECT_EQ(st.at("input/profiles").shape, (Shape{2, 1, 6, 6}));
  EXPECT_EQ(
      0, std::memcmp(st.at("input/profiles").bytes.data() + 36, test.pixels.data() + 4 * 36, 36));
  EXPECT_EQ(st.metadata.at("profile_inputs"), "[0,4]");
  EXPECT_EQ(st.metadata.at("profile_inputs_labels"), R"(["c0","c1"])");
  EXPECT_EQ(st.metadata.at("profiles/relu2"), "dense2");
  EXPECT_EQ(st.metadata.at("profiles/tanh4"), "dense4");

  // Receptive fields: the first 6 weight rows of dense2, as 6x6 images.
  const std::vector<float> fields = st.f32("receptive_fields/dense2", {6, 6, 6});
  const Tensor& w = m.layer(1).parameters()[0].value;
  EXPECT_EQ(fields, std::vector<float>(w.data(), w.data() + 6 * 36));

  // Profiles: row k is the layer's output for profile input k.
  const std::vector<float> relu = st.f32("profiles/relu2", {2, 8});
  const std::vector<float> tanh = st.f32("profiles/tanh4", {2, 5});
  const std::vector<float> relu_4 = forward_to(m, test, 4, 2);
  const std::vector<float> tanh_0 = forward_to(m, test, 0, 5);
  expect_close(std::vector<float>(relu.begin() + 8, relu.end()), relu_4);
  expect_close(std::vector<float>(tanh.begin(), tanh.begin() + 5), tanh_0);
}

TEST(Figures, ConvModelKernelsAndFeatureMaps) {
  std::vector<LayerPtr> layers;
  layers.push_back(std::make_unique<TestConv>("conv2d1", 4));
  layers.push_back(make_activation("relu1", "relu"));
  layers.push_back(std::make_unique<Flatten>("flatten2"));
  layers.push_back(std::make_unique<Dense>("dense3", 5));
  layers.push_back(make_activation("sigmoid3", "sigmoid"));
  layers.push_back(std::make_unique<Dense>("dense4", 3));
  Model m = make_model(std::move(layers));
  const Dataset test = images();
  const fs::path path = test::temp_dir() / "figures.safetensors";
  write_figures(m, test, diagnostics([](DiagnosticsConfig& d) { d.figure_input = 3; }),
                path.string());

  const SafeTensors st = load_safetensors(path.string());
  std::vector<std::string> names;
  for (const auto& [name, t] : st.tensors) names.push_back(name);
  // No receptive fields: the first dense layer reads feature maps, not the image.
  EXPECT_EQ(names,
            (std::vector<std::string>{"feature_maps/conv2d1", "input/figure", "input/profiles",
                                      "kernels/conv2d1", "profiles/sigmoid3"}));
  const Tensor& w = m.layer(0).parameters()[0].value;
  EXPECT_EQ(st.f32("kernels/conv2d1", {4, 1, 3, 3}), std::vector<float>(w.data(), w.data() + 36));
  // The feature maps are the output of the ReLU after the conv for test sample 3.
  EXPECT_EQ(st.metadata.at("feature_maps/conv2d1"), "relu1");
  expect_close(st.f32("feature_maps/conv2d1", {4, 4, 4}), forward_to(m, test, 3, 1));
  EXPECT_EQ(st.at("input/figure").shape, (Shape{1, 1, 6, 6}));
  EXPECT_EQ(st.metadata.at("figure_input"), "[3]");
  EXPECT_EQ(st.metadata.at("figure_input_labels"), R"(["c0"])");
  // The profiles (default: test samples 0, 1, 2) come after the figure input in the same pass.
  const std::vector<float> profiles = st.f32("profiles/sigmoid3", {3, 5});
  expect_close(std::vector<float>(profiles.begin() + 5, profiles.begin() + 10),
               forward_to(m, test, 1, 4));
}

TEST(Figures, OffOrOutOfRange) {
  std::vector<LayerPtr> layers;
  layers.push_back(std::make_unique<TestConv>("conv2d1", 2));
  layers.push_back(std::make_unique<Flatten>("flatten2"));
  layers.push_back(std::make_unique<Dense>("dense3", 3));
  Model m = make_model(std::move(layers));
  const fs::path path = test::temp_dir() / "figures.safetensors";
  write_figures(m, images(), diagnostics([](DiagnosticsConfig& d) { d.figures = false; }),
                path.string());
  EXPECT_FALSE(fs::exists(path));
  const std::string message = test::error_of([&] {
    write_figures(m, images(), diagnostics([](DiagnosticsConfig& d) { d.figure_input = 5; }),
                  path.string());
  });
  EXPECT_NE(message.find("diagnostics.figure_input = 5 is beyond the test set (5 samples"),
            std::string::npos)
      << message;
}

TEST(FiguresConfig, KeysAndDefaults) {
  const DiagnosticsConfig d = parse_study(kOneDenseLayer, "a.toml", {}).runs[0].diagnostics;
  EXPECT_TRUE(d.figures);
  EXPECT_EQ(d.figure_input, 0);
  EXPECT_EQ(d.profile_inputs, (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(d.receptive_fields, 64);
  const DiagnosticsConfig e =
      parse_study(std::string(kOneDenseLayer) +
                      "[diagnostics]\nfigures = false\nfigure_input = 9\nprofile_inputs = [4, 2]\n"
                      "receptive_fields = 16\n",
                  "a.toml", {})
          .runs[0]
          .diagnostics;
  EXPECT_FALSE(e.figures);
  EXPECT_EQ(e.figure_input, 9);
  EXPECT_EQ(e.profile_inputs, (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(e.receptive_fields, 16);
  // A count K means the first K test samples; --set works like any key.
  const DiagnosticsConfig f =
      parse_study(kOneDenseLayer, "a.toml", {"diagnostics.profile_inputs=4"}).runs[0].diagnostics;
  EXPECT_EQ(f.profile_inputs, (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_TRUE(parse_study(kOneDenseLayer, "a.toml", {"diagnostics.profile_inputs=[]"})
                  .runs[0]
                  .diagnostics.profile_inputs.empty());
}

TEST(FiguresConfig, TypeAndRangeErrors) {
  auto error = [](const std::string& diagnostics) {
    return test::error_of([&] {
      parse_study(std::string(kOneDenseLayer) + "[diagnostics]\n" + diagnostics, "bad.toml", {});
    });
  };
  EXPECT_NE(error("figures = 1\n").find("bad.toml:4: diagnostics.figures must be a boolean"),
            std::string::npos);
  EXPECT_NE(error("figure_input = -1\n").find("bad.toml:4: diagnostics.figure_input must be >= 0"),
            std::string::npos);
  EXPECT_NE(error("profile_inputs = \"all\"\n")
                .find("bad.toml:4: diagnostics.profile_inputs must be an integer count or an "
                      "array of integer indices, got a string"),
            std::string::npos);
  EXPECT_NE(
      error("profile_inputs = [1, 2.5]\n")
          .find("bad.toml:4: diagnostics.profile_inputs must hold integers only, got a float"),
      std::string::npos);
  EXPECT_NE(error("profile_inputs = [1, -2]\n")
                .find("diagnostics.profile_inputs must hold indices >= 0, got -2"),
            std::string::npos);
  EXPECT_NE(error("profile_inputs = 33\n").find("diagnostics.profile_inputs must be in [0, 32]"),
            std::string::npos);
  EXPECT_NE(error("receptive_fields = 5000\n")
                .find("diagnostics.receptive_fields must be in [0, 1024], got 5000"),
            std::string::npos);
  // Beyond a limited test set: known before any training.
  const std::string message = test::error_of([] {
    parse_study(std::string(kOneDenseLayer) +
                    "[data]\ntest_limit = 100\n[diagnostics]\n"
                    "profile_inputs = [5, 100]\n",
                "bad.toml", {});
  });
  EXPECT_NE(message.find("bad.toml:6: diagnostics.profile_inputs must be < data.test_limit (100), "
                         "got 100"),
            std::string::npos)
      << message;
}

// A tiny MNIST study: figures.safetensors is written, the report shows its figures, and the
// report re-rendered from the directory alone is the same.
TEST(Figures, StudyReportShowsThemAndRegenerates) {
  const fs::path dir = test::temp_dir();
  const Study study = parse_study(R"toml(
name = "figs"
[data]
train_limit = 300
test_limit = 50
[model]
activation = "relu"
layers = [{type = "dense", units = 16}, {type = "dense", units = 10, activation = "softmax"}]
[train]
epochs = 1
batch = 50
[diagnostics]
profile_inputs = 2
receptive_fields = 8
)toml",
                                  "figs.toml", {});
  run_study(study, {.out_dir = dir.string(),
                    .data_dir = test::shared_data_dir().string(),
                    .threads = 2,
                    .resume = false,
                    .progress = false,
                    .only_runs = {}});
  const SafeTensors st = load_safetensors((dir / "runs/figs/r0/figures.safetensors").string());
  EXPECT_EQ(st.at("receptive_fields/dense1").shape, (Shape{8, 28, 28}));
  EXPECT_EQ(st.at("profiles/relu1").shape, (Shape{2, 16}));
  EXPECT_EQ(st.at("input/profiles").shape, (Shape{2, 1, 28, 28}));

  const std::string html = read_file((dir / "report.html").string());
  for (const char* heading :
       {"Receptive fields of the first dense layer", "Activation profiles of hidden layers"})
    EXPECT_NE(html.find(std::string(">") + heading + "</h"), std::string::npos) << heading;
  EXPECT_EQ(html.find("http"), std::string::npos);  // self-contained
  fs::remove(dir / "report.html");
  EXPECT_EQ(read_file(render_report(dir.string())), html);
}

}  // namespace
}  // namespace nnlab
