#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>

#include "study/preflight.hpp"
#include "study/study.hpp"
#include "study/study_text.hpp"
#include "support/test_support.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

const char* kStudyFileStudy = R"(name = "demo"
description = "a test study"
seed = 7
repeats = 2
[data]
dataset = "mnist"
train_limit = 1000
validation = 0.1
[model]
activation = "tanh"
init = "glorot_uniform"
l2 = 1e-4
layers = [
  {type = "dense", units = 32},
  {type = "dropout", rate = 0.5},
  {type = "gaussian_noise", sigma = 0.01},
  {type = "dense", units = 10, activation = "softmax", l2 = 0.0},
]
[train]
epochs = 3
batch = 32
optimizer = {type = "sgd", lr = 0.05, momentum = 0.9, nesterov = true}
early_stopping = {patience = 2}

[[runs]]
name = "base"
reference = {test_accuracy = 0.9212, test_accuracy_std = 0.0014, source = "S1"}

[[runs]]
name = "relu"
repeats = 5
model.activation = "relu"
train.optimizer.lr = 0.1
train.epochs = 4

[[runs]]
name = "reg"
sweep = {"model.l2" = [1e-5, 1e-4], "train.batch" = [16, 64]}

[[runs]]
name = "noise"
sweep = {"model.layers.sigma" = [0.02, 0.05]}

[lr_sweep]
run = "base"
rates = [1e-3, 0.1, 1]
)";

// Expects parse_study to throw with every fragment in its message.
void expect_error(const std::string& text, std::initializer_list<const char*> fragments,
                  const std::vector<std::string>& overrides = {}) {
  try {
    parse_study(text, "bad.toml", overrides);
    ADD_FAILURE() << "no error for:\n" << text;
  } catch (const Error& e) {
    const std::string message = e.what();
    for (const char* f : fragments)
      EXPECT_NE(message.find(f), std::string::npos) << "'" << f << "' not in: " << message;
  }
}

TEST(StudyFile, ParsesRunsWithMergedSettings) {
  const Study s = parse_study(kStudyFileStudy, "demo.toml", {});
  EXPECT_EQ(s.name, "demo");
  EXPECT_EQ(s.description, "a test study");
  ASSERT_EQ(s.runs.size(), 8u);  // base, relu, 4 reg, 2 noise

  const RunSpec& base = s.run("base");
  EXPECT_EQ(base.repeats, 2);
  EXPECT_EQ(base.seed, 7u);
  EXPECT_EQ(base.data.train_limit, 1000);
  EXPECT_DOUBLE_EQ(base.data.validation_fraction, 0.1);
  EXPECT_EQ(base.data.validation, 0);
  EXPECT_EQ(base.train.epochs, 3);
  EXPECT_EQ(base.train.batch, 32);
  EXPECT_EQ(base.train.optimizer.type, "sgd");
  EXPECT_FLOAT_EQ(base.train.optimizer.lr, 0.05f);
  EXPECT_TRUE(base.train.optimizer.nesterov);
  EXPECT_TRUE(base.train.early_stopping.enabled);
  EXPECT_EQ(base.train.early_stopping.patience, 2);
  EXPECT_EQ(base.train.early_stopping.monitor, "val_loss");
  ASSERT_TRUE(base.reference.test_accuracy.has_value());
  EXPECT_DOUBLE_EQ(*base.reference.test_accuracy, 0.9212);
  EXPECT_EQ(base.reference.source, "S1");

  ASSERT_EQ(base.model.layers.size(), 4u);
  const LayerSpec& hidden = base.model.layers[0];
  EXPECT_EQ(hidden.type, "dense");
  EXPECT_EQ(hidden.numbers.at("units"), 32);
  EXPECT_EQ(hidden.strings.at("activation"), "tanh");
  EXPECT_EQ(hidden.strings.at("init"), "glorot_uniform");
  EXPECT_DOUBLE_EQ(hidden.numbers.at("l2"), 1e-4);
  EXPECT_EQ(hidden.where, "demo.toml:14: model.layers[0]");
  EXPECT_EQ(base.model.layers[1].numbers.at("rate"), 0.5);
  EXPECT_EQ(base.model.layers[1].strings.count("activation"), 0u);
  const LayerSpec& out = base.model.layers[3];
  EXPECT_EQ(out.strings.at("activation"), "softmax");
  EXPECT_EQ(out.numbers.at("l2"), 0.0);  // its own value wins
  EXPECT_EQ(out.strings.at("init"), "glorot_uniform");

  const RunSpec& relu = s.run("relu");
  EXPECT_EQ(relu.repeats, 5);
  EXPECT_EQ(relu.train.epochs, 4);
  EXPECT_FLOAT_EQ(relu.train.optimizer.lr, 0.1f);
  EXPECT_FLOAT_EQ(relu.train.optimizer.momentum, 0.9f);  // merged from the common table
  EXPECT_EQ(relu.model.layers[0].strings.at("activation"), "relu");
  EXPECT_EQ(relu.model.layers[3].strings.at("activation"), "softmax");
  EXPECT_FALSE(relu.reference.test_accuracy.has_value());

  const RunSpec& reg = s.run("reg-l2=1e-05-batch=16");
  EXPECT_DOUBLE_EQ(reg.model.layers[0].numbers.at("l2"), 1e-5);
  EXPECT_EQ(reg.train.batch, 16);
  EXPECT_EQ(s.run("reg-l2=0.0001-batch=64").train.batch, 64);
  EXPECT_EQ(s.runs[2].name, "reg-l2=1e-05-batch=16");
  EXPECT_EQ(s.runs[3].name, "reg-l2=1e-05-batch=64");
  EXPECT_EQ(s.runs[4].name, "reg-l2=0.0001-batch=16");
  EXPECT_EQ(s.run("noise-sigma=0.05").model.layers[2].numbers.at("sigma"), 0.05);

  ASSERT_TRUE(s.lr_sweep.has_value());
  EXPECT_EQ(s.lr_sweep->run, "base");
  EXPECT_EQ(s.lr_sweep->rates, (std::vector<double>{1e-3, 0.1, 1}));
  EXPECT_EQ(s.lr_sweep->epochs, 1);
}

