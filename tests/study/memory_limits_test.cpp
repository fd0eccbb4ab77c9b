// A model's memory estimated from its layers' shapes (nn/memory_estimate.hpp) and refused over
// model.max_memory_gb before anything is allocated; a model's outputs checked against its task.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <limits>
#include <string>
#include <vector>

#include "nn/model_builder.hpp"
#include "study/preflight.hpp"
#include "study/session.hpp"
#include "study/study.hpp"
#include "support/test_support.hpp"

namespace nnlab {
namespace {

using test::error_of;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

LayerSpec spec(const std::string& type, std::map<std::string, double> numbers = {},
               std::map<std::string, std::string> strings = {}) {
  return {
      .type = type, .numbers = std::move(numbers), .strings = std::move(strings), .where = type};
}

// The process's peak resident memory so far, in bytes (Linux reports kilobytes).
int64_t peak_rss() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return int64_t{usage.ru_maxrss} * 1024;
}
// What refusing an oversized model may cost: far below the gigabytes it asks for.
constexpr int64_t kRefusalMemory = int64_t{100} << 20;

void expect_contains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "got: " << text << "\nwanted: " << part;
}

// 784 -> dense 100 + relu -> dense 10 (the softmax becomes the head): outputs 100 + 100 + 10 =
// 210 a sample, parameters 784*100 + 100 + 100*10 + 10 = 79,510.
TEST(MemoryEstimate, ADenseNetMatchesHandComputedBytes) {
  const auto loss = make_loss("cross_entropy");
  const ModelShape plan = plan_model({784},
                                     {spec("dense", {{"units", 100}}, {{"activation", "relu"}}),
                                      spec("dense", {{"units", 10}}, {{"activation", "softmax"}})},
                                     *loss);
  EXPECT_EQ(plan.parameters, 79'510);
  EXPECT_EQ(plan.activations, 210);
  const MemoryEstimate m = plan.memory(32, 100);
  EXPECT_EQ(m.parameter_bytes(), 79'510 * 16);                // value, gradient, two moments
  EXPECT_EQ(m.activation_bytes(), 210 * 4 * (3 * 32 + 100));  // 3 floats training, 1 evaluating
  EXPECT_EQ(m.bytes(), 1'272'160 + 164'640);
}

// [1, 28, 28] -> conv 4 x 3x3 [4, 26, 26] -> max pool [4, 13, 13] -> flatten [676] -> dense 10:
// outputs 2704 + 676 + 676 + 10 = 4066 a sample, parameters 4*9 + 4 + 676*10 + 10 = 6810.
TEST(MemoryEstimate, AConvNetMatchesHandComputedBytes) {
  const auto loss = make_loss("cross_entropy");
  const ModelShape plan =
      plan_model({1, 28, 28},
                 {spec("conv2d", {{"filters", 4}, {"kernel", 3}}), spec("max_pool", {{"size", 2}}),
                  spec("flatten"), spec("dense", {{"units", 10}}, {{"activation", "softmax"}})},
                 *loss);
  EXPECT_EQ(plan.parameters, 6810);
  EXPECT_EQ(plan.activations, 4066);
  EXPECT_EQ(plan.memory(8, 0).bytes(), 6810 * 16 + 4066 * 4 * 3 * 8);
}

TEST(MemoryEstimate, SaturatesInsteadOfOverflowing) {
  EXPECT_EQ(saturating_mul(int64_t{1} << 62, 4), kMax);
  EXPECT_EQ(saturating_add(kMax - 1, 2), kMax);
  EXPECT_EQ(saturating_size({1 << 20, 1 << 20, 1 << 20, 1 << 20}), kMax);
  const MemoryEstimate huge{.parameters = kMax / 8, .activations = 1, .batch = 1};
  EXPECT_EQ(huge.bytes(), kMax);
  EXPECT_EQ(format_bytes(kMax), "more than 9.22 EB");
  EXPECT_EQ(format_bytes(37'200'000'000), "37.2 GB");
  EXPECT_EQ(format_bytes(36'000'000'000), "36 GB");
  EXPECT_EQ(format_bytes(999), "999 B");
  EXPECT_EQ(error_of([&] { check_memory(huge, 16); }),
            "the model needs more than 9.22 EB to train (parameters more than 9.22 EB, "
            "activations of a batch of 1: 12 B), over the limit of 16 GB (model.max_memory_gb): "
            "make the model or "
            "the batch smaller, or raise model.max_memory_gb");
}

// Two upsamplings make a [1, 57344, 57344] image; 4096 filters on it would be 1.3e13 values a
// sample, past what any shape arithmetic after it should meet.
TEST(MemoryEstimate, ALayerOutputPastTheLimitIsNamed) {
  const auto loss = make_loss("mse");
  EXPECT_EQ(error_of([&] {
              plan_model({1, 28, 28},
                         {spec("upsample", {{"scale", 64}}), spec("upsample", {{"scale", 32}}),
                          spec("conv2d", {{"filters", 4096}, {"kernel", 1}})},
                         *loss);
            }),
            "conv2d layer 'conv2d3': its output [4096, 57344, 57344] holds 13469017440256 values "
            "a sample, more than the 1099511627776 any memory could train");
}

const std::string kMemoryLimitsStudy = R"(name = "mem"
[data]
train_limit = 200
test_limit = 100
[model]
layers = [{type = "dense", units = 32}, {type = "dense", units = 10, activation = "softmax"}]
[train]
epochs = 1
[[runs]]
name = "ok"
[[runs]]
name = "wide"
model.layers = [{type = "dense", units = 100000}, {type = "dense", units = 100000},
                {type = "dense", units = 100000}, {type = "dense", units = 10}]
[[runs]]
name = "wide-conv"
train.batch = 512
model.layers = [{type = "conv2d", filters = 4096, kernel = 3, padding = "same"},
                {type = "flatten"}, {type = "dense", units = 10}]
[[runs]]
name = "mid"
model.max_memory_gb = 1
model.layers = [{type = "dense", units = 100000}, {type = "dense", units = 10}]
)";

// Parameters 784e5 + 2 x (1e10 + 1e5) + 1e6 + 10: 321 GB with their gradients and moments;
// outputs 3 x (1e5 + 1e5: dense and its relu, model.activation's default) + 10 a sample.
TEST(MemoryEstimate, AStudyOverTheDefaultLimitIsRefusedBeforeTraining) {
  const Study s = parse_study(kMemoryLimitsStudy, "mem.toml", {});
  EXPECT_NO_THROW(check_runs_before_training(s, {"ok"}));
  const std::string wide = error_of([&] { check_runs_before_training(s, {"wide"}); });
  expect_contains(wide,
                  "mem.toml: run 'wide': the model needs about 324 GB to train (parameters "
                  "321 GB, activations of a training batch of 64 and an evaluation batch of "
                  "1000: 2.86 GB), over the limit of ");
  expect_contains(wide,
                  "GB (model.max_memory_gb's default: 16 GB or the machine's memory if "
                  "less)");
  // Activations dominate: 4096 x 28 x 28 outputs twice (conv, flatten) a sample, x (3 x 512 +
  // 1000) floats.
  const std::string conv = error_of([&] { check_runs_before_training(s, {"wide-conv"}); });
  expect_contains(conv,
                  "(parameters 514 MB, activations of a training batch of 512 and an "
                  "evaluation batch of 1000: 65.2 GB)");
  // Raised, the limit lets it through.
  const Study raised =
      parse_study(kMemoryLimitsStudy, "mem.toml", {"runs.wide.model.max_memory_gb=400"});
  EXPECT_NO_THROW(check_runs_before_training(raised, {"wide"}));
}

// The model of "mid" (784 -> dense 1e5 + relu -> dense 10) would allocate 636 MB of values and
// gradients (and its optimizer 636 MB more): refused by make_session itself (every run, search
// trial and bench builds through it) before any of it is allocated.
TEST(MemoryEstimate, AnOversizedModelIsRefusedBeforeAllocating) {
  const Study s = parse_study(kMemoryLimitsStudy, "mem.toml", {});
  const RunSpec& mid = s.runs[3];
  ASSERT_EQ(mid.name, "mid");
  const int64_t before = peak_rss();
  EXPECT_EQ(error_of([&] {
              make_session(test::exec(), mid, {1, 28, 28}, 1, s.path);
            }),
            "mem.toml: run 'mid': the model needs about 2.23 GB to train (parameters 1.27 GB, "
            "activations of a training batch of 64 and an evaluation batch of 1000: 954 MB), over "
            "the limit of 1 GB (model.max_memory_gb): make the model or the batch smaller, or "
            "raise model.max_memory_gb");
  EXPECT_LT(peak_rss() - before, kRefusalMemory);
  const std::string wide = error_of([&] { make_session(test::exec(), s.runs[1], {784}, 1, ""); });
  expect_contains(wide, "the model needs about 324 GB to train");
  EXPECT_LT(peak_rss() - before, kRefusalMemory);
}

TEST(MemoryEstimate, TheLimitKeyIsValidated) {
  for (const char* value : {"0", "1e5", "-1"}) {
    SCOPED_TRACE(value);
    expect_contains(error_of([&] {
                      parse_study(kMemoryLimitsStudy, "mem.toml",
                                  {std::string("model.max_memory_gb=") + value});
                    }),
                    "model.max_memory_gb must be in [0.001, 10000], got ");
  }
  expect_contains(
      error_of([&] { parse_study(kMemoryLimitsStudy, "mem.toml", {"model.max_memory_gb=nan"}); }),
      "model.max_memory_gb must be a finite number");
  EXPECT_EQ(parse_study(kMemoryLimitsStudy, "mem.toml", {"model.max_memory_gb=0.5"})
                .runs[0]
                .model.max_memory_gb,
            0.5);
}

// A last layer of 5 units for MNIST's 10 classes failed in the loss, mid-training: "label 10 of
// sample 466 is outside [0, 10)".
TEST(ModelOutputs, AClassifierNeedsOneOutputPerClass) {
  const Study s = parse_study(kMemoryLimitsStudy, "mem.toml", {"model.layers[1].units=5"});
  EXPECT_EQ(error_of([&] { check_runs_before_training(s, {"ok"}); }),
            "mem.toml: run 'ok': mem.toml:6: model.layers[1] (dense): the "
            "model gives 5 outputs but mnist has 10 classes; a classifier's last layer needs one "
            "output per class");
  const Study multi = parse_study(kMemoryLimitsStudy, "mem.toml", {"data.dataset=multi-mnist"});
  expect_contains(error_of([&] { check_runs_before_training(multi, {"ok"}); }),
                  "the model gives 10 outputs but multi-mnist has 50 classes");
  const Study fifty = parse_study(kMemoryLimitsStudy, "mem.toml",
                                  {"data.dataset=multi-mnist", "model.layers[1].units=50"});
  EXPECT_NO_THROW(check_runs_before_training(fifty, {"ok"}));
}

TEST(ModelOutputs, AnAutoencoderNeedsOneOutputPerInputValue) {
  const std::string ae = R"(name = "ae"
task = "reconstruct"
[model]
layers = [{type = "flatten"}, {type = "dense", units = 32}, {type = "code"},
          {type = "dense", units = 100, activation = "sigmoid"}]
[train]
loss = "mse"
)";
  EXPECT_EQ(error_of([&] { check_runs_before_training(parse_study(ae, "ae.toml", {}), {}); }),
            "ae.toml: run 'ae': ae.toml:5: model.layers[3] (dense): the model gives 100 outputs "
            "[100] but its input [1, 28, 28] has 784 values; an autoencoder's last layer needs "
            "one output per input value");
  EXPECT_NO_THROW(
      check_runs_before_training(parse_study(ae, "ae.toml", {"model.layers[3].units=784"}), {}));
}

}  // namespace
}  // namespace nnlab
