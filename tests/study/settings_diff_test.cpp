#include "study/settings_diff.hpp"

#include <gtest/gtest.h>

namespace nnlab {
namespace {

using nlohmann::json;

constexpr const char* kWas = R"toml(
name = "s"
[train]
epochs = 3
optimizer = {type = "adam", lr = 0.01}
[[runs]]
name = "mlp"
model.layers = [{type = "dense", units = 16}, {type = "dense", units = 10}]
)toml";

// A changed leaf is one entry with both texts (strings as toml++ writes them, in single quotes),
// floats in their shortest exact text.
TEST(SettingsDiff, AChangedSettingIsOneEntryWithBothTexts) {
  const std::string now = std::string(kWas).replace(std::string(kWas).find("0.01"), 4, "0.005");
  EXPECT_EQ(settings_diff(kWas, now),
            json::parse(R"([{"key": "train.optimizer.lr", "was": "0.01", "now": "0.005"}])"));
  EXPECT_EQ(settings_diff(kWas, kWas), json::array());
}

// A run added is one entry holding the whole run, not one per setting inside it (a new run's
// 26 layers were 60 entries); so is a layer removed, and a key set on one side only.
TEST(SettingsDiff, AWholeRunOrLayerAddedOrRemovedIsOneEntry) {
  const std::string now = std::string(kWas) + R"toml(
[[runs]]
name = "wide"
model.layers = [{type = "dense", units = 64}]
train.epochs = 5
)toml";
  EXPECT_EQ(settings_diff(kWas, now), json::parse(R"([{"key": "runs[1]", "was": null,
      "now": "{model = {layers = [{type = 'dense', units = 64}]}, name = 'wide', train = {epochs = 5}}"}])"));

  std::string fewer = kWas;
  fewer.replace(fewer.find(", {type = \"dense\", units = 10}"), 30, "");
  EXPECT_EQ(settings_diff(kWas, fewer), json::parse(R"([{"key": "runs[0].model.layers[1]",
                             "was": "{type = 'dense', units = 10}", "now": null}])"));

  const std::string seeded = std::string(kWas).replace(0, 1, "\nseed = 7\n");
  EXPECT_EQ(settings_diff(kWas, seeded),
            json::parse(R"([{"key": "seed", "was": null, "now": "7"}])"));
}

// Keys that are not bare TOML keys are quoted in an inline value (a search space's
// "train.epochs" is one key, not a path).
TEST(SettingsDiff, KeysThatAreNotBareAreQuoted) {
  const char* was = "[search]\nname = \"x\"\n";
  const char* now = "[search]\nname = \"x\"\nspace = {\"train.epochs\" = [27, 50]}\n";
  EXPECT_EQ(settings_diff(was, now), json::parse(R"([{"key": "search.space", "was": null,
                             "now": "{'train.epochs' = [27, 50]}"}])"));
}

}  // namespace
}  // namespace nnlab
