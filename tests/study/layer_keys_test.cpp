// Keys that reach into model.layers: "model.layers[I].PARAM" (one layer) and
// "model.layers.PARAM" (every layer holding PARAM), in a run, in a sweep and in --set.
#include <gtest/gtest.h>

#include "study/study.hpp"
#include "study/study_text.hpp"
#include "support/test_support.hpp"

namespace nnlab {
namespace {

using test::parse_error;

using test::error_of;

const char* kLayerKeysStudy = R"(name = "layers"
[model]
activation = "relu"
layers = [
  {type = "dense", units = 32},
  {type = "dropout", rate = 0.5},
  {type = "dense", units = 16},
  {type = "dropout", rate = 0.5},
  {type = "dense", units = 10, activation = "softmax"},
]
[[runs]]
name = "base"

[[runs]]
name = "wide"
"model.layers[0].units" = 64
"model.layers.rate" = 0.2
"model.layers[3].rate" = 0.1
"model.layers[2].init" = "he_normal"

[[runs]]
name = "units"
sweep = {"model.layers[2].units" = [8, 24]}

[[runs]]
name = "act"
sweep = {"model.layers[0].activation" = ["tanh", "sigmoid"]}
)";

TEST(LayerKeys, ARunChangesOneLayerOrEveryLayerHoldingAKey) {
  const Study s = parse_study(kLayerKeysStudy, "layers.toml", {});
  const auto& wide = s.run("wide").model.layers;
  EXPECT_EQ(wide[0].numbers.at("units"), 64);
  EXPECT_EQ(wide[2].numbers.at("units"), 16);          // only layer 0
  EXPECT_EQ(wide[1].numbers.at("rate"), 0.2);          // every layer holding rate ...
  EXPECT_EQ(wide[3].numbers.at("rate"), 0.1);          // ... but an indexed key of the run wins
  EXPECT_EQ(wide[2].strings.at("init"), "he_normal");  // a key the layer did not have
  EXPECT_EQ(wide[0].strings.at("activation"), "relu");
  const auto& base = s.run("base").model.layers;  // the common list is untouched
  EXPECT_EQ(base[0].numbers.at("units"), 32);
  EXPECT_EQ(base[1].numbers.at("rate"), 0.5);
  EXPECT_EQ(base[2].strings.count("init"), 0u);
}

TEST(LayerKeys, ASweepVariesOneLayer) {
  const Study s = parse_study(kLayerKeysStudy, "layers.toml", {});
  EXPECT_EQ(s.run("units=8").model.layers[2].numbers.at("units"), 8);
  EXPECT_EQ(s.run("units=24").model.layers[2].numbers.at("units"), 24);
  EXPECT_EQ(s.run("units=24").model.layers[0].numbers.at("units"), 32);
  // Strings sweep too: one layer's activation, the others keep model.activation.
  const auto& tanh = s.run("act-activation=tanh").model.layers;
  EXPECT_EQ(tanh[0].strings.at("activation"), "tanh");
  EXPECT_EQ(tanh[2].strings.at("activation"), "relu");
  EXPECT_EQ(s.run("act-activation=sigmoid").model.layers[0].strings.at("activation"), "sigmoid");
}

TEST(LayerKeys, SetReachesOneLayer) {
  const Study s = parse_study(kLayerKeysStudy, "layers.toml",
                              {"model.layers[2].units=48", "runs.base.model.layers[0].units=128",
                               "runs.base.model.layers.rate=0.3"});
  const auto& base = s.run("base").model.layers;
  EXPECT_EQ(base[0].numbers.at("units"), 128);
  EXPECT_EQ(base[2].numbers.at("units"), 48);  // the common list
  EXPECT_EQ(base[1].numbers.at("rate"), 0.3);  // a run inheriting its layers
  EXPECT_EQ(s.run("wide").model.layers[2].numbers.at("units"), 48);
  EXPECT_EQ(s.run("wide").model.layers[0].numbers.at("units"), 64);    // its own key wins
  EXPECT_EQ(s.run("units=8").model.layers[2].numbers.at("units"), 8);  // so does a sweep's
}

TEST(LayerKeys, IndexOutOfRangeNamesTheKeyAndTheLayerCount) {
  const std::string head(kLayerKeysStudy, std::string(kLayerKeysStudy).find("[[runs]]"));
  EXPECT_EQ(parse_error(head + "[[runs]]\nname = \"a\"\n\"model.layers[5].units\" = 8\n"),
            "bad.toml:13: model.layers[5].units: index 5 is out of range: model.layers of run "
            "'a' has 5 layers (0 to 4)");
  EXPECT_EQ(
      parse_error(head + "[[runs]]\nname = \"s\"\nsweep = {\"model.layers[9].units\" = [8]}\n"),
      "bad.toml:13: model.layers[9].units: index 9 is out of range: model.layers of run "
      "'s-units=8' has 5 layers (0 to 4)");
  EXPECT_EQ(parse_error(kLayerKeysStudy, {"model.layers[7].units=8"}),
            "--set model.layers[7].units=8: model.layers[7].units: index 7 is out of range: "
            "model.layers has 5 layers (0 to 4)");
  EXPECT_EQ(parse_error(kLayerKeysStudy, {"runs.base.model.layers[5].units=8"}),
            "--set runs.base.model.layers[5].units=8: model.layers[5].units: index 5 is out of "
            "range: model.layers of run 'base' has 5 layers (0 to 4)");
}

TEST(LayerKeys, MalformedAndMisplacedKeys) {
  const std::string head(kLayerKeysStudy, std::string(kLayerKeysStudy).find("[[runs]]"));
  const std::string malformed =
      parse_error(head + "[[runs]]\nname = \"a\"\n\"model.layers[x].units\" = 8\n");
  EXPECT_NE(malformed.find("bad.toml:13: 'model.layers[x].units' is not a layer key"),
            std::string::npos)
      << malformed;
  EXPECT_NE(parse_error(kLayerKeysStudy, {"model.layers[1]=3"})
                .find("'model.layers[1]' is not a layer key"),
            std::string::npos);
  // Unquoted, the key makes model.layers a table: the message shows the quoted form.
  const std::string table = parse_error(head + "[[runs]]\nname = \"a\"\nmodel.layers.rate = 0.1\n");
  EXPECT_NE(table.find("runs.a.model.layers must be an array of tables, got a table"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("\"model.layers.rate\" = 0.5"), std::string::npos) << table;
  // A key no layer holds, a wrong type.
  EXPECT_EQ(parse_error(head + "[[runs]]\nname = \"a\"\n\"model.layers.sigma\" = 0.1\n"),
            "bad.toml:13: model.layers.sigma: no layer of model.layers has 'sigma'");
  EXPECT_EQ(parse_error(head + "[[runs]]\nname = \"a\"\n\"model.layers[0].units\" = true\n"),
            "bad.toml:13: runs.a.model.layers[0].units must be a number, a string or an array of "
            "numbers, got a boolean");
  // The common tables take no layer keys: they hold the list itself.
  EXPECT_NE(parse_error(head + "\"model.layers[0].units\" = 8\n").find("unknown key"),
            std::string::npos);
}

}  // namespace
}  // namespace nnlab
