#include "train/model_file.hpp"

#include <cstring>
#include <nlohmann/json.hpp>

#include "io/safetensors.hpp"
#include "nn/model_builder.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

using nlohmann::json;

json spec_json(const LayerSpec& s) {
  return {{"type", s.type}, {"numbers", s.numbers}, {"strings", s.strings}, {"lists", s.lists}};
}

LayerSpec spec_from_json(const json& j, const std::string& where) {
  LayerSpec s;
  s.type = j.at("type").get<std::string>();
  s.numbers = j.at("numbers").get<std::map<std::string, double>>();
  s.strings = j.at("strings").get<std::map<std::string, std::string>>();
  // Files written before layers took lists have none.
  if (j.contains("lists"))
    s.lists = j.at("lists").get<std::map<std::string, std::vector<double>>>();
  s.where = where;
  return s;
}

/// Copies the F32 tensor `name` of `file` into `into` (a parameter's or buffer's view).
void read_tensor(const SafeTensors& file, const std::string& name, Tensor& into,
                 const std::string& path, const char* what) {
  NNLAB_CHECK(file.contains(name), "{}: no tensor '{}' for the model's {}", path, name, what);
  const SafeTensor& t = file.at(name);
  NNLAB_CHECK(t.dtype == "F32" && t.shape == into.shape(),
              "{}: tensor '{}' is {} {}, the model needs F32 {}", path, name, t.dtype,
              shape_str(t.shape), shape_str(into.shape()));
  std::memcpy(into.data(), t.bytes.data(), t.bytes.size());
}

}  // namespace

void add_parameters(SafeTensors& file, const Model& model) {
  for (const Parameter* p : model.parameters()) file.add_f32(p->name, p->shape, p->value.data());
  for (const Buffer* b : model.buffers()) file.add_f32(b->name, b->shape, b->value.data());
}

void read_parameters(const SafeTensors& file, Model& model, const std::string& path) {
  for (Parameter* p : model.parameters()) read_tensor(file, p->name, p->value, path, "parameter");
  for (Buffer* b : model.buffers()) read_tensor(file, b->name, b->value, path, "buffer");
}

void save_model_file(const std::string& path, const Model& model, const ModelDescription& d) {
  SafeTensors file;
  add_parameters(file, model);
  json layers = json::array();
  for (const LayerSpec& s : d.layers) layers.push_back(spec_json(s));
  file.metadata["nnlab.model"] = json{
      {"input", d.input},
      {"layers", layers},
      {"loss", d.loss},
      {"task", task_name(d.task)},
      {"class_names", d.class_names},
      {"data",
       {{"dataset", d.data.dataset},
        {"scaling", d.data.scaling},
        {"preprocess",
         d.data.preprocess}}}}.dump();
  save_safetensors(path, file);
}

LoadedModel load_model(const std::string& path, ExecContext& exec) {
  const SafeTensors file = load_safetensors(path);
  const auto meta = file.metadata.find("nnlab.model");
  NNLAB_CHECK(meta != file.metadata.end(),
              "{}: not an nnlab model file (no 'nnlab.model' metadata); models are written by "
              "`nnlab run` as runs/RUN/rK/weights.safetensors",
              path);
  LoadedModel out;
  try {
    const json j = json::parse(meta->second);
    out.description.input = j.at("input").get<Shape>();
    out.description.loss = j.at("loss").get<std::string>();
    out.description.task =
        j.contains("task")
            ? parse_task(j.at("task").get<std::string>())
            : (out.description.loss == "cross_entropy" ? Task::classify : Task::regress);
    out.description.class_names = j.at("class_names").get<std::vector<std::string>>();
    // Files written before the data was recorded have no "data".
    if (j.contains("data")) {
      const json& data = j.at("data");
      out.description.data = {.dataset = data.at("dataset").get<std::string>(),
                              .scaling = data.at("scaling").get<std::string>(),
                              .preprocess = data.at("preprocess").get<std::string>()};
    }
    int i = 0;
    for (const json& l : j.at("layers"))
      out.description.layers.push_back(spec_from_json(l, fmt::format("{}: layers[{}]", path, i++)));
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: malformed 'nnlab.model' metadata: {}", path, e.what()));
  } catch (const Error& e) {
    throw Error(fmt::format("{}: 'nnlab.model' metadata: {}", path, e.what()));
  }
  out.loss = make_loss(out.description.loss);
  Rng rng(0);
  out.model = build_model(exec, out.description.input, out.description.layers, *out.loss, rng);
  read_parameters(file, *out.model, path);
  return out;
}

std::unique_ptr<Model> load_model_file(const std::string& path, ExecContext& exec,
                                       std::vector<std::string>* class_names) {
  LoadedModel m = load_model(path, exec);
  if (class_names) *class_names = m.description.class_names;
  return std::move(m.model);
}

}  // namespace nnlab
