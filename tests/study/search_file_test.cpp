// Reading a run's search table and turning configurations into the run's settings.
#include "study/search_file.hpp"

#include <gtest/gtest.h>

#include "study/search_trials.hpp"
#include "study/study.hpp"
#include "support/test_support.hpp"

namespace nnlab {
namespace {

using nlohmann::json;

constexpr const char* kBase = R"(
name = "s"
[data]
dataset = "mnist"
[model]
layers = [{type = "dense", units = 8, activation = "relu"}, {type = "dense", units = 10, activation = "softmax"}]
[[runs]]
name = "r"
)";

Study with_search(const std::string& search) {
  return parse_study(std::string(kBase) + search, "s.toml", {});
}

TEST(SearchFile, ReadsStagesAndTheirSpaces) {
  const Study s = with_search(R"(
[runs.search]
metric = "accuracy"
folds = 3
refit = 2
[[runs.search.stages]]
space = {units = [4, 8], "train.optimizer.lr" = [1e-3, 1e-2], "model.layers" = [[{type = "dense", units = "$units"}, {type = "dense", units = 10, activation = "softmax"}]]}
[[runs.search.stages]]
name = "rates"
method = "random"
trials = 5
from_best = 2
narrow = 0.5
space = {"train.optimizer.lr" = {log_uniform = [1e-4, 1e-1]}}
)");
  const SearchSpec& spec = *s.runs[0].search;
  EXPECT_EQ(spec.metric, "accuracy");
  EXPECT_TRUE(spec.maximize);
  EXPECT_EQ(spec.folds, 3);
  EXPECT_EQ(spec.refit, 2);
  ASSERT_EQ(spec.stages.size(), 2u);
  EXPECT_EQ(spec.stages[0].name, "stage1");
  EXPECT_EQ(spec.stages[0].space.params.size(), 3u);
  EXPECT_EQ(spec.stages[1].method, "random");
  EXPECT_EQ(spec.stages[1].space.params[0].kind, ParamSpace::Kind::log_uniform);
  // The search table does not count in a trial's identity: adding a stage keeps old trials.
  EXPECT_EQ(s.trial_identity.find("stages"), std::string::npos);
  EXPECT_NE(s.resolved.find("stages"), std::string::npos);
}

TEST(SearchFile, ErrorsNameTheLineAndKey) {
  const auto error = [](const std::string& search) {
    return test::error_of([&] { with_search(search); });
  };
  EXPECT_NE(
      error("[runs.search]\nfold = 3\n[[runs.search.stages]]\nspace = {\"train.epochs\" = [1]}\n")
          .find("s.toml:10: unknown key 'search.fold'; did you mean 'search.folds'?"),
      std::string::npos);
  EXPECT_NE(error("[runs.search]\nfolds = 3\n").find("needs at least one [[runs.search.stages]]"),
            std::string::npos);
  EXPECT_NE(error("[runs.search]\n[[runs.search.stages]]\nspace = {\"train.epoch\" = [1, 2]}\n")
                .find("unknown key 'train.epoch'; did you mean 'train.epochs'?"),
            std::string::npos);
  EXPECT_NE(error("[runs.search]\n[[runs.search.stages]]\nspace = {\"train.epochs\" = [1.5]}\n")
                .find("train.epochs must be an integer"),
            std::string::npos);
  EXPECT_NE(error("[runs.search]\n[[runs.search.stages]]\nspace = {units = [1, 2]}\n")
                .find("search variable 'units' is used by no value"),
            std::string::npos);
  EXPECT_NE(error("[runs.search]\n[[runs.search.stages]]\nspace = {\"train.optimizer.lr\" = "
                  "{uniform = [0.1, 0.2]}}\n")
                .find("a grid takes lists of values"),
            std::string::npos);
  EXPECT_NE(
      error("[runs.search]\nfolds = 1\n[[runs.search.stages]]\nspace = {\"train.epochs\" = [1]}\n")
          .find("search.folds must be 0 (hold-out) or 2..1000"),
      std::string::npos);
  // Hostile sizes: a budget whose deadline would overflow the clock, a search of 1e12 trials.
  EXPECT_NE(error("[runs.search]\nminutes = 1e12\n[[runs.search.stages]]\nspace = "
                  "{\"train.epochs\" = [1]}\n")
                .find("search.minutes must be a number in [0, 525600], got 1000000000000"),
            std::string::npos);
  EXPECT_NE(error("[runs.search]\nminutes = inf\n[[runs.search.stages]]\nspace = "
                  "{\"train.epochs\" = [1]}\n")
                .find("minutes must be a finite number, got inf"),
            std::string::npos);
  EXPECT_NE(error("[runs.search]\nfolds = 1000\ncv_repeats = 100\n[[runs.search.stages]]\n"
                  "method = \"random\"\ntrials = 1000000\nspace = {\"train.epochs\" = [1]}\n")
                .find("makes 100000000000 trials"),
            std::string::npos);
  EXPECT_NE(error("[runs.search]\n[[runs.search.stages]]\nmethod = \"random\"\nspace = "
                  "{\"train.epochs\" = [1]}\n")
                .find("search.stages.trials must be > 0 for random"),
            std::string::npos);
}

// `--set runs.RUN.search.KEY=VALUE` reaches a search's settings (a shorter budget for a first
// try), checked as the file's own values are; its stages, and keys of a sweep, are not keys.
TEST(SearchFile, SetReachesASearchsSettings) {
  const std::string text = std::string(kBase) + R"(
[runs.search]
metric = "accuracy"
minutes = 30
[[runs.search.stages]]
space = {"train.optimizer.lr" = [1e-3, 1e-2]}
)";
  const Study s = parse_study(text, "s.toml", {"runs.r.search.minutes=2", "runs.r.search.refit=3"});
  EXPECT_EQ(s.runs[0].search->minutes, 2);
  EXPECT_EQ(s.runs[0].search->refit, 3);
  const auto error = [&](const std::string& set) {
    try {
      parse_study(text, "s.toml", {set});
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error("runs.r.search.refit=-1").find("refit must be in [0, 2147483647], got -1"),
            std::string::npos);
  // 2^31 was narrowed to a negative int that passed "<= 100" and refit nothing.
  EXPECT_NE(error("runs.r.search.refit=2147483648").find("refit must be in [0, 2147483647]"),
            std::string::npos);
  EXPECT_NE(error("runs.r.search.stages=1").find("its stages are edited in the study file"),
            std::string::npos);
  EXPECT_NE(error("runs.r.search.minuets=2").find("unknown key 'search.minuets'"),
            std::string::npos);
  EXPECT_NE(error("runs.r.sweep.x=2").find("'sweep' has no keys of its own"), std::string::npos);
}

TEST(SearchFile, TomlValuesRoundTrip) {
  for (const char* text : {R"(3)", R"(1e-05)", R"(0.001)", R"(2.0)", R"("elu")", R"(true)",
                           R"([1, 2.5, "a"])", R"({type = "dense", units = 4, "odd key" = 1})"}) {
    const auto parsed = toml::parse(std::string("v = ") + text);
    const json j = study_detail::toml_to_json(*parsed.get("v"));
    const auto back = toml::parse("v = " + toml_value_text(j));
    EXPECT_EQ(study_detail::toml_to_json(*back.get("v")), j) << text;
    EXPECT_EQ(back.get("v")->type(), parsed.get("v")->type()) << text;  // 2.0 stays a float
  }
  EXPECT_EQ(toml_value_text(json("a\"b\\c")), R"("a\"b\\c")");
}

TEST(SearchFile, VariablesAreSubstitutedIntoTheValuesThatNameThem) {
  const json config = json::parse(
      R"({"units": 16, "act": "elu", "train.optimizer.lr": 0.01,
          "model.layers": [{"type": "dense", "units": "$units", "activation": "$act"},
                           {"type": "dense", "units": 10, "activation": "softmax"}]})");
  const auto sets = configuration_overrides("r", config);
  ASSERT_EQ(sets.size(), 2u);  // the variables have no key of their own
  const Study s =
      with_search("[runs.search]\n[[runs.search.stages]]\nspace = {\"train.epochs\" = [1]}\n");
  const RunSpec run = resolve_configuration(s, "r", config);
  EXPECT_FLOAT_EQ(run.train.optimizer.lr, 0.01f);
  ASSERT_EQ(run.model.layers.size(), 2u);
  EXPECT_EQ(run.model.layers[0].numbers.at("units"), 16);
  EXPECT_EQ(run.model.layers[0].strings.at("activation"), "elu");
  // A configuration that makes an invalid run is an error naming the key.
  EXPECT_NE(test::error_of([&] {
              resolve_configuration(s, "r", json::parse(R"({"train.epochs": -1})"));
            }).find("train.epochs"),
            std::string::npos);
  // So is one whose model does not fit the data: a searched last layer of 7 units for MNIST's
  // 10 classes fails as the configuration is resolved, not in the trial's first batch.
  const std::string wrong_outputs = test::error_of([&] {
    resolve_configuration(s, "r", json::parse(R"({"units": 16, "model.layers":
        [{"type": "dense", "units": "$units"}, {"type": "dense", "units": 7}]})"));
  });
  EXPECT_NE(wrong_outputs.find("gives 7 outputs but mnist has 10 classes"), std::string::npos)
      << wrong_outputs;
}

}  // namespace
}  // namespace nnlab
