#include "train/trainer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <numeric>

#include "nn/model_builder.hpp"
#include "support/test_support.hpp"
#include "train/checkpoint.hpp"
#include "train/early_stopping.hpp"

namespace nnlab {
namespace {

/// Two Gaussian blobs in 4-D, separable: a tiny classification problem.
Dataset separable_blobs(int64_t n, uint64_t seed) {
  Dataset d;
  d.name = "blobs";
  d.sample_shape = {4};
  d.class_names = {"a", "b"};
  Rng rng(seed);
  for (int64_t i = 0; i < n; ++i) {
    const int32_t c = static_cast<int32_t>(i % 2);
    d.labels.push_back(c);
    for (int j = 0; j < 4; ++j) d.features.push_back(rng.normal(c ? 1.0f : -1.0f, 0.7f));
  }
  return d;
}

struct TrainerFixture {
  Dataset train = separable_blobs(256, 1), val = separable_blobs(64, 2);
  std::unique_ptr<Loss> loss = make_loss("cross_entropy");
  std::unique_ptr<Model> model;
  std::unique_ptr<Optimizer> opt;
  History history;

  explicit TrainerFixture(float lr = 0.05f) {
    std::vector<LayerSpec> specs = {
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
    opt = make_optimizer({.type = "adam", .lr = lr}, model->values(), model->grads(),
                         model->parameters());
  }
  double max_loss_growth = 1e4;
  int max_rollbacks = 0;

  void fit(int epochs, std::span<Callback* const> callbacks, ResumePoint start = {},
           ScheduleConfig schedule = {}, int schedule_epochs = 0) {
    std::vector<int64_t> idx(static_cast<size_t>(train.size()));
    std::iota(idx.begin(), idx.end(), int64_t{0});
    Loader loader(train, idx, {.batch = 32, .shuffle = true, .seed = 11});
    Trainer t(*model, *loss, *opt, options(epochs, std::move(schedule), schedule_epochs));
    const DataView v = DataView::all(std::make_shared<const Dataset>(val));
    t.fit(loader, &v, history, start, callbacks);
  }
  /// fit_or_roll_back with max_rollbacks and a factor of 0.5; `rolled` gets each rollback.
  FitEnd fit_or_roll_back(int epochs, std::span<Callback* const> callbacks,
                          const Checkpointer* checkpoint, ResumePoint start = {},
                          std::vector<Rollback>* rolled = nullptr) {
    std::vector<int64_t> idx(static_cast<size_t>(train.size()));
    std::iota(idx.begin(), idx.end(), int64_t{0});
    Loader loader(train, idx, {.batch = 32, .shuffle = true, .seed = 11});
    Trainer t(*model, *loss, *opt, options(epochs, {}, 0));
    const DataView v = DataView::all(std::make_shared<const Dataset>(val));
    return t.fit_or_roll_back(loader, &v, history, start, callbacks, checkpoint,
                              [rolled](const Rollback& r) {
                                if (rolled) rolled->push_back(r);
                              });
  }
  TrainOptions options(int epochs, ScheduleConfig schedule, int schedule_epochs) const {
    TrainOptions o;
    o.epochs = epochs;
    o.schedule_epochs = schedule_epochs;
    o.base_lr = opt->config().lr;
    o.schedule = std::move(schedule);
    o.seed = 5;
    o.max_loss_growth = max_loss_growth;
    o.max_rollbacks = max_rollbacks;
    o.rollback_lr_factor = 0.5f;
    return o;
  }
};

TEST(Trainer, LearnsASeparableProblem) {
  TrainerFixture f;
  f.fit(20, {});
  ASSERT_EQ(f.history.size(), 20u);
  EXPECT_LT(f.history.back().train_loss, f.history.front().train_loss * 0.5);
  EXPECT_GT(f.history.back().val_accuracy, 0.9);
}

// Each epoch's step phases (nnlab bench's breakdown) count its steps, and their time lies within
// the epoch's measured time.
TEST(Trainer, StepPhasesCoverEveryStepOfTheirEpoch) {
  TrainerFixture f;
  f.fit(3, {});
  ASSERT_EQ(f.history.size(), 3u);
  for (const EpochStats& e : f.history) {
    const StepPhases& p = e.phases;
    EXPECT_EQ(p.steps, 256 / 32);
    for (double phase : {p.loader, p.forward, p.loss, p.backward, p.optimizer}) EXPECT_GT(phase, 0);
    EXPECT_GE(p.other, 0);
    EXPECT_LE(p.loader + p.forward + p.loss + p.backward + p.optimizer + p.other, e.seconds);
  }
}

TEST(Trainer, SameSeedSameNumbers) {
  TrainerFixture a, b;
  a.fit(3, {});
  b.fit(3, {});
  EXPECT_EQ(a.history.back().val_loss, b.history.back().val_loss);
  EXPECT_TRUE(
      std::equal(a.model->values().begin(), a.model->values().end(), b.model->values().begin()));
}

TEST(Trainer, ResumeFromCheckpointGivesTheSameResult) {
  const std::string path = (test::temp_dir() / "ckpt.safetensors").string();
  TrainerFixture whole;
  whole.fit(6, {});

  TrainerFixture first;  // trains 3 epochs, checkpointing, then "crashes"
  Checkpointer ckpt(path, {});
  Callback* cbs[] = {&ckpt};
  first.fit(3, cbs);

  TrainerFixture resumed;  // a fresh process: restores and continues to 6
  ASSERT_TRUE(ckpt.restore(*resumed.model, *resumed.opt, resumed.history));
  ASSERT_EQ(resumed.history.size(), 3u);
  resumed.fit(6, {}, {.epoch = 3, .stop = false, .stop_reason = ""});
  EXPECT_EQ(resumed.history.back().val_loss, whole.history.back().val_loss);
  EXPECT_TRUE(std::equal(whole.model->values().begin(), whole.model->values().end(),
                         resumed.model->values().begin()));
}

// Every byte of a checkpoint counts: a flipped bit in the weights, the optimizer state or the
// history is refused on resume, naming the file.
TEST(Trainer, ACorruptedCheckpointIsRefused) {
  const std::string path = (test::temp_dir() / "ckpt_corrupt.safetensors").string();
  TrainerFixture first;
  Checkpointer ckpt(path, {});
  Callback* cbs[] = {&ckpt};
  first.fit(2, cbs);
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  uint64_t header = 0;
  std::memcpy(&header, bytes.data(), 8);
  // A byte of the last tensor, one of the first, and a digit of the history's first loss.
  const size_t history = bytes.find("[[0,");
  ASSERT_NE(history, std::string::npos);
  for (size_t at : {bytes.size() - 3, static_cast<size_t>(8 + header + 5), history + 8}) {
    std::string bad = bytes;
    bad[at] = static_cast<char>(bad[at] ^ 0x04);
    std::ofstream(path, std::ios::binary) << bad;
    TrainerFixture resumed;
    const std::string error =
        test::error_of([&] { ckpt.restore(*resumed.model, *resumed.opt, resumed.history); });
    EXPECT_NE(error.find(path), std::string::npos) << at << ": " << error;
    EXPECT_NE(error.find("checksum"), std::string::npos) << at << ": " << error;
  }
  std::ofstream(path, std::ios::binary) << bytes;  // the file as written resumes
  TrainerFixture resumed;
  EXPECT_TRUE(ckpt.restore(*resumed.model, *resumed.opt, resumed.history));
}

TEST(Trainer, ACheckpointWithNanWeightsIsRefused) {
  const std::string path = (test::temp_dir() / "ckpt_nan.safetensors").string();
  TrainerFixture f;
  f.model->values()[3] = std::numeric_limits<float>::quiet_NaN();
  Checkpointer ckpt(path, {});
  TrainState s{*f.model, *f.opt, f.history};
  ckpt.on_epoch_end(s);
  TrainerFixture resumed;
  EXPECT_NE(test::error_of([&] {
              ckpt.restore(*resumed.model, *resumed.opt, resumed.history);
            }).find("NaN or infinite weights"),
            std::string::npos);
}

TEST(Trainer, EarlyStoppingStopsAndRestoresTheBestWeights) {
  TrainerFixture f(0.05f);
  EarlyStopping es({.monitor = "val_loss", .patience = 2, .min_delta = 10.0, .restore_best = true});
  Callback* cbs[] = {&es};
  f.fit(50, cbs);
  // No epoch can improve by 10: the first is the best, and training stops after patience.
  EXPECT_EQ(es.best_epoch(), 0);
  EXPECT_EQ(f.history.size(), 3u);
  EXPECT_EQ(
      es.message(),
      fmt::format("Epoch 3: early stopping; restoring the weights of epoch 1 (val_loss {:.4g})",
                  f.history[0].val_loss));
}

TEST(Trainer, EarlyStoppingWithoutRestoreSaysItKeepsTheLastWeights) {
  TrainerFixture f(0.05f);
  EarlyStopping es(
      {.monitor = "val_accuracy", .patience = 1, .min_delta = 10.0, .restore_best = false});
  Callback* cbs[] = {&es};
  f.fit(50, cbs);
  ASSERT_EQ(f.history.size(), 2u);
  EXPECT_EQ(es.message(),
            fmt::format("Epoch 2: early stopping; keeping the last weights (best: epoch 1, "
                        "val_accuracy {:.4g})",
                        f.history[0].val_accuracy));
}

TEST(Trainer, EarlyStoppingThatNeverStopsSaysNothing) {
  TrainerFixture f(0.05f);
  EarlyStopping es({.monitor = "val_loss", .patience = 5, .min_delta = 0.0, .restore_best = true});
  Callback* cbs[] = {&es};
  f.fit(2, cbs);
  EXPECT_EQ(es.message(), "");
}

TEST(Trainer, ResumeAfterEarlyStoppingTrainsNoFurtherEpoch) {
  const std::string path = (test::temp_dir() / "ckpt.safetensors").string();
  const EarlyStoppingOptions stop_at_once{
      .monitor = "val_loss", .patience = 2, .min_delta = 10.0, .restore_best = true};
  TrainerFixture whole;
  EarlyStopping es(stop_at_once);
  Checkpointer ckpt(path, {&es});
  Callback* cbs[] = {&es, &ckpt};
  whole.fit(50, cbs);
  ASSERT_EQ(whole.history.size(), 3u);

  // The process is killed right after the last checkpoint; a fresh one resumes from it.
  TrainerFixture resumed;
  EarlyStopping es2(stop_at_once);
  Checkpointer ckpt2(path, {&es2});
  const std::optional<ResumePoint> point =
      ckpt2.restore(*resumed.model, *resumed.opt, resumed.history);
  ASSERT_TRUE(point.has_value());
  EXPECT_TRUE(point->stop);
  EXPECT_EQ(point->stop_reason, "early_stopping");
  Callback* cbs2[] = {&es2, &ckpt2};
  resumed.fit(50, cbs2, *point);
  EXPECT_EQ(resumed.history.size(), 3u);  // not a 4th epoch
  EXPECT_EQ(es2.best_epoch(), 0);
  EXPECT_TRUE(std::equal(whole.model->values().begin(), whole.model->values().end(),
                         resumed.model->values().begin()));  // the best epoch's, restored
}

TEST(Trainer, ARunStoppedEarlyFollowsThePlannedScheduleNotACompressedOne) {
  const ScheduleConfig cosine{.type = "cosine"};
  TrainerFixture full, stopped;
  full.fit(6, {}, {}, cosine);
  stopped.fit(3, {}, {}, cosine, /*schedule_epochs=*/6);
  ASSERT_EQ(stopped.history.size(), 3u);
  for (size_t e = 0; e < 3; ++e) EXPECT_EQ(stopped.history[e].lr, full.history[e].lr) << e;
  EXPECT_TRUE(std::equal(
      full.history.begin(), full.history.begin() + 3, stopped.history.begin(),
      [](const EpochStats& a, const EpochStats& b) { return a.train_loss == b.train_loss; }));
  // 8 batches an epoch: the second epoch starts at step 8 of 48.
  EXPECT_FLOAT_EQ(static_cast<float>(full.history[1].lr),
                  learning_rate(cosine, 0.05f, 8, {.steps_per_epoch = 8, .total_steps = 48}));
}

TEST(Trainer, NonFiniteLossStopsWithAClearError) {
  TrainerFixture f;
  f.train.features[17] = std::numeric_limits<float>::quiet_NaN();  // one poisoned sample
  try {
    f.fit(5, {});
    FAIL() << "expected divergence";
  } catch (const DivergedError& e) {
    EXPECT_NE(std::string(e.what()).find("diverged at epoch"), std::string::npos) << e.what();
  }
}

// Puts a NaN or infinity into the first weight's value or gradient at one batch, after the
// backward pass and before the optimizer's step (callbacks run between the two); at most
// `times` times (a rolled back run passes the step again).
struct Poison : Callback {
  enum Where { value, gradient } where;
  int64_t at_step;
  float poison;
  int times;
  Poison(Where w, int64_t step, float p, int n = std::numeric_limits<int>::max())
      : where(w), at_step(step), poison(p), times(n) {}
  void on_batch_end(TrainState& s) override {
    if (s.step != at_step || times == 0) return;
    --times;
    if (where == value) s.model.values()[0] = poison;
    if (where == gradient) s.model.grads()[0] = poison;
  }
};

std::string divergence_of(TrainerFixture& f, Callback& c) {
  Callback* callbacks[] = {&c};
  try {
    f.fit(3, callbacks);
  } catch (const DivergedError& e) {
    return e.what();
  }
  return "no divergence";
}

// Caught in the step where it appears, naming the epoch, the batch and the parameter: a NaN
// weight behind a saturating or rectifying unit may never make the loss NaN.
TEST(Trainer, ANonFiniteWeightOrGradientStopsWithinTheStep) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const std::string name = TrainerFixture().model->parameters()[0]->name;
  for (float poison : {nan, inf, -inf}) {
    TrainerFixture a, b;
    Poison weight(Poison::value, 10, poison), gradient(Poison::gradient, 10, poison);
    // 8 batches an epoch: step 10 is epoch 2's third batch.
    EXPECT_EQ(divergence_of(a, weight),
              fmt::format("training diverged at epoch 2, batch 3: a value of {} is NaN or "
                          "infinite after the update",
                          name));
    EXPECT_EQ(divergence_of(b, gradient),
              fmt::format("training diverged at epoch 2, batch 3: a gradient of {} is NaN or "
                          "infinite",
                          name));
  }
}

TEST(Trainer, ALossGrowingPastItsLimitIsDivergence) {
  TrainerFixture f(1e6f);  // Adam at lr 1e6: finite losses of 1e6 and more
  try {
    f.fit(5, {});
    FAIL() << "expected divergence";
  } catch (const DivergedError& e) {
    EXPECT_NE(std::string(e.what()).find("times the first batch's"), std::string::npos) << e.what();
  }
}

bool all_finite(std::span<const float> v) {
  return std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); });
}