TEST(StudyFile, RunLooksARunUpByName) {
  Study s = parse_study(kStudyFileStudy, "demo.toml", {});
  EXPECT_EQ(&s.run("relu"), &s.runs[1]);
  s.run("relu").repeats = 9;  // the mutable overload gives the run itself
  EXPECT_EQ(s.runs[1].repeats, 9);
  EXPECT_EQ(test::error_of([&] { (void)s.run("nope"); }),
            "demo.toml: no run 'nope'; runs: base, relu, reg-l2=1e-05-batch=16, "
            "reg-l2=1e-05-batch=64, reg-l2=0.0001-batch=16, reg-l2=0.0001-batch=64, "
            "noise-sigma=0.02, noise-sigma=0.05");
}

TEST(StudyFile, StudyWithoutRunsHasOneNamedAfterIt) {
  const Study s = parse_study("name = \"solo\"\n[model]\nlayers = [{type=\"dense\", units=10}]\n",
                              "solo.toml", {});
  ASSERT_EQ(s.runs.size(), 1u);
  EXPECT_EQ(s.runs[0].name, "solo");
  EXPECT_EQ(s.runs[0].train.epochs, 10);
  EXPECT_EQ(s.runs[0].model.layers[0].strings.count("activation"), 0u);  // the last dense layer
  EXPECT_FALSE(s.lr_sweep.has_value());
}

TEST(StudyFile, ModelInitAndPenaltiesReachConvLayersButNotTheirActivation) {
  const Study s = parse_study(R"(name = "conv"
[model]
activation = "tanh"
init = "he_normal"
l2 = 1e-3
layers = [
  {type = "conv2d", filters = 4, kernel = 3},
  {type = "batch_norm"},
  {type = "relu"},
  {type = "conv2d", filters = 4, kernel = 3, init = "glorot_normal", l2 = 0.0},
  {type = "flatten"},
  {type = "dense", units = 10, activation = "softmax"},
]
)",
                              "conv.toml", {});
  const auto& layers = s.runs[0].model.layers;
  EXPECT_EQ(layers[0].strings.at("init"), "he_normal");
  EXPECT_DOUBLE_EQ(layers[0].numbers.at("l2"), 1e-3);
  EXPECT_EQ(layers[0].strings.count("activation"), 0u);      // conv names its own (here: none)
  EXPECT_EQ(layers[3].strings.at("init"), "glorot_normal");  // its own values win
  EXPECT_EQ(layers[3].numbers.at("l2"), 0.0);
  EXPECT_EQ(layers[1].strings.count("init"), 0u);
  EXPECT_EQ(layers[1].numbers.count("l2"), 0u);
}

