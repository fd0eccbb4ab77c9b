// Model files: the weights in safetensors (readable from PyTorch and NumPy) with, in the
// file's metadata, everything needed to rebuild the model (input shape, layers, loss, classes)
// and to feed it (the training dataset, its input scaling and how its images were made).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "data/catalog.hpp"
#include "data/task.hpp"
#include "nn/layer_spec.hpp"
#include "nn/loss.hpp"
#include "nn/model.hpp"

namespace nnlab {

struct ModelDescription {
  Shape input;                    // per sample, e.g. [1, 28, 28]
  std::vector<LayerSpec> layers;  // as the study gave them
  std::string loss = "cross_entropy";
  Task task = Task::classify;            // files written before tasks: classify for
                                         // cross_entropy, else regress
  std::vector<std::string> class_names;  // index -> name; empty for regression
  DataOrigin data = {};  // the training data; empty fields in files written before it was recorded
};

/// Writes every parameter and buffer as an F32 tensor named like "dense1.weight" or
/// "batch_norm2.running_mean" plus the description in the metadata key "nnlab.model" (JSON).
/// Atomic.
void save_model_file(const std::string& path, const Model& model, const ModelDescription& d);

struct LoadedModel {
  std::unique_ptr<Model> model;
  std::unique_ptr<Loss> loss;
  ModelDescription description;
};

/// Rebuilds a model saved by save_model_file; errors name the file (not a model file, a
/// missing or mis-shaped tensor, a model whose parameters and activations for an evaluation
/// batch of `eval_batch` samples would take more than the default memory limit,
/// nn/memory_estimate.hpp). The model computes on `exec`.
LoadedModel load_model(const std::string& path, ExecContext& exec, int64_t eval_batch = 1);
/// The same, keeping only the model and, when class_names is non-null, its class names.
std::unique_ptr<Model> load_model_file(const std::string& path, ExecContext& exec,
                                       std::vector<std::string>* class_names);

/// Parameter and buffer values as safetensors entries and back (shared by model files and
/// checkpoints).
struct SafeTensors;
void add_parameters(SafeTensors& file, const Model& model);
void read_parameters(const SafeTensors& file, Model& model, const std::string& path);

}  // namespace nnlab
