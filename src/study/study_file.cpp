// load_study / parse_study: TOML text -> overrides -> key and type checks -> runs expanded and
// merged -> RunSpecs with every value range-checked (docs/study-format.md).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "data/augment.hpp"
#include "learn/latent_sampler.hpp"
#include "nn/layer_spec.hpp"
#include "study/expand.hpp"
#include "study/layer_path.hpp"
#include "study/learner_file.hpp"
#include "study/output_dir.hpp"
#include "study/schema.hpp"
#include "study/search_file.hpp"
#include "study/study.hpp"
#include "study/toml_access.hpp"
#include "tensor/error.hpp"

namespace nnlab {

using namespace study_detail;

namespace {

// The transforms of data.augment or data.oversample (`table`), each range-checked; absent
// keys stay off.
AugmentConfig read_augment(const Lookup& l, const std::string& table) {
  const auto key = [&](const char* name) { return table + "." + name; };
  // A setting in [0, max].
  const auto number = [&](const char* name, float fallback, float max) {
    const double v = l.get_number(key(name), fallback);
    l.check_range(key(name), v, 0, max);
    return static_cast<float>(v);
  };
  AugmentConfig a;
  // At most the image size, checked once the dataset's shape is known (preflight.cpp).
  const double shift = l.get_number(key("shift"), a.shift);
  l.check_non_negative(key("shift"), shift);
  a.shift = static_cast<float>(shift);
  a.rotation = number("rotation", a.rotation, kMaxAugmentRotation);
  const double scale = l.get_number(key("scale"), a.scale);
  l.check_unit(key("scale"), scale, false);
  a.scale = static_cast<float>(scale);
  a.elastic_alpha = number("elastic_alpha", a.elastic_alpha, kMaxElasticAlpha);
  const double sigma = l.get_number(key("elastic_sigma"), a.elastic_sigma);
  NNLAB_CHECK(sigma > 0 && sigma <= kMaxElasticSigma, "{}{} must be in (0, {}], got {}",
              l.at(key("elastic_sigma")), key("elastic_sigma"), kMaxElasticSigma, sigma);
  a.elastic_sigma = static_cast<float>(sigma);
  // At most the image size too (preflight.cpp).
  a.crop = l.get_int32(key("crop"), a.crop, 0);
  a.hflip = l.get_bool(key("hflip"), a.hflip);
  a.noise = number("noise", a.noise, kMaxAugmentNoise);
  a.erasing = number("erasing", a.erasing, 1);
  a.erasing_min_area = number("erasing_min_area", a.erasing_min_area, 1);
  a.erasing_max_area = number("erasing_max_area", a.erasing_max_area, 1);
  NNLAB_CHECK(a.erasing_min_area > 0 && a.erasing_min_area <= a.erasing_max_area,
              "{}{} must be above 0 and at most {} ({}), got {}", l.at(key("erasing_min_area")),
              key("erasing_min_area"), key("erasing_max_area"), a.erasing_max_area,
              a.erasing_min_area);
  a.erasing_min_aspect = number("erasing_min_aspect", a.erasing_min_aspect, 1);
  NNLAB_CHECK(a.erasing_min_aspect > 0, "{}{} must be above 0, got {}",
              l.at(key("erasing_min_aspect")), key("erasing_min_aspect"), a.erasing_min_aspect);
  a.probability = number("probability", a.probability, 1);
  return a;
}

std::vector<std::string> strings(const Lookup& l, const std::string& key) {
  std::vector<std::string> out;
  if (const auto* a = l.find(key))
    for (const auto& v : *a->as_array()) out.push_back(v.as_string()->get());
  return out;
}

// data.csv: the files relative to the study file's folder, so that a study runs from anywhere.
CsvData read_csv_data(const Lookup& l) {
  CsvData c;
  const std::filesystem::path base = std::filesystem::path(l.file()).parent_path();
  for (const char* part : {"train", "test"}) {
    const std::string key = fmt::format("data.csv.{}", part);
    NNLAB_CHECK(l.has(key), "{}data.dataset = \"csv\" needs {} (a file path)", l.at("data.dataset"),
                key);
    const std::filesystem::path p = l.get_string(key, "");
    (part == std::string("train") ? c.train : c.test) = (p.is_absolute() ? p : base / p).string();
  }
  if (l.has("data.csv.truth")) {
    const std::filesystem::path p = l.get_string("data.csv.truth", "");
    c.truth = (p.is_absolute() ? p : base / p).string();
  }
  c.inputs = strings(l, "data.csv.inputs");
  c.targets = strings(l, "data.csv.targets");
  NNLAB_CHECK(!c.inputs.empty() && !c.targets.empty(),
              "{}data.csv needs inputs = [\"column\", ...] and targets = [\"column\", ...]",
              l.at("data.csv"));
  return c;
}

// data.generate: Multi-MNIST's settings (data/multi_mnist.hpp), each range-checked here so that
// an error names the file, the line and the key.
MultiMnistConfig read_generate(const Lookup& l) {
  MultiMnistConfig g;
  const std::string t = "data.generate.";
  g.seed = static_cast<uint64_t>(l.get_int(t + "seed", static_cast<int64_t>(g.seed), 0));
  for (auto [name, count] :
       {std::pair{"train_count", &g.train_count}, {"test_count", &g.test_count}}) {
    *count = l.get_int(t + name, *count, kMultiMnistMinCount, kMultiMnistMaxCount);
  }
  g.profile = l.get_string(t + "profile", g.profile);
  l.check_one_of(t + "profile", g.profile, multi_mnist_profiles());
  g.width = l.get_int32(t + "width", g.width, kMultiMnistMinWidth, kMultiMnistMaxWidth);
  g.shift = l.get_int32(t + "shift", g.shift, 0, kMultiMnistMaxShift);
  g.intensity_min = l.get_number(t + "intensity_min", g.intensity_min);
  NNLAB_CHECK(g.intensity_min > 0 && g.intensity_min <= 1,
              "{}{}intensity_min must be in (0, 1], got {}", l.at(t + "intensity_min"), t,
              g.intensity_min);
  g.intensity_max = l.get_number(t + "intensity_max", g.intensity_max);
  NNLAB_CHECK(g.intensity_max >= g.intensity_min && g.intensity_max <= 1,
              "{}{}intensity_max must be in [intensity_min ({}), 1], got {}",
              l.at(t + "intensity_max"), t, g.intensity_min, g.intensity_max);
  g.combine = l.get_string(t + "combine", g.combine);
  l.check_one_of(t + "combine", g.combine, multi_mnist_combines());
  return g;
}

// A corruption written "gaussian:0.3" (data/corruption.hpp); its errors name the line and key.
CorruptionSpec read_corruption(const Lookup& l, const std::string& key, const toml::node* node) {
  try {
    return CorruptionSpec::parse(node->as_string()->get());
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}: {}", where(*node, l.file()), key, e.what()));
  }
}

DataConfig read_data(const Lookup& l) {
  DataConfig d;
  d.dataset = l.get_string("data.dataset", d.dataset);
  NNLAB_CHECK(!d.dataset.empty(), "{}data.dataset must not be empty", l.at("data.dataset"));
  d.dir = l.get_string("data.dir", d.dir);
  if (d.dataset == "csv") d.csv = read_csv_data(l);
  if (d.dataset == "multi-mnist")
    d.generate = read_generate(l);
  else
    NNLAB_CHECK(!l.has("data.generate"),
                "{}data.generate applies to data.dataset = \"multi-mnist\" only, not \"{}\"",
                l.at("data.generate"), d.dataset);
  d.train_limit = l.get_int("data.train_limit", 0, 0);
  d.test_limit = l.get_int("data.test_limit", 0, 0);
  if (const auto* v = l.find("data.validation")) {
    if (v->is_integer()) {
      d.validation = l.get_int("data.validation", 0, 0);
    } else {
      const double f = l.get_number("data.validation", 0);
      NNLAB_CHECK(f > 0 && f < 1,
                  "{}data.validation must be a fraction in (0, 1) or an integer count, got {}",
                  l.at("data.validation"), f);
      d.validation_fraction = f;
    }
  }
  d.stratified = l.get_bool("data.stratified", d.stratified);
  d.noisy_copies = l.get_int32("data.noisy_copies", d.noisy_copies, 0);
  const double sigma = l.get_number("data.noisy_sigma", d.noisy_sigma);
  l.check_non_negative("data.noisy_sigma", sigma);
  d.noisy_sigma = static_cast<float>(sigma);
  d.augment = read_augment(l, "data.augment");
  if (l.has("data.corrupt")) d.corrupt = read_corruption(l, "data.corrupt", l.find("data.corrupt"));
  if (l.has("data.oversample")) {
    OversampleConfig o;
    const double p = l.get_number("data.oversample.p", o.p);
    l.check_unit("data.oversample.p", p, true);
    o.p = static_cast<float>(p);
    o.augment = read_augment(l, "data.oversample");
    d.oversample = o;
  }
  return d;
}

using Keys = std::vector<std::pair<std::string, const toml::node*>>;

Keys entries(const toml::table* table) {
  Keys keys;
  if (table)
    for (const auto& [key, value] : *table) keys.emplace_back(std::string(key.str()), &value);
  return keys;
}

// A layer key with its value, from a run's quoted key, a sweep axis or a --set.
struct LayerEdit {
  std::string key;
  LayerPath path;
  const toml::node* value;
};

// The layer keys among one source's `keys` join `edits`: those for every layer first, so that
// an indexed key of the same source wins over them.
void add_layer_edits(std::vector<LayerEdit>& edits, const Keys& keys, const std::string& file) {
  const auto first = static_cast<std::ptrdiff_t>(edits.size());
  for (const auto& [key, value] : keys)
    if (auto path = parse_layer_path(key, where(*value, file)))
      edits.push_back({key, *path, value});
  std::stable_partition(edits.begin() + first, edits.end(),
                        [](const LayerEdit& e) { return !e.path.index; });
}

// Sets each layer key on the layers, in order: an indexed one on its layer (which need not hold
// the key yet), any other on every layer that holds it.
void apply_layer_edits(std::vector<LayerSpec>& layers, const std::vector<LayerEdit>& edits,
                       const RunSource& src, const std::string& file) {
  for (const auto& e : edits) {
    const std::string at = where(*e.value, file);
    if (e.path.index) {
      check_layer_index(e.path, e.key, layers.size(),
                        fmt::format("model.layers of run '{}'", src.name), at);
      set_layer_value(layers[*e.path.index], e.path.param, *e.value);
      continue;
    }
    int count = 0;
    for (auto& spec : layers)
      if (layer_has(spec, e.path.param)) set_layer_value(spec, e.path.param, *e.value), ++count;
    NNLAB_CHECK(count > 0, "{}: {}: no layer of model.layers has '{}'", at, e.key, e.path.param);
  }
}

// model.layers with the run's layer keys applied (its own, then its sweep's, then its --set's),
// and the model-level defaults copied into the layers that lack them.
std::vector<LayerSpec> read_layers(const Lookup& l, const RunSource& src) {
  const auto* node = l.find("model.layers");
  NNLAB_CHECK(node && node->is_array() && !node->as_array()->empty(),
              "{}model.layers must list the layers, e.g. layers = [{{type=\"dense\", units=10}}]",
              l.at("model.layers"));
  const auto& array = *node->as_array();
  std::vector<LayerSpec> layers;
  for (size_t i = 0; i < array.size(); ++i) {
    LayerSpec spec;
    spec.where = fmt::format("{}: model.layers[{}]", where(*array.get(i), l.file()), i);
    for (const auto& [key, value] : *array.get(i)->as_table())
      set_layer_value(spec, std::string(key.str()), value);
    layers.push_back(std::move(spec));
  }
  std::vector<LayerEdit> edits;
  add_layer_edits(edits, entries(src.table), l.file());
  add_layer_edits(edits, src.swept, l.file());
  add_layer_edits(edits, entries(src.overlay), l.file());
  apply_layer_edits(layers, edits, src, l.file());

  int last_dense = -1;
  for (size_t i = 0; i < layers.size(); ++i)
    if (layers[i].type == "dense") last_dense = static_cast<int>(i);
  const std::string activation = l.get_string("model.activation", "relu");
  const bool has_init = l.has("model.init");
  const std::string init = l.get_string("model.init", "");
  // model.init and the penalties reach every layer that takes them; model.activation only the
  // hidden dense layers, since a conv layer is often followed by batch_norm before its activation.
  for (size_t i = 0; i < layers.size(); ++i) {
    auto& spec = layers[i];
    if (spec.type == "dense" && static_cast<int>(i) != last_dense &&
        !spec.strings.count("activation"))
      spec.strings["activation"] = activation;
    if (has_init && layer_takes(spec.type, "init") && !spec.strings.count("init"))
      spec.strings["init"] = init;
    for (const char* key : {"l1", "l2", "max_norm"}) {
      const std::string full = std::string("model.") + key;
      if (!l.has(full) || spec.numbers.count(key) || !layer_takes(spec.type, key)) continue;
      const double v = l.get_number(full, 0);
      l.check_non_negative(full, v);
      spec.numbers[key] = v;
    }
  }
  return layers;
}

ModelConfig read_model(const Lookup& l, const RunSource& src) {
  ModelConfig m;
  m.layers = read_layers(l, src);
  m.max_params = l.get_int("model.max_params", 0, 0);
  // At most 10 TB: a layer's output is refused past 4 TB a sample (nn/model_builder.hpp).
  m.max_memory_gb = l.get_number("model.max_memory_gb", 0);
  if (l.has("model.max_memory_gb"))
    l.check_range("model.max_memory_gb", m.max_memory_gb, 1e-3, 1e4);
  return m;
}

OptimizerConfig read_optimizer(const Lookup& l) {
  OptimizerConfig o;
  o.type = l.get_string("train.optimizer.type", o.type);
  l.check_one_of("train.optimizer.type", o.type, {"sgd", "rmsprop", "adam", "adamw"});
  auto number = [&](const char* name, float fallback) {
    const std::string key = std::string("train.optimizer.") + name;
    return std::pair{key, l.get_number(key, fallback)};
  };
  auto [lr_key, lr] = number("lr", o.lr);
  l.check_positive(lr_key, lr);
  auto [m_key, momentum] = number("momentum", o.momentum);
  l.check_unit(m_key, momentum, false);
  auto [rho_key, rho] = number("rho", o.rho);
  l.check_unit(rho_key, rho, false);
  auto [b1_key, beta1] = number("beta1", o.beta1);
  l.check_unit(b1_key, beta1, false);
  auto [b2_key, beta2] = number("beta2", o.beta2);
  l.check_unit(b2_key, beta2, false);
  auto [eps_key, eps] = number("eps", o.eps);
  l.check_positive(eps_key, eps);
  auto [wd_key, wd] = number("weight_decay", o.weight_decay);
  l.check_non_negative(wd_key, wd);
  o.lr = static_cast<float>(lr);
  o.momentum = static_cast<float>(momentum);
  o.nesterov = l.get_bool("train.optimizer.nesterov", o.nesterov);
  o.rho = static_cast<float>(rho);
  o.beta1 = static_cast<float>(beta1);
  o.beta2 = static_cast<float>(beta2);
  o.eps = static_cast<float>(eps);
  o.weight_decay = static_cast<float>(wd);
  // The two forms of weight decay differ for adaptive optimizers, so a study names its choice;
  // adamw is decoupled by definition.
  const std::string decay_key = "train.optimizer.decay";
  const std::string decay = l.get_string(decay_key, o.type == "adamw" ? "decoupled" : "");
  NNLAB_CHECK(!decay.empty() || wd == 0,
              "{}{} = {} needs {} = \"coupled\" (an L2 term in the gradient, as PyTorch's "
              "Adam(weight_decay), SGD and RMSprop) or \"decoupled\" (AdamW's w -= lr*wd*w)",
              l.at(wd_key), wd_key, wd, decay_key);
  if (!decay.empty()) {
    l.check_one_of(decay_key, decay, {"coupled", "decoupled"});
    o.decay = decay == "coupled" ? WeightDecay::coupled : WeightDecay::decoupled;
    NNLAB_CHECK(o.type != "adamw" || o.decay == WeightDecay::decoupled,
                "{}{} = \"coupled\" contradicts type = \"adamw\" (decoupled by definition); use "
                "type = \"adam\" for PyTorch's Adam(weight_decay)",
                l.at(decay_key), decay_key);
  }
  return o;
}

ScheduleConfig read_schedule(const Lookup& l) {
  ScheduleConfig s;
  s.type = l.get_string("train.schedule.type", s.type);
  l.check_one_of("train.schedule.type", s.type, {"constant", "step", "exponential", "cosine"});
  s.step_epochs = l.get_int32("train.schedule.step_epochs", s.step_epochs, 1);
  const double gamma = l.get_number("train.schedule.gamma", s.gamma);
  l.check_positive("train.schedule.gamma", gamma);
  const double min_lr = l.get_number("train.schedule.min_lr", s.min_lr);
  l.check_non_negative("train.schedule.min_lr", min_lr);
  s.gamma = static_cast<float>(gamma);
  s.min_lr = static_cast<float>(min_lr);
  // Warm-up lengths are bounded so that the step arithmetic of learning_rate cannot overflow.
  constexpr int64_t kMaxWarmup = 1'000'000'000;
  s.warmup_epochs = l.get_int32("train.schedule.warmup_epochs", s.warmup_epochs, 0, 1'000'000);
  s.warmup_steps = l.get_int("train.schedule.warmup_steps", s.warmup_steps, 0, kMaxWarmup);
  return s;
}

TrainConfig read_train(const Lookup& l) {
  TrainConfig t;
  t.loss = l.get_string("train.loss", t.loss);
  l.check_one_of("train.loss", t.loss, {"cross_entropy", "mse", "binary_cross_entropy"});
  const double smoothing = l.get_number("train.label_smoothing", t.label_smoothing);
  l.check_unit("train.label_smoothing", smoothing, false);
  NNLAB_CHECK(smoothing == 0 || t.loss == "cross_entropy",
              "{}train.label_smoothing applies to cross_entropy only, not to train.loss '{}'",
              l.at("train.label_smoothing"), t.loss);
  t.label_smoothing = static_cast<float>(smoothing);
  t.epochs = l.get_int32("train.epochs", t.epochs, 1);
  // Bounded so that a batch's buffers stay allocatable: a million MNIST images is 3 GB.
  constexpr int64_t kMaxBatch = 1'000'000;
  t.batch = l.get_int("train.batch", t.batch, 1, kMaxBatch);
  t.eval_batch = l.get_int("train.eval_batch", t.eval_batch, 1, kMaxBatch);
  t.tta.hflip = l.get_bool("train.tta.hflip", t.tta.hflip);
  // At most the image's side, checked once the dataset's shape is known (preflight.cpp).
  t.tta.shift = l.get_int32("train.tta.shift", t.tta.shift, 0);
  t.tta.random_views =
      l.get_int32("train.tta.random_views", t.tta.random_views, 0, kMaxTtaRandomViews);
  // Its settings against the images, and that it comes with random views, in preflight.cpp.
  t.tta.augment = read_augment(l, "train.tta.augment");
  t.shuffle = l.get_bool("train.shuffle", t.shuffle);
  const double noise = l.get_number("train.grad_noise", t.grad_noise);
  l.check_non_negative("train.grad_noise", noise);
  t.grad_noise = static_cast<float>(noise);
  t.refit = l.get_bool("train.refit", t.refit);
  t.on_divergence = l.get_string("train.on_divergence", t.on_divergence);
  l.check_one_of("train.on_divergence", t.on_divergence, {"stop", "rollback"});
  t.rollback_lr_factor = l.get_number("train.rollback_lr_factor", t.rollback_lr_factor);
  NNLAB_CHECK(t.rollback_lr_factor > 0 && t.rollback_lr_factor < 1,
              "{}train.rollback_lr_factor must be in (0, 1), got {}",
              l.at("train.rollback_lr_factor"), t.rollback_lr_factor);
  // Each rollback retrains up to an epoch: a bound keeps a hopeless run from looping for days.
  constexpr int kMaxRollbacks = 100;
  t.max_rollbacks = l.get_int32("train.max_rollbacks", t.max_rollbacks, 1, kMaxRollbacks);
  t.optimizer = read_optimizer(l);
  // The optimizer's pass keeps the average (optim/optimizer.hpp); the study says it under train.
  const double ema = l.get_number("train.ema", 0);
  NNLAB_CHECK(ema >= 0 && ema < 1, "{}train.ema must be in [0, 1), got {}", l.at("train.ema"), ema);
  t.optimizer.average = static_cast<float>(ema);
  t.schedule = read_schedule(l);
  auto& es = t.early_stopping;
  es.enabled = l.has("train.early_stopping");
  es.monitor = l.get_string("train.early_stopping.monitor", es.monitor);
  l.check_one_of("train.early_stopping.monitor", es.monitor,
                 {"val_loss", "val_accuracy", "train_loss"});
  es.patience = l.get_int32("train.early_stopping.patience", es.patience, 0);
  es.min_delta = l.get_number("train.early_stopping.min_delta", es.min_delta);
  l.check_non_negative("train.early_stopping.min_delta", es.min_delta);
  es.restore_best = l.get_bool("train.early_stopping.restore_best", es.restore_best);
  return t;
}

constexpr int64_t kMaxProfileInputs = 32;  // rows of a profile heatmap
constexpr size_t kMaxCorruptions = 64;     // rows of the corruption table
constexpr int kMaxReconstructions = 1024;
constexpr int64_t kMaxGenerationFit = 10'000'000;  // training codes a sampler fits on
constexpr int64_t kMaxMixtureComponents = 1000;
constexpr int kMaxReceptiveFields = 1024;

// diagnostics.profile_inputs: a count K (the first K test samples) or a list of indices.
std::vector<int64_t> read_profile_inputs(const Lookup& l, std::vector<int64_t> fallback) {
  const std::string key = "diagnostics.profile_inputs";
  const auto* node = l.find(key);
  if (!node) return fallback;
  std::vector<int64_t> indices;
  if (node->is_integer()) {
    const int64_t count = l.get_int(key, 0, 0, kMaxProfileInputs);
    for (int64_t i = 0; i < count; ++i) indices.push_back(i);
    return indices;
  }
  const auto& array = *node->as_array();  // the schema allows only integers here
  NNLAB_CHECK(static_cast<int64_t>(array.size()) <= kMaxProfileInputs,
              "{}{} may list at most {} samples, got {}", l.at(key), key, kMaxProfileInputs,
              array.size());
  for (const auto& v : array) {
    const int64_t i = v.as_integer()->get();
    NNLAB_CHECK(i >= 0, "{}{} must hold indices >= 0, got {}", l.at(key), key, i);
    indices.push_back(i);
  }
  return indices;
}

std::optional<DiagnosticsConfig::Generation> read_generation(const Lookup& l) {
  if (!l.has("diagnostics.generation")) return std::nullopt;
  DiagnosticsConfig::Generation g;
  GenerationOptions& o = g.options;
  const std::string samplers = "diagnostics.generation.samplers";
  if (const auto* list = l.find(samplers)) {
    o.samplers.clear();
    for (const auto& v : *list->as_array()) {  // the schema allows only strings, at least one
      const std::string kind = v.as_string()->get();
      NNLAB_CHECK(std::find(o.samplers.begin(), o.samplers.end(), kind) == o.samplers.end(),
                  "{}: {} lists '{}' twice", where(v, l.file()), samplers, kind);
      const auto kinds = latent_sampler_kinds();
      NNLAB_CHECK(std::find(kinds.begin(), kinds.end(), kind) != kinds.end(),
                  "{}: {} has an unknown sampler '{}' (samplers: {})", where(v, l.file()), samplers,
                  kind, fmt::join(kinds, ", "));
      o.samplers.push_back(kind);
    }
  }
  o.count = l.get_int("diagnostics.generation.count", o.count, 2, kMaxGenerate);
  o.fit_limit = l.get_int("diagnostics.generation.fit_limit", o.fit_limit, 2, kMaxGenerationFit);
  o.components =
      l.get_int("diagnostics.generation.components", o.components, 1, kMaxMixtureComponents);
  g.classifier = l.get_string("diagnostics.generation.classifier", "");
  return g;
}

DiagnosticsConfig read_diagnostics(const Lookup& l) {
  DiagnosticsConfig d;
  d.inactive_neurons = l.get_bool("diagnostics.inactive_neurons", d.inactive_neurons);
  const double threshold = l.get_number("diagnostics.inactive_threshold", d.inactive_threshold);
  l.check_positive("diagnostics.inactive_threshold", threshold);
  d.inactive_threshold = static_cast<float>(threshold);
  d.inactive_every = l.get_int32("diagnostics.inactive_every", d.inactive_every, 1);
  d.misclassified = l.get_int32("diagnostics.misclassified", d.misclassified, 0);
  d.augment_preview = l.get_int32("diagnostics.augment_preview", d.augment_preview, 0);
  if (const auto* list = l.find("diagnostics.corruptions")) {
    NNLAB_CHECK(list->as_array()->size() <= kMaxCorruptions,
                "{}diagnostics.corruptions may list at most {} corruptions, got {}",
                l.at("diagnostics.corruptions"), kMaxCorruptions, list->as_array()->size());
    for (const auto& v : *list->as_array())
      d.corruptions.push_back(read_corruption(l, "diagnostics.corruptions", &v));
  }
  d.reconstructions =
      l.get_int32("diagnostics.reconstructions", d.reconstructions, 0, kMaxReconstructions);
  d.generation = read_generation(l);
  d.weight_histograms = l.get_bool("diagnostics.weight_histograms", d.weight_histograms);
  d.figures = l.get_bool("diagnostics.figures", d.figures);
  d.figure_input = l.get_int("diagnostics.figure_input", d.figure_input, 0);
  d.profile_inputs = read_profile_inputs(l, d.profile_inputs);
  d.receptive_fields =
      l.get_int32("diagnostics.receptive_fields", d.receptive_fields, 0, kMaxReceptiveFields);
  // The full test sets hold 10000 samples; a limited one is known here already.
  const int64_t test_limit = l.get_int("data.test_limit", 0, 0);
  if (d.figures && test_limit > 0) {
    NNLAB_CHECK(d.figure_input < test_limit,
                "{}diagnostics.figure_input must be < data.test_limit ({}), got {}",
                l.at("diagnostics.figure_input"), test_limit, d.figure_input);
    for (int64_t i : d.profile_inputs)
      NNLAB_CHECK(i < test_limit,
                  "{}diagnostics.profile_inputs must be < data.test_limit ({}), got {}",
                  l.at("diagnostics.profile_inputs"), test_limit, i);
  }
  return d;
}

Reference read_reference(const Lookup& l) {
  Reference r;
  auto fraction = [&](const char* name) -> std::optional<double> {
    const std::string key = std::string("reference.") + name;
    auto v = l.get_optional_number(key);
    if (v) l.check_unit(key, *v, true);
    return v;
  };
  r.test_accuracy = fraction("test_accuracy");
  r.test_accuracy_std = fraction("test_accuracy_std");
  r.val_accuracy = fraction("val_accuracy");
  r.train_accuracy = fraction("train_accuracy");
  if ((r.test_mse = l.get_optional_number("reference.test_mse")))
    l.check_non_negative("reference.test_mse", *r.test_mse);
  r.source = l.get_string("reference.source", "");
  return r;
}

// What each task needs of the data and the loss, said where the study sets them.
void check_task(const Lookup& l, const RunSpec& run) {
  const bool csv = run.data.dataset == "csv";
  const std::string& loss = run.train.loss;
  switch (run.task) {
    case Task::classify:
      NNLAB_CHECK(!csv,
                  "{}task = \"classify\" needs class labels, but data.dataset = \"csv\" gives "
                  "target values: set task = \"regress\"",
                  l.at("task"));
      NNLAB_CHECK(loss == "cross_entropy",
                  "{}task = \"classify\" trains with train.loss = \"cross_entropy\", got '{}'; "
                  "set task = \"reconstruct\" or \"regress\" for {}",
                  l.at("train.loss"), loss, loss);
      break;
    case Task::regress:
      NNLAB_CHECK(csv,
                  "{}task = \"regress\" needs target values: data.dataset = \"csv\" with "
                  "data.csv.targets (got data.dataset = \"{}\")",
                  l.at("task"), run.data.dataset);
      [[fallthrough]];
    case Task::reconstruct:
      NNLAB_CHECK(loss != "cross_entropy",
                  "{}task = \"{}\" compares values: train.loss must be \"mse\" or "
                  "\"binary_cross_entropy\", got \"cross_entropy\"",
                  l.at("train.loss"), task_name(run.task));
      NNLAB_CHECK(run.train.early_stopping.monitor != "val_accuracy",
                  "{}train.early_stopping.monitor = \"val_accuracy\" needs task = \"classify\"",
                  l.at("train.early_stopping.monitor"));
      NNLAB_CHECK(!run.data.oversample,
                  "{}data.oversample balances classes: it needs task = \"classify\"",
                  l.at("data.oversample"));
      break;
  }
}

// diagnostics.generation decodes codes: it needs an autoencoder, and its classifier must be a
// classify run on the same data that runs before it (runs run in file order).
void check_generation(const Lookup& l, const RunSpec& run, const std::vector<RunSpec>& earlier) {
  if (!run.diagnostics.generation) return;
  const std::string key = "diagnostics.generation";
  NNLAB_CHECK(run.task == Task::reconstruct,
              "{}{} generates from an autoencoder's codes: it needs "
              "task = \"reconstruct\" (run '{}' is {})",
              l.at(key), key, run.name, task_name(run.task));
  const auto& layers = run.model.layers;
  NNLAB_CHECK(std::any_of(layers.begin(), layers.end(),
                          [](const LayerSpec& layer) { return layer.type == "code"; }),
              "{}{} needs a {{type = \"code\"}} layer in model.layers, where the decoder starts "
              "(run '{}')",
              l.at(key), key, run.name);
  const std::string& name = run.diagnostics.generation->classifier;
  if (name.empty()) return;
  const auto it = std::find_if(earlier.begin(), earlier.end(),
                               [&](const RunSpec& r) { return r.name == name; });
  std::vector<std::string> names;
  for (const RunSpec& r : earlier) names.push_back(r.name);
  NNLAB_CHECK(it != earlier.end(),
              "{}{}.classifier names no run before '{}': '{}' (runs before it: {})",
              l.at(key + ".classifier"), key, run.name, name,
              names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", ")));
  NNLAB_CHECK(it->task == Task::classify && it->data.dataset == run.data.dataset && !it->search,
              "{}{}.classifier = '{}' must be a classify run (not a search) on data.dataset = "
              "\"{}\", like run '{}'; it is {} on \"{}\"",
              l.at(key + ".classifier"), key, name, run.data.dataset, run.name, task_name(it->task),
              it->data.dataset);
}