TEST(StudyFile, SetOverridesChangeValues) {
  const Study s =
      parse_study(kStudyFileStudy, "demo.toml",
                  {"train.epochs=9", "data.dataset=fashion-mnist", "runs.relu.train.batch=128",
                   "model.layers.rate=0.3", "runs.relu.train.label_smoothing=0.1"});
  EXPECT_EQ(s.run("relu").train.label_smoothing, 0.1f);
  const RunSpec& base = s.run("base");
  EXPECT_EQ(base.train.epochs, 9);
  EXPECT_EQ(base.data.dataset, "fashion-mnist");
  EXPECT_EQ(base.train.batch, 32);
  EXPECT_EQ(base.model.layers[1].numbers.at("rate"), 0.3);
  EXPECT_EQ(s.run("relu").train.batch, 128);
  EXPECT_EQ(s.run("relu").train.epochs, 4);  // the run's own value still wins
  EXPECT_EQ(base.train.label_smoothing, 0.0f);
  EXPECT_NE(s.source_text.find("# --set train.epochs=9\n"), std::string::npos);
}

TEST(StudyFile, SetErrors) {
  expect_error(kStudyFileStudy,
               {"--set train.epoch=3", "unknown key 'train.epoch'", "'train.epochs'"},
               {"train.epoch=3"});
  expect_error(kStudyFileStudy, {"--set runs.nosuch.train.epochs=3", "nosuch", "base, relu"},
               {"runs.nosuch.train.epochs=3"});
  expect_error(kStudyFileStudy,
               {"--set train.epochs=0", "train.epochs must be in [1, 2147483647], got 0"},
               {"train.epochs=0"});
  expect_error(kStudyFileStudy,
               {"--set train.epochs=x", "train.epochs must be an integer, got a string"},
               {"train.epochs=x"});
}

TEST(StudyFile, UnknownKeySuggestsTheClosest) {
  expect_error("[train]\nepoch = 3\n",
               {"bad.toml:2:", "unknown key 'train.epoch'", "did you mean 'train.epochs'?"});
  expect_error("[[runs]]\nname = \"a\"\ntrain.optimizer.lrr = 0.1\n",
               {"bad.toml:3:", "'runs.a.train.optimizer.lrr'", "'runs.a.train.optimizer.lr'"});
  expect_error("seeds = 3\n", {"bad.toml:1:", "unknown key 'seeds'", "'seed'"});
  expect_error("[[runs]]\nname = \"a\"\nsweep = {\"model.activaton\" = [\"relu\"]}\n",
               {"bad.toml:3:", "unknown key 'model.activaton'", "'model.activation'"});
}

TEST(StudyFile, WrongTypes) {
  expect_error("[train]\nepochs = \"ten\"\n",
               {"bad.toml:2:", "train.epochs must be an integer, got a string"});
  expect_error("[train]\nbatch = 64.0\n",
               {"bad.toml:2:", "train.batch must be an integer, got a float"});
  expect_error("[model]\nlayers = [{type=\"dense\", units=10, bias=true}]\n",
               {"bad.toml:2:",
                "model.layers[0].bias must be a number, a string or an array of numbers, got a "
                "boolean"});
  expect_error("[model]\nlayers = [\n  {type=\"reshape\", shape=[1, \"28\", 28]},\n]\n",
               {"bad.toml:3:", "model.layers[0].shape must hold numbers only, got a string"});
}

