#include "train/model_file.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "io/safetensors.hpp"
#include "nn/model_builder.hpp"
#include "support/test_support.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

TEST(ModelFile, RoundTripRebuildsTheSameModel) {
  const std::string path = (test::temp_dir() / "m.safetensors").string();
  ModelDescription d{.input = {1, 4, 4},
                     .layers = {{.type = "dense",
                                 .numbers = {{"units", 5}},
                                 .strings = {{"activation", "relu"}},
                                 .where = ""},
                                {.type = "dense",
                                 .numbers = {{"units", 3}},
                                 .strings = {{"activation", "softmax"}},
                                 .where = ""}},
                     .loss = "cross_entropy",
                     .class_names = {"x", "y", "z"}};
  auto loss = make_loss(d.loss);
  Rng rng(9);
  auto model = build_model(test::exec(), d.input, d.layers, *loss, rng);
  save_model_file(path, *model, d);

  LoadedModel back = load_model(path, test::exec());
  EXPECT_EQ(back.description.class_names, d.class_names);
  ASSERT_EQ(back.model->parameter_count(), model->parameter_count());
  EXPECT_TRUE(
      std::equal(model->values().begin(), model->values().end(), back.model->values().begin()));
  Tensor x({2, 1, 4, 4});
  Rng(1).fill_normal(x.span(), 0, 1);
  Tensor p1, p2;
  model->predict(x, p1, rng);
  back.model->predict(x, p2, rng);
  for (int64_t i = 0; i < p1.size(); ++i) EXPECT_FLOAT_EQ(p1[i], p2[i]);
}

ModelDescription small_description() {
  return {.input = {1, 2, 2},
          .layers = {{.type = "dense",
                      .numbers = {{"units", 2}},
                      .strings = {{"activation", "softmax"}},
                      .where = ""}},
          .loss = "cross_entropy",
          .class_names = {"a", "b"},
          .data = data_origin("fashion-mnist")};
}

TEST(ModelFile, RecordsTheTrainingDataItsScalingAndPreprocessing) {
  const std::string path = (test::temp_dir() / "m.safetensors").string();
  const ModelDescription d = small_description();
  auto loss = make_loss(d.loss);
  Rng rng(2);
  save_model_file(path, *build_model(test::exec(), d.input, d.layers, *loss, rng), d);
  const DataOrigin back = load_model(path, test::exec()).description.data;
  EXPECT_EQ(back.dataset, "fashion-mnist");
  EXPECT_EQ(back.scaling, "byte/255");
  EXPECT_EQ(back.preprocess, "fashion-mnist");
}

// A model file of small_description() at temp_dir()/NAME, its 'nnlab.model' metadata changed by
// `edit` (which may replace it by a string).
template <class Edit>
std::string edited_model_file(const std::string& name, Edit edit) {
  const std::string path = (test::temp_dir() / name).string();
  const ModelDescription d = small_description();
  auto loss = make_loss(d.loss);
  Rng rng(2);
  save_model_file(path, *build_model(test::exec(), d.input, d.layers, *loss, rng), d);
  SafeTensors file = load_safetensors(path);
  nlohmann::json meta = nlohmann::json::parse(file.metadata.at("nnlab.model"));
  edit(meta);
  file.metadata["nnlab.model"] = meta.is_string() ? meta.get<std::string>() : meta.dump();
  save_safetensors(path, file);
  return path;
}

TEST(ModelFile, FilesWrittenBeforeTheDataWasRecordedStillLoad) {
  const ModelDescription d = small_description();
  const std::string path = edited_model_file("old.safetensors", [](nlohmann::json& meta) {
    ASSERT_TRUE(meta.contains("data"));
    meta.erase("data");
  });
  const LoadedModel back = load_model(path, test::exec());
  EXPECT_EQ(back.description.class_names, d.class_names);
  EXPECT_TRUE(back.description.data.dataset.empty());
  EXPECT_TRUE(back.description.data.preprocess.empty());
}