RunSpec read_run(const toml::table& root, const RunSource& src, const std::string& file,
                 const std::vector<RunSpec>& earlier) {
  Lookup l(file);
  l.add(src.overlay);
  for (const auto& [key, value] : src.swept) l.add(value, split_path(key));
  l.add(src.table);
  Lookup common(file);  // the reference belongs to the run alone
  common.add(src.overlay);
  common.add(src.table);
  l.add(&root);

  RunSpec run;
  run.name = src.name;
  run.sweep_of = src.sweep_of;
  for (const auto& [key, value] : src.swept)
    if (value->is_number())
      run.swept[key] = value->is_integer() ? static_cast<double>(value->as_integer()->get())
                                           : value->as_floating_point()->get();
  const std::string task = l.get_string("task", "classify");
  l.check_one_of("task", task, task_names());
  run.task = parse_task(task);
  run.repeats = l.get_int32("repeats", 1, 1);
  run.seed = static_cast<uint64_t>(l.get_int("seed", 1, 0));
  run.data = read_data(l);
  run.transforms = read_transforms(l, earlier, run.name);
  run.learner = read_learner(l, run.seed);
  if (run.learner.network()) run.model = read_model(l, src);
  run.train = read_train(l);
  run.diagnostics = read_diagnostics(l);
  run.reference = read_reference(common);
  const auto& es = run.train.early_stopping;
  NNLAB_CHECK(!es.enabled || es.monitor == "train_loss" || run.data.validation > 0 ||
                  run.data.validation_fraction > 0,
              "{}train.early_stopping.monitor = \"{}\" needs a validation split (data.validation)",
              l.at("train.early_stopping"), es.monitor);
  NNLAB_CHECK(!run.train.tta.enabled() || (run.learner.network() && run.task == Task::classify),
              "{}train.tta needs a network classifier (task = \"classify\", no [learner])",
              l.at("train.tta"));
  check_task(l, run);
  check_learner(l, run);
  check_generation(l, run, earlier);
  return run;
}

