// Buffers (batch norm's running statistics) through training: model files and checkpoints carry
// them, --resume continues bit for bit, early stopping restores them with the best weights, and
// optimizers never touch them.
#include <gtest/gtest.h>

#include <numeric>

#include "io/safetensors.hpp"
#include "nn/model_builder.hpp"
#include "support/test_support.hpp"
#include "train/checkpoint.hpp"
#include "train/early_stopping.hpp"
#include "train/model_file.hpp"
#include "train/trainer.hpp"

namespace nnlab {
namespace {

/// Two Gaussian blobs in 4-D, away from the origin so that the running statistics move.
Dataset moving_blobs(int64_t n, uint64_t seed) {
  Dataset d;
  d.name = "blobs";
  d.sample_shape = {4};
  d.class_names = {"a", "b"};
  Rng rng(seed);
  for (int64_t i = 0; i < n; ++i) {
    const int32_t c = static_cast<int32_t>(i % 2);
    d.labels.push_back(c);
    for (int j = 0; j < 4; ++j) d.features.push_back(rng.normal(c ? 3.0f : 1.0f, 0.7f));
  }
  return d;
}

LayerSpec spec(std::string type, std::map<std::string, double> numbers = {},
               std::map<std::string, std::string> strings = {}) {
  return {.type = std::move(type),
          .numbers = std::move(numbers),
          .strings = std::move(strings),
          .where = "t"};
}

/// reshape [4] -> [2, 2] (two channels of length 2), batch norm per channel, reshape back,
/// dense, batch norm per feature, tanh, dense + softmax.
std::vector<LayerSpec> bn_specs() {
  LayerSpec to_channels = spec("reshape"), back = spec("reshape");
  to_channels.lists["shape"] = {2, 2};
  back.lists["shape"] = {-1};
  return {to_channels,
          spec("batch_norm"),
          back,
          spec("dense", {{"units", 8}}),
          spec("batch_norm", {{"momentum", 0.2}}),
          spec("tanh"),
          spec("dense", {{"units", 2}}, {{"activation", "softmax"}})};
}

std::vector<float> buffers_of(const Model& m) {
  return {m.buffer_values().begin(), m.buffer_values().end()};
}
std::vector<float> values_of(const Model& m) { return {m.values().begin(), m.values().end()}; }

struct BufferFixture {
  Dataset train = moving_blobs(250, 1),
          val = moving_blobs(64, 2);  // 250 = 7 batches of 32 and one of 26
  std::unique_ptr<Loss> loss = make_loss("cross_entropy");
  std::unique_ptr<Model> model;
  std::unique_ptr<Optimizer> opt;
  History history;

