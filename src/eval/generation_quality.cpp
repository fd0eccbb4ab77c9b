#include "eval/generation_quality.hpp"

#include <algorithm>
#include <cstring>

#include "learn/frechet.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

constexpr int64_t kBatch = 500;

/// The last layer with parameters: its input is the penultimate feature vector.
int last_parameterized(const Model& m) {
  for (int i = m.layer_count() - 1; i >= 0; --i)
    if (!m.layer(i).parameters().empty()) return i;
  return -1;
}

/// Class probabilities [N, K] and penultimate features [N, F] of `x` ([N, input...]).
void classify(Model& m, const Tensor& x, int last, Tensor& probs, Tensor& features) {
  const int64_t n = x.rows();
  const int64_t f = shape_size(m.layer(last).input_shape());
  probs.resize({n, shape_size(m.output_shape())});
  features.resize({n, f});
  Shape shape = m.input_shape();
  shape.insert(shape.begin(), 0);
  Tensor batch, out;
  Pass pass;
  Rng rng(0);
  for (int64_t first = 0; first < n; first += kBatch) {
    const int64_t b = std::min(kBatch, n - first);
    shape[0] = b;
    batch.resize(shape);
    std::memcpy(batch.data(), x.row(first), static_cast<size_t>(batch.size()) * sizeof(float));
    if (last > 0) {
      const Tensor& feat = m.forward(batch, Mode::eval, rng, pass, 0, last);
      std::memcpy(features.row(first), feat.data(),
                  static_cast<size_t>(feat.size()) * sizeof(float));
    } else {
      std::memcpy(features.row(first), batch.data(),
                  static_cast<size_t>(batch.size()) * sizeof(float));
    }
    m.predict(batch, out, rng);
    std::memcpy(probs.row(first), out.data(), static_cast<size_t>(out.size()) * sizeof(float));
  }
}

}  // namespace

GenerationQuality measure_generation(Model& classifier, const Tensor& generated,
                                     const Dataset& real, int64_t real_count) {
  NNLAB_CHECK(classifier.head() == Head::softmax,
              "measuring generated images needs a classifier with a softmax head");
  const int64_t sample = shape_size(classifier.input_shape());
  NNLAB_CHECK(generated.rows() >= 2 && generated.cols() == sample,
              "generated images have {} values each, the classifier takes {}", generated.cols(),
              sample);
  NNLAB_CHECK(real.sample_shape == classifier.input_shape() && !real.labels.empty(),
              "{}: real images of shape {} with labels are needed, the classifier takes {}",
              real.name, shape_str(real.sample_shape), shape_str(classifier.input_shape()));
  const int64_t n_real = std::min(real_count, real.size());
  NNLAB_CHECK(n_real >= 2, "{}: at least 2 real images are needed, got {}", real.name, n_real);
  const int last = last_parameterized(classifier);
  NNLAB_CHECK(last >= 0, "the classifier has no layer with parameters");

  NNLAB_CHECK(shape_size(classifier.output_shape()) == real.num_classes(),
              "{}: {} classes, the classifier has {} outputs", real.name, real.num_classes(),
              shape_size(classifier.output_shape()));
  Tensor real_x({n_real, sample});
  for (int64_t i = 0; i < n_real; ++i) real.read_sample(i, real_x.row(i));

  Tensor gen_probs, gen_features, real_probs, real_features;
  classify(classifier, generated, last, gen_probs, gen_features);
  classify(classifier, real_x, last, real_probs, real_features);

  GenerationQuality q;
  q.confident_share = confident_share(gen_probs, kConfident);
  q.histogram = class_histogram(gen_probs);
  q.entropy = histogram_entropy(q.histogram);
  // The real class distribution from every real label (labels cost nothing, unlike features): the
  // first real_count of a test set may lack a rare class, which would make KL infinite.
  const std::vector<int64_t> real_counts = real.class_counts();
  q.real_entropy = histogram_entropy(real_counts);
  const std::vector<double> reference(real_counts.begin(), real_counts.end());
  q.kl = histogram_kl(q.histogram, reference);
  q.frechet = frechet_distance(real_features, gen_features);
  return q;
}

}  // namespace nnlab