std::optional<LrSweep> read_lr_sweep(const toml::table& root, const std::vector<RunSpec>& runs,
                                     const std::string& file) {
  if (!root.get("lr_sweep")) return std::nullopt;
  Lookup l(file);
  l.add(&root);
  LrSweep sweep;
  NNLAB_CHECK(l.has("lr_sweep.run"), "{}lr_sweep.run must name the run to sweep", l.at("lr_sweep"));
  sweep.run = l.get_string("lr_sweep.run", "");
  std::vector<std::string> names;
  for (const auto& r : runs) names.push_back(r.name);
  NNLAB_CHECK(std::find(names.begin(), names.end(), sweep.run) != names.end(),
              "{}lr_sweep.run names no run: '{}' (runs: {}; did you mean '{}'?)",
              l.at("lr_sweep.run"), sweep.run, fmt::join(names, ", "), closest(sweep.run, names));
  NNLAB_CHECK(l.has("lr_sweep.rates"), "{}lr_sweep.rates must list the learning rates",
              l.at("lr_sweep"));
  for (const auto& rate : *l.find("lr_sweep.rates")->as_array()) {
    const double v = rate.is_integer() ? static_cast<double>(rate.as_integer()->get())
                                       : rate.as_floating_point()->get();
    NNLAB_CHECK(v > 0 && std::isfinite(v), "{}: lr_sweep.rates must be finite and > 0, got {}",
                where(rate, file), v);
    sweep.rates.push_back(v);
  }
  sweep.epochs = l.get_int32("lr_sweep.epochs", 1, 1);
  return sweep;
}