TEST(ModelFile, AFileWithoutModelMetadataIsRejected) {
  const std::string path = (test::temp_dir() / "plain.safetensors").string();
  SafeTensors st;
  const float v[2] = {1, 2};
  st.add_f32("w", {2}, v);
  save_safetensors(path, st);
  try {
    load_model(path, test::exec());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not an nnlab model file"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
  }
}

// The error loading a model file of small_description() whose 'nnlab.model' metadata `edit`
// changed; it must name the file.
template <class Edit>
std::string load_error_after(Edit edit) {
  const std::string path = edited_model_file("edited.safetensors", edit);
  const std::string msg = test::error_of([&] { load_model(path, test::exec()); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_EQ(msg.find("json.exception"), std::string::npos) << msg;
  return msg;
}

TEST(ModelFile, ClassNamesMustMatchTheModelsOutputs) {
  EXPECT_NE(load_error_after([](nlohmann::json& m) {
              m["class_names"].push_back("c");
            }).find("lists 3 class_names but the model has 2 outputs"),
            std::string::npos);
  EXPECT_NE(load_error_after([](nlohmann::json& m) {
              m["class_names"] = nlohmann::json::array();
            }).find("lists 0 class_names but the model has 2 outputs"),
            std::string::npos);
}

TEST(ModelFile, MalformedMetadataErrorsNameTheFileAndTheKey) {
  using nlohmann::json;
  const auto expect = [](const std::string& msg, const char* fragment) {
    EXPECT_NE(msg.find(fragment), std::string::npos) << msg;
  };
  expect(load_error_after([](json& m) { m["class_names"] = 3; }),
         "'nnlab.model' metadata: key 'class_names' must be a list of strings");
  expect(load_error_after([](json& m) {
           m["class_names"] = {"a", 2};
         }),
         "key 'class_names' must be a list of strings");
  expect(load_error_after([](json& m) { m.erase("input"); }),
         "'nnlab.model' metadata: no key 'input'");
  expect(load_error_after([](json& m) {
           m["input"] = {1, "x"};
         }),
         "key 'input' must be a list of integers");
  expect(load_error_after([](json& m) { m["data"]["scaling"] = 1; }),
         "'nnlab.model' metadata 'data': key 'scaling' must be a string");
  expect(load_error_after([](json& m) { m["layers"][0]["type"] = 5; }),
         "layers[0]: key 'type' must be a string");
  expect(load_error_after([](json& m) { m["layers"] = "dense"; }), "key 'layers' must be a list");
  expect(load_error_after([](json& m) { m["task"] = "dance"; }),
         "key 'task': unknown task 'dance'");
  expect(load_error_after([](json& m) { m = "{\"input\":"; }),
         "'nnlab.model' metadata is not valid JSON");
}

// Upsampling by 64, 64 and 8 (and the max pools that undo it, so that the dense layer's weights
// still match the file) makes a sample's activations 2^32 values: 17 GB at batch 1, for a file
// of a few hundred bytes. It is refused as the model is loaded, naming the file, before the
// first forward pass would allocate it.
TEST(ModelFile, AModelWhoseActivationsOutgrowMemoryIsRefusedNamingTheFile) {
  const std::string msg = load_error_after([](nlohmann::json& m) {
    nlohmann::json layers = nlohmann::json::array();
    const auto add = [&](const char* type, const char* key, int factor) {
      layers.push_back(
          {{"type", type}, {"numbers", {{key, factor}}}, {"strings", nlohmann::json::object()}});
    };
    for (int f : {64, 64, 8}) add("upsample", "scale", f);
    for (int f : {64, 64, 8}) add("max_pool", "size", f);
    layers.push_back(m["layers"][0]);
    m["layers"] = layers;
  });
  EXPECT_NE(msg.find("model.max_memory_gb"), std::string::npos) << msg;
}

}  // namespace
}  // namespace nnlab