TEST(StudyFile, LayerListsBecomeLists) {
  const Study s = parse_study(
      "[model]\nlayers = [{type=\"reshape\", shape=[1, 28, 28]}, {type=\"batch_norm\"}]\n",
      "s.toml", {"model.layers.shape=[784]"});
  EXPECT_EQ(s.runs[0].model.layers[0].lists.at("shape"), (std::vector<double>{784}));
  EXPECT_TRUE(s.runs[0].model.layers[1].lists.empty());
}

TEST(StudyFile, ValuesOutOfRange) {
  const std::string layers = "[model]\nlayers = [{type=\"dense\", units=10}]\n";
  expect_error(layers + "[train]\noptimizer = {lr = -0.1}\n",
               {"bad.toml:4:", "train.optimizer.lr must be > 0, got -0.1"});
  expect_error(layers + "[train]\nepochs = 0\n",
               {"bad.toml:4:", "train.epochs must be in [1, 2147483647], got 0"});
  // Checked in full width before narrowing: 2^32 + 1 epochs was read as 1.
  expect_error(layers + "[train]\nepochs = 4294967297\n",
               {"bad.toml:4:", "train.epochs must be in [1, 2147483647], got 4294967297"});
  expect_error("repeats = 2147483648\n" + layers,
               {"bad.toml:1:", "repeats must be in [1, 2147483647]"});
  // A batch's buffers are allocated from it: bounded before anything is.
  expect_error(layers + "[train]\neval_batch = 1000000000000\n",
               {"bad.toml:4:", "train.eval_batch must be in [1, 1000000], got 1000000000000"});
  expect_error(layers + "[train]\nbatch = 2000000\n",
               {"bad.toml:4:", "train.batch must be in [1, 1000000]"});
  expect_error("[data]\nvalidation = 1.5\n" + layers,
               {"bad.toml:2:", "data.validation must be a fraction in (0, 1)", "1.5"});
  expect_error("repeats = 0\n" + layers,
               {"bad.toml:1:", "repeats must be in [1, 2147483647], got 0"});
  expect_error(layers + "[train.early_stopping]\npatience = -1\n",
               {"bad.toml:4:", "train.early_stopping.patience must be in [0, 2147483647], got -1"});
  expect_error(layers + "[train]\noptimizer = {type = \"adagrad\"}\n",
               {"bad.toml:4:", "train.optimizer.type must be one of", "adam"});
  expect_error(layers + "[train]\nlabel_smoothing = 1\n",
               {"bad.toml:4:", "train.label_smoothing must be in [0, 1), got 1"});
  expect_error(layers + "[train]\nloss = \"mse\"\nlabel_smoothing = 0.1\n",
               {"bad.toml:5:", "label_smoothing applies to cross_entropy only", "'mse'"});
}

// The task is declared, not guessed from the data; each task names what it needs of the loss
// and the data where the study sets them.
TEST(StudyFile, TheTaskIsDeclaredAndChecked) {
  const std::string layers = "[model]\nlayers = [{type=\"dense\", units=784}]\n";
  EXPECT_EQ(parse_study(layers, "s.toml", {}).runs[0].task, Task::classify);
  const Study ae =
      parse_study("task = \"reconstruct\"\n" + layers + "[train]\nloss = \"mse\"\n", "ae.toml", {});
  EXPECT_EQ(ae.runs[0].task, Task::reconstruct);
  EXPECT_EQ(parse_study(layers + "[train]\nloss = \"binary_cross_entropy\"\n", "ae.toml",
                        {"task=reconstruct"})
                .runs[0]
                .task,
            Task::reconstruct);
  expect_error("task = \"cluster\"\n" + layers,
               {"bad.toml:1:", "task must be one of", "reconstruct"});
  expect_error(layers + "[train]\nloss = \"mse\"\n",
               {"bad.toml:4:", "task = \"classify\" trains with train.loss = \"cross_entropy\""});
  expect_error("task = \"reconstruct\"\n" + layers,
               {"task = \"reconstruct\" compares values", "got \"cross_entropy\""});
  expect_error("task = \"regress\"\n" + layers + "[train]\nloss = \"mse\"\n",
               {"bad.toml:1:", "task = \"regress\" needs target values", "\"mnist\""});
  expect_error("task = \"reconstruct\"\n" + layers +
                   "[data]\nvalidation = 0.1\n[train]\nloss = \"mse\"\n"
                   "early_stopping = {monitor = \"val_accuracy\"}\n",
               {"monitor = \"val_accuracy\" needs task = \"classify\""});
}

