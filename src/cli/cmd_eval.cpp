// nnlab eval MODEL.safetensors --data NAME: the test accuracy of a saved model.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <memory>
#include <numeric>

#include "cli/commands.hpp"
#include "data/catalog.hpp"
#include "eval/evaluate.hpp"
#include "tensor/error.hpp"
#include "train/model_file.hpp"

namespace nnlab::cli {

void add_eval_command(CLI::App& app) {
  struct EvalArgs {
    std::string model, data, data_dir;
    int64_t batch = 256;
  };
  auto args = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand("eval", "Score a saved model on a dataset's test set");
  cmd->add_option("model", args->model, "A model file (weights.safetensors of a run)")->required();
  cmd->add_option("--data", args->data, "Dataset name (mnist, fashion-mnist)")->required();
  cmd->add_option("--data-dir", args->data_dir, "Directory searched first for datasets");
  cmd->add_option("--batch", args->batch, "Evaluation batch size")->check(CLI::PositiveNumber);
  cmd->callback([args] {
    LoadedModel loaded = load_model(args->model);
    const DataPair pair = load_dataset(args->data, args->data_dir);
    const Dataset& test = pair.test;
    NNLAB_CHECK(test.sample_shape == loaded.model->input_shape(),
                "{}: the model takes samples of shape [{}], {} has [{}]", args->model,
                fmt::join(loaded.model->input_shape(), ", "), args->data,
                fmt::join(test.sample_shape, ", "));
    std::vector<int64_t> indices(static_cast<size_t>(test.size()));
    std::iota(indices.begin(), indices.end(), int64_t{0});
    Rng rng(0);
    const Evaluation e = evaluate(*loaded.model, *loaded.loss, test, indices, args->batch, rng);
    int64_t errors = 0;
    for (size_t i = 0; i < e.predicted.size(); ++i)
      if (e.predicted[i] != test.labels[i]) ++errors;
    fmt::print("{} on {} test ({} samples): accuracy {:.4f}, loss {:.4f}, errors {}\n", args->model,
               args->data, e.count, e.accuracy, e.loss, errors);
  });
}

}  // namespace nnlab::cli
