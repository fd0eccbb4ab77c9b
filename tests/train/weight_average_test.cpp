// train.ema: the optimizer keeps an exponential moving average of the weights; validation scores
// it, early stopping keeps it, and a run ends with it, while training goes on from its own
// weights.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "eval/evaluate.hpp"
#include "nn/model_builder.hpp"
#include "support/test_support.hpp"
#include "train/checkpoint.hpp"
#include "train/early_stopping.hpp"
#include "train/trainer.hpp"

namespace nnlab {
namespace {

// Two Gaussian blobs in 4-D.
std::shared_ptr<const Dataset> blob_dataset(int64_t n, uint64_t seed) {
  auto d = std::make_shared<Dataset>();
  d->name = "blobs";
  d->sample_shape = {4};
  d->class_names = {"a", "b"};
  Rng rng(seed);
  for (int64_t i = 0; i < n; ++i) {
    const auto c = static_cast<int32_t>(i % 2);
    d->labels.push_back(c);
    for (int j = 0; j < 4; ++j) d->features.push_back(rng.normal(c ? 1.0f : -1.0f, 0.9f));
  }
  return d;
}

// The weights before each step (on_batch_end comes before the optimizer's) and at the end.
struct Trajectory : Callback {
  std::vector<std::vector<float>> weights;
  void on_batch_end(TrainState& s) override {
    weights.emplace_back(s.model.values().begin(), s.model.values().end());
  }
  void on_train_end(TrainState& s) override {
    weights.emplace_back(s.model.values().begin(), s.model.values().end());
  }
};

struct TinyRun {
  std::shared_ptr<const Dataset> train = blob_dataset(192, 1), val = blob_dataset(64, 2);
  std::unique_ptr<Loss> loss = make_loss("cross_entropy");
  std::unique_ptr<Model> model;
  std::unique_ptr<Optimizer> opt;
  History history;

  explicit TinyRun(float ema) {
    const std::vector<LayerSpec> specs = {
        {.type = "dense",
         .numbers = {{"units", 8}},
         .strings = {{"activation", "tanh"}},
         .where = "t"},
        {.type = "dropout", .numbers = {{"rate", 0.2}}, .strings = {}, .where = "t"},
        {.type = "dense",
         .numbers = {{"units", 2}},
         .strings = {{"activation", "softmax"}},
         .where = "t"}};
    Rng rng(3);
    model = build_model(test::exec(), {4}, specs, *loss, rng);
    opt = make_optimizer({.type = "adam", .lr = 0.05f, .average = ema}, model->values(),
                         model->grads(), model->parameters());
  }
  void fit(int epochs, bool validate, std::span<Callback* const> callbacks,
           ResumePoint start = {}) {
    std::vector<int64_t> idx(static_cast<size_t>(train->size()));
    std::iota(idx.begin(), idx.end(), int64_t{0});
    Loader loader(*train, idx, {.batch = 32, .shuffle = true, .seed = 11});
    TrainOptions o;
    o.epochs = epochs;
    o.base_lr = opt->config().lr;
    o.seed = 5;
    Trainer t(*model, *loss, *opt, o);
    const DataView v = DataView::all(val);
    t.fit(loader, validate ? &v : nullptr, history, start, callbacks);
  }
  std::vector<float> values() const { return {model->values().begin(), model->values().end()}; }
};

// a = w0, then a = d_t a + (1 - d_t) w after step t with d_t = min(d, (1 + t) / (10 + t))
// (TensorFlow's ExponentialMovingAverage with num_updates), written out in the test's own loop.
std::vector<float> average_of(const std::vector<std::vector<float>>& w, float d) {
  std::vector<float> a = w.front();
  for (size_t t = 1; t < w.size(); ++t) {
    const float dt = std::min(d, (1.0f + static_cast<float>(t)) / (10.0f + static_cast<float>(t)));
    for (size_t i = 0; i < a.size(); ++i) a[i] = dt * a[i] + (1.0f - dt) * w[t][i];
  }
  return a;
}

void expect_near(const std::vector<float>& a, const std::vector<float>& b, float tol = 1e-5f) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], tol) << i;
}