// diagnostics.generation: an autoencoder's samplers, measured by a classify run of the same data
// that runs before it; every misuse is refused naming the key's line.
TEST(StudyFile, GenerationNeedsAnAutoencoderAndAnEarlierClassifier) {
  // Three lines of classifier, five of autoencoder (with or without a code layer).
  const std::string cls =
      "[[runs]]\nname = \"cls\"\nmodel.layers = [{type = \"flatten\"}, {type = \"dense\", "
      "units = 10}]\n";
  const auto ae = [](const std::string& name, bool code = true) {
    return "[[runs]]\nname = \"" + name +
           "\"\ntask = \"reconstruct\"\ntrain.loss = \"mse\"\nmodel.layers = [{type = "
           "\"flatten\"}, {type = \"dense\", units = 4}, " +
           (code ? "{type = \"code\"}, " : "") +
           "{type = \"dense\", units = 784}, {type = \"reshape\", shape = [1, 28, 28]}]\n";
  };
  const std::string gen =
      "diagnostics.generation = {samplers = [\"gaussian\", \"mixture\"], "
      "count = 500, components = 4, classifier = \"cls\"}\n";
  const Study study = parse_study(cls + ae("ae") + gen, "s.toml", {});
  const auto& g = study.runs[1].diagnostics.generation;
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->options.samplers, (std::vector<std::string>{"gaussian", "mixture"}));
  EXPECT_EQ(g->options.count, 500);
  EXPECT_EQ(g->options.components, 4);
  EXPECT_EQ(g->options.fit_limit, 10000);
  EXPECT_EQ(g->classifier, "cls");
  EXPECT_FALSE(study.runs[0].diagnostics.generation.has_value());

  // The classifier must be a classify run before the autoencoder (runs run in file order).
  expect_error(ae("ae") + gen + cls, {"bad.toml:6:", "classifier names no run before 'ae': 'cls'",
                                      "runs before it: none"});
  expect_error(ae("ae") + ae("ae2") + "diagnostics.generation = {classifier = \"ae\"}\n",
               {"bad.toml:11:", "classifier = 'ae' must be a classify run", "it is reconstruct"});
  // Only an autoencoder generates: a reconstruct task with a code layer.
  expect_error(cls + "diagnostics.generation = {count = 10}\n",
               {"bad.toml:4:", "needs task = \"reconstruct\"", "run 'cls' is classify"});
  expect_error(ae("ae", false) + "diagnostics.generation = {count = 10}\n",
               {"bad.toml:6:", "needs a {type = \"code\"} layer"});
  // Every value in range, in its full width.
  const std::string two = cls + ae("ae");
  expect_error(two + "diagnostics.generation = {samplers = [\"vae\"]}\n",
               {"bad.toml:9:", "unknown sampler 'vae'", "full_gaussian"});
  expect_error(two + "diagnostics.generation = {samplers = [\"gaussian\", \"gaussian\"]}\n",
               {"bad.toml:9:", "lists 'gaussian' twice"});
  expect_error(two + "diagnostics.generation = {samplers = []}\n",
               {"bad.toml:9:", "samplers must be a non-empty array"});
  expect_error(two + "diagnostics.generation = {count = 1}\n",
               {"bad.toml:9:", "diagnostics.generation.count must be in [2, 1000000]"});
  expect_error(two + "diagnostics.generation = {count = 4294967298}\n",
               {"bad.toml:9:", "diagnostics.generation.count must be in [2, 1000000]"});
  expect_error(two + "diagnostics.generation = {components = 0}\n",
               {"bad.toml:9:", "diagnostics.generation.components must be in [1, 1000]"});
  expect_error(two + "diagnostics.generation = {fit_limit = -3}\n",
               {"bad.toml:9:", "diagnostics.generation.fit_limit must be in [2, 10000000]"});
  expect_error(two + "diagnostics.generation = {classifier = 3}\n", {"bad.toml:9:"});
}