  BufferFixture() {
    Rng rng(3);
    model = build_model(test::exec(), {4}, bn_specs(), *loss, rng);
    opt = make_optimizer({.type = "adamw", .lr = 0.02f, .weight_decay = 0.1f}, model->values(),
                         model->grads(), model->parameters());
  }
  void fit(int epochs, std::span<Callback* const> callbacks, int start = 0) {
    std::vector<int64_t> idx(static_cast<size_t>(train.size()));
    std::iota(idx.begin(), idx.end(), int64_t{0});
    Loader loader(train, idx, {.batch = 32, .shuffle = true, .seed = 11});
    TrainOptions o;
    o.epochs = epochs;
    o.base_lr = opt->config().lr;
    o.seed = 5;
    Trainer t(*model, *loss, *opt, o);
    const DataView v = DataView::all(std::make_shared<const Dataset>(val));
    t.fit(loader, &v, history, {.epoch = start, .stop = false, .stop_reason = ""}, callbacks);
  }
};

TEST(Buffers, ModelDeclaresThemApartFromTheParameters) {
  BufferFixture f;
  ASSERT_EQ(f.model->buffers().size(), 4u);
  EXPECT_EQ(f.model->buffers()[0]->name, "batch_norm2.running_mean");
  EXPECT_EQ(f.model->buffers()[3]->name, "batch_norm5.running_var");
  EXPECT_EQ(f.model->buffer_count(), 2 + 2 + 8 + 8);
  // Trainable: gamma and beta of both batch norms and the two dense layers.
  EXPECT_EQ(f.model->parameter_count(), 2 * 2 + (4 * 8 + 8) + 2 * 8 + (8 * 2 + 2));
  for (const Parameter* p : f.model->parameters())
    EXPECT_EQ(p->is_weight, p->name.ends_with(".weight")) << p->name;
}

TEST(Buffers, TrainingMovesThemButTheOptimizerNeverDoes) {
  BufferFixture f;
  const std::vector<float> before = buffers_of(*f.model);
  f.fit(1, {});
  EXPECT_NE(buffers_of(*f.model), before);

  // Steps with gradients everywhere and weight decay: the buffers stay; batch norm's gamma,
  // with a zero gradient, is not decayed (plain SGD: no moments carry earlier gradients).
  const std::vector<float> trained = buffers_of(*f.model);
  Parameter& gamma = *f.model->parameters()[0];
  ASSERT_EQ(gamma.name, "batch_norm2.gamma");
  const std::vector<float> gamma_before(gamma.value.span().begin(), gamma.value.span().end());
  const auto sgd = make_optimizer({.type = "sgd", .lr = 0.1f, .weight_decay = 0.5f},
                                  f.model->values(), f.model->grads(), f.model->parameters());
  Rng rng(1);
  for (int i = 0; i < 3; ++i) {
    rng.fill_normal(f.model->grads(), 0.0f, 1.0f);
    gamma.grad.fill(0.0f);
    sgd->step(0.1f);
  }
  EXPECT_EQ(buffers_of(*f.model), trained);
  EXPECT_TRUE(std::equal(gamma_before.begin(), gamma_before.end(), gamma.value.data()));
}

TEST(Buffers, ModelFilesSaveAndLoadThem) {
  BufferFixture f;
  f.fit(1, {});
  const std::string path = (test::temp_dir() / "m.safetensors").string();
  const ModelDescription d{
      .input = {4}, .layers = bn_specs(), .loss = "cross_entropy", .class_names = {"a", "b"}};
  save_model_file(path, *f.model, d);
  const SafeTensors file = load_safetensors(path);
  ASSERT_TRUE(file.contains("batch_norm5.running_var"));
  EXPECT_EQ(file.f32("batch_norm5.running_var"),
            std::vector<float>(f.model->buffers()[3]->value.span().begin(),
                               f.model->buffers()[3]->value.span().end()));

  LoadedModel back = load_model(path, test::exec());
  EXPECT_EQ(back.description.layers[0].lists.at("shape"), (std::vector<double>{2, 2}));
  EXPECT_EQ(values_of(*back.model), values_of(*f.model));
  EXPECT_EQ(buffers_of(*back.model), buffers_of(*f.model));
  Tensor x({5, 4});
  Rng(7).fill_normal(x.span(), 2.0f, 1.0f);
  Tensor p1, p2;
  Rng rng(1);
  f.model->predict(x, p1, rng);
  back.model->predict(x, p2, rng);
  for (int64_t i = 0; i < p1.size(); ++i) EXPECT_EQ(p1[i], p2[i]) << i;
}

TEST(Buffers, ResumeFromACheckpointIsBitIdentical) {
  const std::string path = (test::temp_dir() / "ckpt.safetensors").string();
  BufferFixture whole;
  whole.fit(4, {});

  BufferFixture first;  // trains 2 epochs, checkpointing, then "crashes"
  Checkpointer ckpt(path, {});
  Callback* cbs[] = {&ckpt};
  first.fit(2, cbs);
  EXPECT_TRUE(load_safetensors(path).contains("batch_norm2.running_mean"));

  BufferFixture resumed;  // a fresh process: restores and continues to 4
  ASSERT_TRUE(ckpt.restore(*resumed.model, *resumed.opt, resumed.history));
  EXPECT_EQ(buffers_of(*resumed.model), buffers_of(*first.model));
  resumed.fit(4, {}, 2);
  EXPECT_EQ(resumed.history.back().val_loss, whole.history.back().val_loss);
  EXPECT_EQ(values_of(*resumed.model), values_of(*whole.model));
  EXPECT_EQ(buffers_of(*resumed.model), buffers_of(*whole.model));
}

TEST(Buffers, EarlyStoppingRestoresThemWithTheBestWeights) {
  BufferFixture best;  // the state after epoch 0, which early stopping below keeps as the best
  best.fit(1, {});

  BufferFixture f;
  EarlyStopping es({.monitor = "val_loss", .patience = 2, .min_delta = 10.0, .restore_best = true});
  Callback* cbs[] = {&es};
  f.fit(10, cbs);
  ASSERT_EQ(es.best_epoch(), 0);
  ASSERT_EQ(f.history.size(), 3u);
  EXPECT_EQ(values_of(*f.model), values_of(*best.model));
  EXPECT_EQ(buffers_of(*f.model), buffers_of(*best.model));
}

}  // namespace
}  // namespace nnlab