// d = 0.5: the warm-up's d_t for steps 1..8, then d itself for steps 9..18.
TEST(WeightAverage, TheRunEndsWithTheAverageOfTheWeightsAfterEachStep) {
  TinyRun plain(0), averaged(0.5f);
  Trajectory path, averaged_path;
  Callback* a[] = {&path};
  Callback* b[] = {&averaged_path};
  plain.fit(3, false, a);
  averaged.fit(3, false, b);
  ASSERT_EQ(path.weights.size(), 3u * 6 + 1);
  // Training went the same way (the average is kept beside the weights, never fed back) ...
  for (size_t t = 0; t + 1 < path.weights.size(); ++t)
    ASSERT_EQ(path.weights[t], averaged_path.weights[t]) << "step " << t;
  // ... and ended with the average of its weights after each step.
  expect_near(averaged.values(), average_of(path.weights, 0.5f));
  EXPECT_NE(averaged.values(), plain.values());
}

// A slow average (d = 0.9999) over a short run (18 steps) is held to the run's own steps: its
// start's share is the product of the d_t, 2 / 11 * 3 / 12 * ... * 19 / 28 = 9! * 19! / 28!,
// about 1.5e-7. Without the warm-up it would still be 99.8% the start, which ruined the short
// rungs of a search.
TEST(WeightAverage, ASlowAverageOfAShortRunForgetsItsStart) {
  TinyRun plain(0), averaged(0.9999f);
  Trajectory path;
  Callback* a[] = {&path};
  plain.fit(3, false, a);
  averaged.fit(3, false, {});
  ASSERT_EQ(path.weights.size(), 19u);
  expect_near(averaged.values(), average_of(path.weights, 0.9999f));
  // Recomputed from w1..w18 alone, the start left out: the same within its tiny share.
  std::vector<std::vector<float>> steps(path.weights.begin() + 1, path.weights.end());
  steps.insert(steps.begin(), std::vector<float>(steps.front().size(), 0.0f));
  expect_near(averaged.values(), average_of(steps, 0.9999f), 1e-5f);
}

TEST(WeightAverage, ValidationScoresTheAverageAndTrainingGoesOnFromItsOwnWeights) {
  TinyRun plain(0), averaged(0.8f);
  Trajectory path, averaged_path;
  Callback* a[] = {&path};
  Callback* b[] = {&averaged_path};
  plain.fit(2, true, a);
  averaged.fit(2, true, b);
  for (size_t t = 0; t + 1 < path.weights.size(); ++t)
    ASSERT_EQ(path.weights[t], averaged_path.weights[t]) << "step " << t;
  // The last epoch's validation loss is the final (averaged) model's.
  Rng rng(0);
  const Evaluation e = evaluate(*averaged.model, *averaged.loss, *averaged.val,
                                DataView::all(averaged.val).indices, {.batch = 1000}, rng);
  EXPECT_DOUBLE_EQ(averaged.history.back().val_loss, e.loss);
  EXPECT_NE(averaged.history.back().val_loss, plain.history.back().val_loss);
}

TEST(WeightAverage, AResumedRunEndsWithTheSameAverage) {
  const std::string path = (test::temp_dir() / "ema.safetensors").string();
  TinyRun whole(0.9f);
  whole.fit(4, true, {});

  TinyRun first(0.9f);
  Checkpointer ckpt(path, {});
  Callback* cbs[] = {&ckpt};
  first.fit(2, true, cbs);
  EXPECT_EQ(first.opt->state().size(), 5u);  // Adam's m, v, steps; the average and its steps

  TinyRun resumed(0.9f);
  ASSERT_TRUE(ckpt.restore(*resumed.model, *resumed.opt, resumed.history));
  resumed.fit(4, true, {}, {.epoch = 2, .stop = false, .stop_reason = ""});
  EXPECT_EQ(resumed.values(), whole.values());
  EXPECT_EQ(resumed.history.back().val_loss, whole.history.back().val_loss);
}

// Early stopping keeps the weights validation scored: with train.ema, the best epoch's average.
TEST(WeightAverage, EarlyStoppingRestoresTheBestEpochsAverage) {
  struct FirstAverage : Callback {
    std::vector<float> average;
    void on_epoch_end(TrainState& s) override {
      if (average.empty()) {
        const auto a = s.optimizer.average();
        average.assign(a.begin(), a.end());
      }
    }
  } first;
  TinyRun run(0.9f);
  EarlyStopping es({.monitor = "val_loss", .patience = 2, .min_delta = 10.0, .restore_best = true});
  Callback* cbs[] = {&first, &es};
  run.fit(20, true, cbs);
  EXPECT_EQ(es.best_epoch(), 0);
  EXPECT_EQ(run.values(), first.average);
}

}  // namespace
}  // namespace nnlab