// Weight decay is coupled (an L2 term in the gradient) or decoupled (AdamW), said explicitly.
TEST(StudyFile, WeightDecayNamesItsForm) {
  const std::string layers = "[model]\nlayers = [{type=\"dense\", units=10}]\n";
  const Study coupled = parse_study(
      layers + "[train]\noptimizer = {type = \"adam\", weight_decay = 1e-5, decay = \"coupled\"}\n",
      "s.toml", {});
  EXPECT_EQ(coupled.runs[0].train.optimizer.decay, WeightDecay::coupled);
  EXPECT_FLOAT_EQ(coupled.runs[0].train.optimizer.weight_decay, 1e-5f);
  const Study adamw = parse_study(
      layers + "[train]\noptimizer = {type = \"adamw\", weight_decay = 0.01}\n", "s.toml", {});
  EXPECT_EQ(adamw.runs[0].train.optimizer.decay, WeightDecay::decoupled);
  expect_error(layers + "[train]\noptimizer = {type = \"adam\", weight_decay = 1e-4}\n",
               {"bad.toml:4:", "train.optimizer.weight_decay = 0.0001 needs train.optimizer.decay",
                "\"coupled\"", "\"decoupled\""});
  expect_error(layers +
                   "[train]\noptimizer = {type = \"adamw\", weight_decay = 1e-4, decay = "
                   "\"coupled\"}\n",
               {"bad.toml:4:", "contradicts type = \"adamw\""});
  expect_error(layers + "[train]\noptimizer = {decay = \"both\"}\n",
               {"bad.toml:4:", "train.optimizer.decay must be one of"});
}

TEST(StudyFile, AugmentationAndOversampling) {
  const std::string layers = "[model]\nlayers = [{type=\"dense\", units=10}]\n";
  const Study s = parse_study(
      layers +
          "[data]\naugment = {shift = 2, rotation = 10, scale = 0.1, elastic_alpha = 34, "
          "elastic_sigma = 4}\noversample = {p = 0.5, noise = 0.05, rotation = 20}\n"
          "[diagnostics]\naugment_preview = 4\n[[runs]]\nname = \"plain\"\n"
          "data.augment.rotation = 0\n[[runs]]\nname = \"p\"\n"
          "sweep = {\"data.oversample.p\" = [0, 1]}\n",
      "aug.toml", {"runs.plain.data.augment.probability=0.5"});
  const DataConfig& plain = s.run("plain").data;
  EXPECT_EQ(plain.augment.shift, 2.f);
  EXPECT_EQ(plain.augment.rotation, 0.f);  // the run's own value over the common table's
  EXPECT_FLOAT_EQ(plain.augment.scale, 0.1f);
  EXPECT_EQ(plain.augment.elastic_alpha, 34.f);
  EXPECT_EQ(plain.augment.elastic_sigma, 4.f);
  EXPECT_EQ(plain.augment.noise, 0.f);
  EXPECT_EQ(plain.augment.probability, 0.5f);
  ASSERT_TRUE(plain.oversample.has_value());
  EXPECT_EQ(plain.oversample->p, 0.5f);
  EXPECT_FLOAT_EQ(plain.oversample->augment.noise, 0.05f);
  EXPECT_EQ(plain.oversample->augment.rotation, 20.f);
  EXPECT_EQ(plain.oversample->augment.shift, 0.f);
  EXPECT_EQ(s.run("plain").diagnostics.augment_preview, 4);
  EXPECT_EQ(s.run("p=1").data.oversample->p, 1.f);
  EXPECT_EQ(s.run("p=1").data.augment.rotation, 10.f);

  // Absent tables: no augmentation, no oversampling, the default preview size.
  const RunSpec bare = parse_study(layers, "bare.toml", {}).runs[0];
  EXPECT_FALSE(bare.data.augment.enabled());
  EXPECT_FALSE(bare.data.oversample.has_value());
  EXPECT_EQ(bare.diagnostics.augment_preview, 16);
  // An empty oversample table balances the classes fully.
  const Study balanced = parse_study(layers + "[data]\noversample = {}\n", "o.toml", {});
  EXPECT_EQ(balanced.runs[0].data.oversample->p, 1.f);
}