// A run that diverges in its first epoch still has a last good state: the checkpoint written
// before the first step, which holds the initial weights and no epoch.
TEST(Trainer, ACheckpointOfTheInitialStateExistsBeforeTheFirstStep) {
  const std::string path = (test::temp_dir() / "ckpt_initial.safetensors").string();
  std::filesystem::remove(path);
  TrainerFixture f;
  const std::vector<float> initial(f.model->values().begin(), f.model->values().end());
  Checkpointer ckpt(path, {});
  Poison nan(Poison::value, 2, std::numeric_limits<float>::quiet_NaN());  // epoch 1, batch 3
  Callback* cbs[] = {&nan, &ckpt};
  const FitEnd end = f.fit_or_roll_back(3, cbs, &ckpt);  // max_rollbacks 0: stop
  EXPECT_NE(end.diverged.find("training diverged at epoch 1, batch 3"), std::string::npos)
      << end.diverged;
  EXPECT_TRUE(end.rollbacks.empty());
  ASSERT_TRUE(std::filesystem::exists(path));
  TrainerFixture restored;
  std::fill(restored.model->values().begin(), restored.model->values().end(), 0.0f);
  const std::optional<ResumePoint> point =
      ckpt.restore(*restored.model, *restored.opt, restored.history);
  ASSERT_TRUE(point.has_value());
  EXPECT_EQ(point->epoch, 0);
  EXPECT_TRUE(restored.history.empty());
  EXPECT_TRUE(std::equal(initial.begin(), initial.end(), restored.model->values().begin()));
}