// [[ensembles]]: each names at least two distinct classifier runs of the study, and a name that
// no run and no other ensemble has (a run's own repeats are an ensemble named after the run).
std::vector<EnsembleSpec> read_ensembles(const toml::table& root, const std::vector<RunSpec>& runs,
                                         const std::string& file) {
  std::vector<EnsembleSpec> out;
  const auto* array = root.get_as<toml::array>("ensembles");
  if (!array) return out;
  // Sets and a map, not linear scans: a file may declare many ensembles of many runs.
  std::map<std::string, const RunSpec*> by_name;
  std::vector<std::string> run_names;
  for (const RunSpec& r : runs) {
    by_name[r.name] = &r;
    run_names.push_back(r.name);
  }
  std::set<std::string> ensemble_names;
  for (const auto& item : *array) {
    const toml::table& t = *item.as_table();
    NNLAB_CHECK(t.get("name") && t.get("runs"),
                "{}: every [[ensembles]] entry needs a name and runs", where(item, file));
    EnsembleSpec e{.name = t.get_as<std::string>("name")->get(), .runs = {}};
    const std::string name_at = where(*t.get("name"), file);
    NNLAB_CHECK(!e.name.empty(), "{}: ensembles.name must not be empty", name_at);
    NNLAB_CHECK(!by_name.contains(e.name),
                "{}: ensemble '{}' has the name of a run, whose repeats are an ensemble of that "
                "name already",
                name_at, e.name);
    NNLAB_CHECK(ensemble_names.insert(e.name).second,
                "{}: ensembles.name '{}' is used by two ensembles", name_at, e.name);
    std::set<std::string> named;
    for (const auto& node : *t.get_as<toml::array>("runs")) {
      const std::string run = node.as_string()->get();
      const std::string run_at = where(node, file);
      const auto it = by_name.find(run);
      NNLAB_CHECK(it != by_name.end(),
                  "{}: ensembles.{}.runs names no run: '{}' (runs: {}; did you mean '{}'?)", run_at,
                  e.name, run, fmt::join(run_names, ", "), closest(run, run_names));
      NNLAB_CHECK(named.insert(run).second, "{}: ensembles.{}.runs names run '{}' twice", run_at,
                  e.name, run);
      NNLAB_CHECK(it->second->task == Task::classify,
                  "{}: ensembles.{}.runs: run '{}' is not a classifier (task = \"classify\"); an "
                  "ensemble averages class probabilities",
                  run_at, e.name, run);
      e.runs.push_back(run);
    }
    NNLAB_CHECK(e.runs.size() >= 2,
                "{}: ensembles.{}.runs must name at least two runs (one run's repeats are an "
                "ensemble of their own already)",
                where(*t.get("runs"), file), e.name);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

Study parse_study(const std::string& text, const std::string& path,
                  const std::vector<std::string>& overrides) {
  if (const auto line = line_nested_too_deep(text))
    throw Error(
        fmt::format("{}:{}: the study nests deeper than {} levels (each part of a dotted "
                    "key or table header, each bracket of an inline table or array)",
                    path, *line, kMaxTomlDepth));
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw Error(fmt::format("{}:{}:{}: {}", path, e.source().begin.line, e.source().begin.column,
                            e.description()));
  }
  const auto pending = apply_overrides(root, overrides);
  validate_study(root, path);

  Lookup top(path);
  top.add(&root);
  Study study;
  study.path = path;
  study.name = top.get_string("name", "");
  if (study.name.empty()) {
    study.name = path;
    const size_t slash = study.name.find_last_of('/');
    if (slash != std::string::npos) study.name = study.name.substr(slash + 1);
    const size_t dot = study.name.rfind(".toml");
    if (dot != std::string::npos) study.name.resize(dot);
  }
  study.description = top.get_string("description", "");
  study.source_text = text;
  if (!study.source_text.empty() && study.source_text.back() != '\n') study.source_text += '\n';
  for (const auto& o : overrides) study.source_text += "# --set " + o + "\n";
  std::ostringstream resolved;
  resolved << root;  // tables print their keys in sorted order: the same settings, the same text
  study.resolved = resolved.str();
  study.text = text;
  study.overrides = overrides;
  {
    toml::table identity = root;
    if (auto* runs = identity.get_as<toml::array>("runs"))
      for (auto& run : *runs)
        if (auto* t = run.as_table()) t->erase("search");
    std::ostringstream out;
    out << identity;
    study.trial_identity = out.str();
  }

  if (const auto* runs = root.get_as<toml::array>("runs"))
    for (const auto& item : *runs)
      NNLAB_CHECK(item.as_table()->get("name"), "{}: every [[runs]] entry needs a name",
                  where(item, path));
  std::vector<RunSource> sources = expand_runs(root, study.name, path);
  const auto overlays = run_overlays(pending, sources, path);
  std::set<std::string> seen;
  for (auto& src : sources) {
    if (const auto it = overlays.find(src.name); it != overlays.end()) src.overlay = &it->second;
    const auto* name_node = src.table ? src.table->get("name") : nullptr;
    const std::string at = name_node ? where(*name_node, path) : path;
    NNLAB_CHECK(!src.name.empty(), "{}: runs.name must not be empty", at);
    NNLAB_CHECK(seen.insert(src.name).second, "{}: runs.name '{}' is used by two runs", at,
                src.name);
    study.runs.push_back(read_run(root, src, path, study.runs));
    if (const auto* search = src.table ? src.table->get_as<toml::table>("search") : nullptr) {
      NNLAB_CHECK(src.swept.empty(),
                  "{}: run '{}' has both a sweep and a search; a search's "
                  "space covers what the sweep would",
                  where(*search, path), src.name);
      study.runs.back().search = read_search(*search, path);
    }
  }
  study.lr_sweep = read_lr_sweep(root, study.runs, path);
  study.ensembles = read_ensembles(root, study.runs, path);
  check_run_folders(study);
  return study;
}

const RunSpec& Study::run(std::string_view name) const {
  const auto it =
      std::find_if(runs.begin(), runs.end(), [&](const RunSpec& r) { return r.name == name; });
  if (it != runs.end()) return *it;
  std::vector<std::string_view> names;
  for (const RunSpec& r : runs) names.push_back(r.name);
  throw Error(fmt::format("{}: no run '{}'; runs: {}", path, name, fmt::join(names, ", ")));
}

RunSpec& Study::run(std::string_view name) {
  return const_cast<RunSpec&>(std::as_const(*this).run(name));
}

Study load_study(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path, std::ios::binary);
  NNLAB_CHECK(in, "{}: cannot open the study file (no such file or not readable)", path);
  std::ostringstream text;
  text << in.rdbuf();
  return parse_study(text.str(), path, overrides);
}

}  // namespace nnlab