TEST(StudyFile, AugmentationErrors) {
  const std::string layers = "[model]\nlayers = [{type=\"dense\", units=10}]\n";
  expect_error(layers + "[data]\naugment = {rotation = -5}\n",
               {"bad.toml:4:", "data.augment.rotation must be in [0, 180], got -5"});
  expect_error(layers + "[data]\naugment = {rotation = 270}\n",
               {"bad.toml:4:", "data.augment.rotation must be in [0, 180], got 270"});
  expect_error(layers + "[data]\noversample = {p = 1.5}\n",
               {"bad.toml:4:", "data.oversample.p must be in [0, 1], got 1.5"});
  expect_error(layers + "[data]\naugment = {rotate = 10}\n",
               {"bad.toml:4:", "unknown key 'data.augment.rotate'",
                "did you mean 'data.augment.rotation'?"});
  expect_error(layers + "[data]\naugment = {scale = 1}\n",
               {"bad.toml:4:", "data.augment.scale must be in [0, 1), got 1"});
  expect_error(layers + "[data]\naugment = {elastic_alpha = 34, elastic_sigma = 0}\n",
               {"bad.toml:4:", "data.augment.elastic_sigma must be in (0, 100], got 0"});
  expect_error(layers + "[data]\naugment = {noise = \"high\"}\n",
               {"bad.toml:4:", "data.augment.noise must be a number, got a string"});
  expect_error(layers + "[data]\naugment = 2\n",
               {"bad.toml:4:", "data.augment must be a table, got an integer"});
  expect_error(layers + "[data]\noversample = {p = 0.5, shfit = 2}\n",
               {"bad.toml:4:", "unknown key 'data.oversample.shfit'", "'data.oversample.shift'"});
  expect_error(layers + "[diagnostics]\naugment_preview = -1\n",
               {"bad.toml:4:", "diagnostics.augment_preview must be in [0, 2147483647], got -1"});
  expect_error(layers, {"--set data.augment.probability=2", "must be in [0, 1], got 2"},
               {"data.augment.probability=2"});
}

TEST(StudyFile, RunNamesAndLrSweep) {
  const std::string layers = "[model]\nlayers = [{type=\"dense\", units=10}]\n";
  expect_error(layers + "[[runs]]\nname = \"a\"\n[[runs]]\nname = \"a\"\n",
               {"bad.toml:6:", "'a' is used by two runs"});
  expect_error(layers +
                   "[lr_sweep]\nrun = \"sigmod\"\nrates = [0.1]\n[[runs]]\nname = "
                   "\"sigmoid\"\n",
               {"bad.toml:4:", "lr_sweep.run", "sigmod", "did you mean 'sigmoid'?"});
}