// train.on_divergence = "rollback": the poisoned step is undone by the last checkpoint (epoch
// 1's), and training goes on at half the rate to the end, with finite weights.
TEST(Trainer, ARollbackRestoresTheLastCheckpointAndHalvesTheRate) {
  const std::string path = (test::temp_dir() / "ckpt_rollback.safetensors").string();
  TrainerFixture f;
  f.max_rollbacks = 3;
  Checkpointer ckpt(path, {});
  Poison once(Poison::value, 10, std::numeric_limits<float>::infinity(), 1);
  Callback* cbs[] = {&once, &ckpt};
  std::vector<Rollback> printed;
  const FitEnd end = f.fit_or_roll_back(3, cbs, &ckpt, {}, &printed);
  EXPECT_EQ(end.diverged, "");
  ASSERT_EQ(end.rollbacks.size(), 1u);
  EXPECT_EQ(end.rollbacks[0].epoch, 2);
  EXPECT_EQ(end.rollbacks[0].batch, 3);
  EXPECT_EQ(end.rollbacks[0].lr, 0.025f);
  EXPECT_NE(end.rollbacks[0].diverged.find("is NaN or infinite after the update"),
            std::string::npos);
  ASSERT_EQ(printed.size(), 1u);
  EXPECT_EQ(printed[0].lr, 0.025f);
  ASSERT_EQ(f.history.size(), 3u);
  EXPECT_FLOAT_EQ(static_cast<float>(f.history[0].lr), 0.05f);
  EXPECT_FLOAT_EQ(static_cast<float>(f.history[1].lr), 0.025f);
  EXPECT_FLOAT_EQ(static_cast<float>(f.history[2].lr), 0.025f);
  EXPECT_TRUE(all_finite(f.model->values()));
  EXPECT_GT(f.history.back().val_accuracy, 0.8);
}

