// Dense + cross-entropy against PyTorch (torch.nn.functional.linear + cross_entropy, plain and
// with label smoothing): loss, dW, db and dx within 1e-4 relative (STYLE.md rule 7).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "gradient_check.hpp"
#include "nn/dense.hpp"
#include "nn/loss.hpp"
#include "support/test_support.hpp"
#include "tensor/error.hpp"

namespace nnlab::test {
namespace {

// Reads x [N, F], W [U, F], b [U], labels [N] (whitespace-separated text); writes the loss, then
// dW, db, dx, each flattened row-major.
constexpr const char* kDenseTorchScript = R"(
import sys
try:
    import torch
except ImportError:
    sys.exit(77)
d = sys.argv[1]
n, f, u = (int(v) for v in sys.argv[2:5])
smoothing = float(sys.argv[5])
def load(name, shape):
    vals = [float(v) for v in open(f"{d}/{name}").read().split()]
    return torch.tensor(vals, dtype=torch.float64).reshape(shape)
x = load("x.txt", (n, f)).requires_grad_()
w = load("w.txt", (u, f)).requires_grad_()
b = load("b.txt", (u,)).requires_grad_()
labels = load("labels.txt", (n,)).long()
loss = torch.nn.functional.cross_entropy(torch.nn.functional.linear(x, w, b), labels,
                                         label_smoothing=smoothing)
loss.backward()
with open(f"{d}/out.txt", "w") as out:
    for t in (loss.reshape(1), w.grad, b.grad, x.grad):
        out.write(" ".join(repr(v) for v in t.reshape(-1).tolist()) + "\n")
)";

void expect_dense_cross_entropy_matches_torch(float smoothing) {
  const int64_t n = 8, f = 13, u = 5;
  const auto dir = temp_dir();

  std::vector<LayerPtr> layers;
  layers.push_back(std::make_unique<Dense>("dense1", u));
  Rng init(3);
  Model model(test::exec(), {f}, std::move(layers), Head::softmax, init);
  auto& dense = static_cast<Dense&>(model.layer(0));
  Rng rng(4);
  Pass pass;
  rng.fill_normal(dense.bias().value.span(), 0.0f, 0.5f);  // a nonzero bias tests db too
  const Tensor x = random_tensor({n, f}, 5);
  std::vector<int32_t> labels(static_cast<size_t>(n));
  std::vector<float> label_values;
  for (auto& l : labels) {
    l = static_cast<int32_t>(rng.below(u));
    label_values.push_back(static_cast<float>(l));
  }
  write_floats(dir / "x.txt", x.span());
  write_floats(dir / "w.txt", dense.weight().value.span());
  write_floats(dir / "b.txt", dense.bias().value.span());
  write_floats(dir / "labels.txt", label_values);

  if (!run_oracle(kDenseTorchScript,
                  fmt::format("{} {} {} {} {}", dir.string(), n, f, u, smoothing)))
    return;

  const auto loss = make_loss("cross_entropy", smoothing);
  Tensor dout;
  const double ours =
      loss->compute(model.forward(x, Mode::train, rng, pass), {.labels = labels}, &dout);
  model.backward(pass, dout, true);
  const Tensor dx = pass.input_gradient();

  std::ifstream in(dir / "out.txt");
  auto next = [&] {
    double v = NAN;
    in >> v;
    return v;
  };
  expect_near_torch(ours, next(), "loss");
  for (int64_t i = 0; i < u * f; ++i) expect_near_torch(dense.weight().grad[i], next(), "dW");
  for (int64_t i = 0; i < u; ++i) expect_near_torch(dense.bias().grad[i], next(), "db");
  for (int64_t i = 0; i < n * f; ++i) expect_near_torch(dx[i], next(), "dx");
  ASSERT_TRUE(in.good()) << "short oracle output";
}

TEST(DenseTorch, LinearCrossEntropyMatchesPyTorch) { expect_dense_cross_entropy_matches_torch(0); }

TEST(DenseTorch, LinearCrossEntropyWithLabelSmoothingMatchesPyTorch) {
  expect_dense_cross_entropy_matches_torch(0.1f);
}

}  // namespace
}  // namespace nnlab::test
