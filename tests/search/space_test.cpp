#include "search/space.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "support/test_support.hpp"

namespace nnlab {
namespace {

using nlohmann::json;

SearchSpace space_of(const json& table) {
  SearchSpace s;
  for (const auto& [k, v] : table.items()) s.params.push_back(parse_param(k, v, "t.toml:1"));
  return s;
}

TEST(SearchSpace, GridEnumeratesEveryCombinationLastKeyFastest) {
  const SearchSpace s = space_of(json::parse(R"({"a": [1, 2], "b": ["x", "y", "z"]})"));
  EXPECT_EQ(grid_size(s, "t"), 6);
  const auto g = grid(s, "t");
  ASSERT_EQ(g.size(), 6u);
  EXPECT_EQ(g[0], json::parse(R"({"a": 1, "b": "x"})"));
  EXPECT_EQ(g[1], json::parse(R"({"a": 1, "b": "y"})"));
  EXPECT_EQ(g[5], json::parse(R"({"a": 2, "b": "z"})"));
}

TEST(SearchSpace, GridRefusesDistributionsAndHugeProducts) {
  const SearchSpace d = space_of(json::parse(R"({"lr": {"log_uniform": [1e-4, 1e-1]}})"));
  EXPECT_NE(test::error_of([&] { grid(d, "s.toml:3"); }).find("use method = \"random\""),
            std::string::npos);
  SearchSpace big;
  json values = json::array();
  for (int i = 0; i < 1000; ++i) values.push_back(i);
  for (const char* k : {"a", "b", "c"}) big.params.push_back(parse_param(k, values, "t"));
  // 1e9 configurations: refused from the sizes alone, without allocating.
  EXPECT_NE(test::error_of([&] { grid_size(big, "s.toml:3"); }).find("more than 1000000"),
            std::string::npos);
}

TEST(SearchSpace, SamplesStayInTheirRangesAndAreDeterministic) {
  const SearchSpace s = space_of(json::parse(
      R"({"lr": {"log_uniform": [1e-4, 1e-1]}, "p": {"uniform": [0.1, 0.6]},
          "units": {"int": [16, 18]}, "act": {"choice": ["relu", "elu"]}, "k": [3, 5]})"));
  Rng a(5), b(5);
  const auto x = sample(s, 400, a), y = sample(s, 400, b);
  EXPECT_EQ(x, y);
  std::set<int64_t> units;
  std::set<std::string> acts;
  int below = 0;  // log-uniform: a third of the draws fall in each decade
  for (const json& c : x) {
    const double lr = c["lr"], p = c["p"];
    EXPECT_GE(lr, 1e-4);
    EXPECT_LE(lr, 1e-1);
    below += lr < 1e-3;
    EXPECT_GE(p, 0.1);
    EXPECT_LE(p, 0.6);
    units.insert(c["units"].get<int64_t>());
    acts.insert(c["act"].get<std::string>());
    EXPECT_TRUE(c["k"] == 3 || c["k"] == 5);
  }
  EXPECT_EQ(units, (std::set<int64_t>{16, 17, 18}));  // both ends included
  EXPECT_EQ(acts.size(), 2u);
  EXPECT_NEAR(below / 400.0, 1.0 / 3.0, 0.08);
  // Configuration c does not depend on how many are drawn.
  Rng c(5);
  EXPECT_EQ(sample(s, 3, c)[2], x[2]);
}

TEST(SearchSpace, NarrowedKeepsAFractionAroundTheCentre) {
  const SearchSpace s =
      space_of(json::parse(R"({"lr": {"log_uniform": [1e-4, 1e-0]}, "p": {"uniform": [0, 1]},
                               "k": [1, 2]})"));
  const SearchSpace n = narrowed(s, json::parse(R"({"lr": 1e-2, "p": 0.9, "k": 2})"), 0.5);
  const auto param = [&](const SearchSpace& space, const std::string& key) {
    return *std::find_if(space.params.begin(), space.params.end(),
                         [&](const ParamSpace& p) { return p.key == key; });
  };
  EXPECT_NEAR(std::log10(param(n, "lr").lo), -3, 1e-9);  // 4 decades -> 2, centred on 1e-2
  EXPECT_NEAR(std::log10(param(n, "lr").hi), -1, 1e-9);
  EXPECT_NEAR(param(n, "p").lo, 0.65, 1e-12);  // clipped to the original range at the top
  EXPECT_NEAR(param(n, "p").hi, 1.0, 1e-12);
  EXPECT_EQ(param(n, "k").values, param(s, "k").values);  // lists stay
}

TEST(SearchSpace, BadParametersNameTheFileAndKey) {
  const auto error = [](const char* value) {
    return test::error_of(
        [&] { parse_param("train.optimizer.lr", json::parse(value), "s.toml:7"); });
  };
  EXPECT_NE(error("[]").find("s.toml:7: search key 'train.optimizer.lr' lists no values"),
            std::string::npos);
  EXPECT_NE(error(R"({"normal": [0, 1]})").find("unknown distribution 'normal'"),
            std::string::npos);
  EXPECT_NE(error(R"({"log_uniform": [0, 1]})").find("needs lo > 0"), std::string::npos);
  EXPECT_NE(error(R"({"uniform": [2, 1]})").find("lo <= hi"), std::string::npos);
  EXPECT_NE(error(R"({"int": [1.5, 3]})").find("two integers"), std::string::npos);
  EXPECT_NE(error("3").find("must be a list of values"), std::string::npos);
}

// A trial's progress line names what it trains: a layer list compact with its variables put in,
// and a variable no value names (a conv kernel size for a dense net) not at all.
TEST(SearchSpace, ConfigurationTextShowsOnlyWhatChoosesSomething) {
  const nlohmann::json config = {{"units", 64},
                                 {"kernel", 5},
                                 {"model.layers",
                                  {{{"type", "dense"}, {"units", "$units"}, {"activation", "elu"}},
                                   {{"type", "dense"}, {"units", 1}}}},
                                 {"train.optimizer.type", "adam"},
                                 {"train.optimizer.lr", 0.001}};
  EXPECT_EQ(configuration_text(config),
            "model.layers=[dense elu 64, dense 1] train.optimizer.lr=0.001 "
            "train.optimizer.type=adam");
  EXPECT_EQ(setting_text(config["model.layers"], config), "dense elu 64, dense 1");
  EXPECT_EQ(setting_text("$units", config), "64");
}

// A conditional key: the kernel size belongs to the conv family's layer list alone, so a dense
// configuration drops it (and a variable named only through another variable stays).
TEST(SearchSpace, UnusedVariablesLeaveTheConfiguration) {
  const nlohmann::json dense = {{"kernel", 5},
                                {"units", 64},
                                {"model.layers", {{{"type", "dense"}, {"units", "$units"}}}},
                                {"train.optimizer.lr", 0.01}};
  EXPECT_EQ(without_unused_variables(dense),
            (nlohmann::json{{"units", 64},
                            {"model.layers", {{{"type", "dense"}, {"units", "$units"}}}},
                            {"train.optimizer.lr", 0.01}}));
  const nlohmann::json chained = {{"width", 8},
                                  {"block", {{"type", "dense"}, {"units", "$width"}}},
                                  {"model.layers", "$block"}};
  EXPECT_EQ(without_unused_variables(chained), chained);
}

}  // namespace
}  // namespace nnlab