// After max_rollbacks the run stops as it would without them, each rollback recorded.
TEST(Trainer, RollbacksStopAfterTheirLimit) {
  const std::string path = (test::temp_dir() / "ckpt_rollbacks.safetensors").string();
  TrainerFixture f;
  f.max_rollbacks = 3;
  Checkpointer ckpt(path, {});
  Poison always(Poison::gradient, 10, std::numeric_limits<float>::quiet_NaN());
  Callback* cbs[] = {&always, &ckpt};
  const FitEnd end = f.fit_or_roll_back(3, cbs, &ckpt);
  EXPECT_NE(end.diverged.find("training diverged at epoch 2, batch 3: a gradient"),
            std::string::npos)
      << end.diverged;
  ASSERT_EQ(end.rollbacks.size(), 3u);
  EXPECT_EQ(end.rollbacks[0].lr, 0.025f);
  EXPECT_EQ(end.rollbacks[1].lr, 0.0125f);
  EXPECT_EQ(end.rollbacks[2].lr, 0.00625f);
  EXPECT_EQ(f.history.size(), 1u);  // the last good state's
}

// A run killed after a rollback and resumed from its checkpoint goes on at the lowered rate, as
// the uninterrupted run does: the checkpoint carries the rollbacks.
TEST(Trainer, AResumeAfterARollbackKeepsTheLoweredRate) {
  const std::string path = (test::temp_dir() / "ckpt_rollback_resume.safetensors").string();
  TrainerFixture whole;
  whole.max_rollbacks = 3;
  {
    Checkpointer ckpt(path, {});
    Poison once(Poison::value, 10, std::numeric_limits<float>::quiet_NaN(), 1);
    Callback* cbs[] = {&once, &ckpt};
    ASSERT_EQ(whole.fit_or_roll_back(5, cbs, &ckpt).rollbacks.size(), 1u);
  }
  TrainerFixture first;  // the same, "killed" after epoch 3
  first.max_rollbacks = 3;
  Checkpointer ckpt(path, {});
  Poison once(Poison::value, 10, std::numeric_limits<float>::quiet_NaN(), 1);
  Callback* cbs[] = {&once, &ckpt};
  first.fit_or_roll_back(3, cbs, &ckpt);

  TrainerFixture resumed;
  resumed.max_rollbacks = 3;
  const std::optional<ResumePoint> point =
      ckpt.restore(*resumed.model, *resumed.opt, resumed.history);
  ASSERT_TRUE(point.has_value());
  ASSERT_EQ(point->rollbacks.size(), 1u);
  const FitEnd end = resumed.fit_or_roll_back(5, {}, &ckpt, *point);
  EXPECT_EQ(end.rollbacks.size(), 1u);
  EXPECT_FLOAT_EQ(static_cast<float>(resumed.history.back().lr), 0.025f);
  EXPECT_TRUE(std::equal(whole.model->values().begin(), whole.model->values().end(),
                         resumed.model->values().begin()));
}