TEST(StudyFile, EnsemblesNameTwoOrMoreClassifierRuns) {
  const std::string runs =
      "[model]\nlayers = [{type=\"dense\", units=10}]\n"
      "[[runs]]\nname = \"deep\"\n[[runs]]\nname = \"wide\"\n[[runs]]\nname = \"ae\"\n"
      "task = \"reconstruct\"\nmodel.layers = [{type=\"dense\", units=784}]\n"
      "train.loss = \"mse\"\n";
  const Study s = parse_study(runs +
                                  "[[ensembles]]\nname = \"both\"\nruns = [\"wide\", \"deep\"]\n"
                                  "[[ensembles]]\nname = \"again\"\nruns = [\"deep\", \"wide\"]\n",
                              "e.toml", {});
  ASSERT_EQ(s.ensembles.size(), 2u);
  EXPECT_EQ(s.ensembles[0].name, "both");
  EXPECT_EQ(s.ensembles[0].runs, (std::vector<std::string>{"wide", "deep"}));  // the file's order
  EXPECT_EQ(s.ensembles[1].name, "again");
  EXPECT_TRUE(parse_study(runs, "e.toml", {}).ensembles.empty());

  expect_error(
      runs + "[[ensembles]]\nname = \"both\"\nruns = [\"deep\", \"wdie\"]\n",
      {"bad.toml:14:", "ensembles.both.runs names no run: 'wdie'", "did you mean 'wide'?"});
  expect_error(runs + "[[ensembles]]\nname = \"both\"\nruns = [\"deep\", \"deep\"]\n",
               {"bad.toml:14:", "names run 'deep' twice"});
  expect_error(runs + "[[ensembles]]\nname = \"both\"\nruns = [\"deep\"]\n",
               {"bad.toml:14:", "ensembles.both.runs must name at least two runs"});
  expect_error(runs + "[[ensembles]]\nname = \"both\"\nruns = [\"deep\", \"ae\"]\n",
               {"bad.toml:14:", "run 'ae' is not a classifier"});
  expect_error(runs + "[[ensembles]]\nname = \"deep\"\nruns = [\"deep\", \"wide\"]\n",
               {"bad.toml:13:", "ensemble 'deep' has the name of a run"});
  expect_error(runs +
                   "[[ensembles]]\nname = \"e\"\nruns = [\"deep\", \"wide\"]\n"
                   "[[ensembles]]\nname = \"e\"\nruns = [\"wide\", \"deep\"]\n",
               {"bad.toml:16:", "ensembles.name 'e' is used by two ensembles"});
  expect_error(runs + "[[ensembles]]\nname = \"e\"\n",
               {"bad.toml:12:", "every [[ensembles]] entry needs a name and runs"});
  expect_error(runs + "[[ensembles]]\nname = \"e\"\nruns = [\"deep\", \"wide\"]\nk = 3\n",
               {"bad.toml:15:", "unknown key 'ensembles.e.k'"});
  expect_error(runs + "[[ensembles]]\nname = \"e\"\nruns = []\n",
               {"bad.toml:14:", "ensembles.e.runs must be a non-empty array of strings"});
  expect_error("ensembles = 3\n" + runs,
               {"bad.toml:1:", "ensembles must be an array of tables ([[ensembles]])"});
}

// A sweep is a search grid kept run by run: the grid's limit holds before a run is made (four
// axes of 32 values would have made 1,048,576 runs at once).
TEST(StudyFile, SweepGridsAreBoundedLikeSearchGrids) {
  std::string values = "[";
  for (int i = 1; i <= 32; ++i) values += fmt::format("{}{}", i > 1 ? ", " : "", i);
  values += "]";
  expect_error(
      "[model]\nlayers = [{type=\"dense\", units=10}]\n[[runs]]\nname = \"wide\"\n"
      "sweep = {\"train.epochs\" = " +
          values + ", \"train.batch\" = " + values + ", \"seed\" = " + values +
          ", \"repeats\" = " + values + "}\n",
      {"bad.toml: sweep of run 'wide'", "1000000"});
}

TEST(StudyFile, SyntaxErrorAndMissingFile) {
  expect_error("[train]\nepochs = = 3\n", {"bad.toml:2:"});
  try {
    load_study("/nonexistent/study.toml", {});
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/study.toml"), std::string::npos);
  }
}

TEST(StudyFile, ShippedExperimentsParse) {
  const auto dir = std::filesystem::path(NNLAB_SOURCE_DIR) / "experiments";
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".toml") continue;
    SCOPED_TRACE(entry.path().string());
    const Study s = load_study(entry.path().string(), {});
    EXPECT_FALSE(s.runs.empty());
    // Every run's model too: shapes, memory, outputs that match the task.
    EXPECT_NO_THROW(check_runs_before_training(s, {}));
    ++count;
  }
  EXPECT_GE(count, 4);
}

}  // namespace
}  // namespace nnlab

namespace nnlab {
namespace {

TEST(StudyFile, ScheduleRejectsAnInfiniteMinimumAndOverlongWarmups) {
  const std::string study = "[model]\nlayers = [{type = \"dense\", units = 10}]\n";
  expect_error(study, {"train.schedule.min_lr must be a finite number, got inf"},
               {"train.schedule.min_lr=inf"});
  expect_error(study, {"train.schedule.warmup_steps must be in [0, 1000000000]"},
               {"train.schedule.warmup_steps=9223372036854775807"});
  expect_error(study, {"train.schedule.warmup_epochs must be in [0, 1000000]"},
               {"train.schedule.warmup_epochs=2147483648"});
}

}  // namespace
}  // namespace nnlab
