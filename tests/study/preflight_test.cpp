// The checks before a study trains: --run names and every selected run's model, made before
// any data is read or any file written.
#include "study/preflight.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "study/runner.hpp"
#include "study/session.hpp"
#include "support/test_support.hpp"

namespace nnlab {
namespace {

namespace fs = std::filesystem;
using test::error_of;

// Three runs; "cnn-big" has a kernel larger than the image, "budget" more parameters than its
// max_params (784*32 + 32 + 32*10 + 10 = 25450).
const char* kPreflightStudy = R"(name = "pre"
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
name = "cnn-big"
model.layers = [{type = "conv2d", filters = 2, kernel = 29}, {type = "flatten"},
                {type = "dense", units = 10, activation = "softmax"}]
[[runs]]
name = "budget"
model.max_params = 25449
)";

TEST(Preflight, UnknownRunListsTheRuns) {
  const Study s = parse_study(kPreflightStudy, "pre.toml", {});
  EXPECT_EQ(error_of([&] {
              check_runs_before_training(s, {"ok", "nosuch"});
            }),
            "--run 'nosuch': no such run in pre.toml; runs: ok, cnn-big, budget");
}

TEST(Preflight, ChecksTheModelsOfTheSelectedRunsOnly) {
  const Study s = parse_study(kPreflightStudy, "pre.toml", {});
  EXPECT_NO_THROW(check_runs_before_training(s, {"ok"}));
  EXPECT_EQ(error_of([&] { check_runs_before_training(s, {"cnn-big"}); }),
            "pre.toml: run 'cnn-big': conv2d layer 'conv2d1': a 29x29 kernel with padding 0 does "
            "not fit the input [1, 28, 28]");
  EXPECT_EQ(error_of([&] { check_runs_before_training(s, {"budget"}); }),
            "pre.toml: run 'budget': model.max_params is 25449 but the model has 25450 parameters");
  EXPECT_NE(error_of([&] { check_runs_before_training(s, {}); }).find("run 'cnn-big'"),
            std::string::npos);
  // An unknown dataset is known to be one before any file is looked for.
  const Study unknown = parse_study(kPreflightStudy, "pre.toml", {"data.dataset=nosuch"});
  EXPECT_EQ(error_of([&] { check_runs_before_training(unknown, {"ok"}); }),
            "pre.toml: run 'ok': unknown dataset 'nosuch'; known datasets: mnist, fashion-mnist, "
            "multi-mnist");
  // The budget met exactly passes.
  const Study exact =
      parse_study(kPreflightStudy, "pre.toml", {"runs.budget.model.max_params=25450"});
  EXPECT_NO_THROW(check_runs_before_training(exact, {"ok", "budget"}));
}

// A corruption that cannot apply to the run's samples is refused before training, naming the
// key: an occlusion larger than the image, any corruption of rows.
TEST(Preflight, CorruptionsMustFitTheSamples) {
  const Study big = parse_study(kPreflightStudy, "pre.toml", {"data.corrupt=occlusion:29"});
  EXPECT_EQ(error_of([&] { check_runs_before_training(big, {"ok"}); }),
            "pre.toml: run 'ok': data.corrupt: corruption occlusion:29: the square does not fit "
            "in 28 x 28 images");
  const Study fits =
      parse_study(kPreflightStudy, "pre.toml", {"diagnostics.corruptions=[\"occlusion:28\"]"});
  EXPECT_NO_THROW(check_runs_before_training(fits, {"ok"}));
  const Study listed = parse_study(kPreflightStudy, "pre.toml",
                                   {"diagnostics.corruptions=[\"none\", \"occlusion:30\"]"});
  EXPECT_NE(error_of([&] {
              check_runs_before_training(listed, {"ok"});
            }).find("run 'ok': diagnostics.corruptions: corruption occlusion:30"),
            std::string::npos);
}

TEST(Preflight, ABadLaterRunStopsTheStudyBeforeAnythingIsWritten) {
  const Study s = parse_study(kPreflightStudy, "pre.toml", {});
  const fs::path out = test::temp_dir() / "out";
  const std::string message = error_of([&] {
    run_study(s, {.out_dir = out.string(),
                  .data_dir = test::shared_data_dir().string(),
                  .threads = 1,
                  .resume = false,
                  .progress = false,
                  .only_runs = {}});
  });
  EXPECT_NE(message.find("run 'cnn-big'"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(out)) << "the run 'ok' trained before the bad run was noticed";
}

TEST(Preflight, CountsTheParametersOfEveryLayerKind) {
  const std::string text = R"(name = "c"
[model]
layers = [{type = "conv2d", filters = 4, kernel = 3, padding = "same"}, {type = "batch_norm"},
          {type = "max_pool", size = 2}, {type = "flatten"},
          {type = "dense", units = 10, activation = "softmax"}]
)";
  const Study s = parse_study(text, "c.toml", {"model.max_params=7894"});
  // conv 4*1*3*3 + 4, batch norm 4 + 4, dense 4*14*14*10 + 10 = 40 + 8 + 7850 = 7898, as the
  // built model counts them.
  EXPECT_EQ(error_of([&] { check_runs_before_training(s, {}); }),
            "c.toml: run 'c': model.max_params is 7894 but the model has 7898 parameters");
  const Study unbounded = parse_study(text, "c.toml", {});
  EXPECT_NO_THROW(check_runs_before_training(unbounded, {}));
  const Session built = make_session(test::exec(), unbounded.runs[0], {1, 28, 28}, 1, s.path);
  EXPECT_EQ(built.model->parameter_count(), 7898);
}

}  // namespace
}  // namespace nnlab
