#include "train/model_file.hpp"

#include <cstring>
#include <nlohmann/json.hpp>

#include "io/safetensors.hpp"
#include "nn/memory_estimate.hpp"
#include "nn/model_builder.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

using nlohmann::json;

// The most values a sample a model file's input may have: 2^31, as many as the largest IDX file
// holds, far above any of nnlab's datasets.
constexpr int64_t kMaxInputValues = int64_t{1} << 31;

json spec_json(const LayerSpec& s) {
  return {{"type", s.type}, {"numbers", s.numbers}, {"strings", s.strings}, {"lists", s.lists}};
}

/// `j[key]` as T, `what` saying what T is; errors name the file and the key (`where` says
/// where `j` is) rather than relaying the JSON library's message.
template <class T>
T get_key(const json& j, const std::string& key, const char* what, const std::string& where) {
  NNLAB_CHECK(j.is_object() && j.contains(key), "{}: no key '{}'", where, key);
  try {
    return j.at(key).get<T>();
  } catch (const json::exception&) {
    throw Error(fmt::format("{}: key '{}' must be {}", where, key, what));
  }
}

LayerSpec spec_from_json(const json& j, const std::string& where) {
  NNLAB_CHECK(j.is_object(), "{}: must be an object", where);
  LayerSpec s;
  s.type = get_key<std::string>(j, "type", "a string", where);
  s.numbers = get_key<std::map<std::string, double>>(j, "numbers", "an object of numbers", where);
  s.strings =
      get_key<std::map<std::string, std::string>>(j, "strings", "an object of strings", where);
  // Files written before layers took lists have none.
  if (j.contains("lists"))
    s.lists = get_key<std::map<std::string, std::vector<double>>>(
        j, "lists", "an object of lists of numbers", where);
  s.where = where;
  return s;
}

/// The description in a model file's 'nnlab.model' metadata `text`; errors name the file.
ModelDescription read_description(const std::string& text, const std::string& path) {
  const std::string where = fmt::format("{}: 'nnlab.model' metadata", path);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception&) {
    throw Error(fmt::format("{} is not valid JSON", where));
  }
  NNLAB_CHECK(j.is_object(), "{} is not a JSON object", where);
  ModelDescription d;
  d.input = get_key<Shape>(j, "input", "a list of integers", where);
  // No layer's shape arithmetic can overflow on an input this size.
  int64_t values = 1;
  for (const int64_t n : d.input) {
    NNLAB_CHECK(n > 0 && n <= kMaxInputValues / values,
                "{}: key 'input' {} is not a shape of positive sizes and at most {} values", where,
                shape_str(d.input), kMaxInputValues);
    values *= n;
  }
  NNLAB_CHECK(!d.input.empty(), "{}: key 'input' is empty", where);
  d.loss = get_key<std::string>(j, "loss", "a string", where);
  d.task = d.loss == "cross_entropy" ? Task::classify : Task::regress;
  if (j.contains("task")) {
    const std::string task = get_key<std::string>(j, "task", "a string", where);
    try {
      d.task = parse_task(task);
    } catch (const Error& e) {
      throw Error(fmt::format("{}: key 'task': {}", where, e.what()));
    }
  }
  d.class_names = get_key<std::vector<std::string>>(j, "class_names", "a list of strings", where);
  // Files written before the data was recorded have no "data".
  if (j.contains("data")) {
    const std::string in_data = where + " 'data'";
    const json data = get_key<json>(j, "data", "an object", where);
    d.data = {.dataset = get_key<std::string>(data, "dataset", "a string", in_data),
              .scaling = get_key<std::string>(data, "scaling", "a string", in_data),
              .preprocess = get_key<std::string>(data, "preprocess", "a string", in_data)};
  }
  const json layers = get_key<json>(j, "layers", "a list", where);
  NNLAB_CHECK(layers.is_array(), "{}: key 'layers' must be a list", where);
  for (size_t i = 0; i < layers.size(); ++i)
    d.layers.push_back(spec_from_json(layers[i], fmt::format("{}: layers[{}]", path, i)));
  return d;
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

LoadedModel load_model(const std::string& path, ExecContext& exec, int64_t eval_batch) {
  const SafeTensors file = load_safetensors(path);
  const auto meta = file.metadata.find("nnlab.model");
  NNLAB_CHECK(meta != file.metadata.end(),
              "{}: not an nnlab model file (no 'nnlab.model' metadata); models are written by "
              "`nnlab run` as runs/RUN/rK/weights.safetensors",
              path);
  LoadedModel out;
  out.description = read_description(meta->second, path);
  out.loss = make_loss(out.description.loss);
  // The file stores every parameter: a description of more than it holds is refused before
  // anything is allocated (a few bytes of metadata could otherwise ask for gigabytes).
  int64_t stored = 0;
  for (const auto& [name, t] : file.tensors) stored += static_cast<int64_t>(t.bytes.size() / 4);
  ModelShape plan;
  try {
    plan = plan_model(out.description.input, out.description.layers, *out.loss);
  } catch (const Error& e) {  // a layer's own message: its sizes, not where they came from
    throw Error(fmt::format("{}: 'nnlab.model' metadata: {}", path, e.what()));
  }
  NNLAB_CHECK(plan.parameters <= stored,
              "{}: 'nnlab.model' metadata describes a model of {} parameters, but the file holds "
              "{} values",
              path, plan.parameters, stored);
  try {
    // Evaluation only: no training batch, no gradients.
    check_memory(plan.memory(0, eval_batch), 0);
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", path, e.what()));
  }
  Rng rng(0);
  out.model = build_model(exec, out.description.input, out.description.layers, *out.loss, rng);
  read_parameters(file, *out.model, path);
  // A classifier's i-th output is the probability of class_names[i].
  const auto outputs = static_cast<size_t>(shape_size(out.model->output_shape()));
  NNLAB_CHECK(
      out.description.task != Task::classify || out.description.class_names.size() == outputs,
      "{}: 'nnlab.model' metadata lists {} class_names but the model has {} outputs", path,
      out.description.class_names.size(), outputs);
  return out;
}

std::unique_ptr<Model> load_model_file(const std::string& path, ExecContext& exec,
                                       std::vector<std::string>* class_names) {
  LoadedModel m = load_model(path, exec);
  if (class_names) *class_names = m.description.class_names;
  return std::move(m.model);
}

}  // namespace nnlab