// max_loss_growth measures from the run's first batch, not the resumed process's: with a limit
// of 1 (no batch loss may exceed the first), the uninterrupted run never diverges, and neither
// may the same run resumed from a checkpoint whose first batch loss is already low.
TEST(Trainer, TheLossGrowthReferenceSurvivesAResume) {
  const std::string path = (test::temp_dir() / "ckpt_growth.safetensors").string();
  TrainerFixture whole;
  whole.max_loss_growth = 1.0;
  whole.fit(6, {});
  ASSERT_EQ(whole.history.size(), 6u);

  TrainerFixture first;
  first.max_loss_growth = 1.0;
  Checkpointer ckpt(path, {});
  Callback* cbs[] = {&ckpt};
  first.fit(3, cbs);
  TrainerFixture resumed;
  resumed.max_loss_growth = 1.0;
  const std::optional<ResumePoint> point =
      ckpt.restore(*resumed.model, *resumed.opt, resumed.history);
  ASSERT_TRUE(point.has_value());
  EXPECT_GT(point->first_loss, 0.0);
  EXPECT_NO_THROW(resumed.fit(6, {}, *point));
  EXPECT_TRUE(std::equal(whole.model->values().begin(), whole.model->values().end(),
                         resumed.model->values().begin()));

  // Measured from the resumed process's first batch, as before the checkpoint kept it, the same
  // run diverges: the test tells the two apart.
  TrainerFixture measured_anew;
  measured_anew.max_loss_growth = 1.0;
  ResumePoint anew = *ckpt.restore(*measured_anew.model, *measured_anew.opt, measured_anew.history);
  anew.first_loss = 0;
  EXPECT_THROW(measured_anew.fit(6, {}, anew), DivergedError);
}

TEST(EarlyStopping, RejectsAnUnknownMonitor) {
  EXPECT_THROW(EarlyStopping({.monitor = "val_los"}), Error);
}

}  // namespace
}  // namespace nnlab
