// How good generated images are, measured by a classifier trained on the same data (S5's
// generators compared by numbers, not only by eye):
//
//   confident_share  the share the classifier labels with probability >= 0.9: recognisable
//                    digits, not blurs between classes
//   entropy, kl      the entropy of the generated class histogram (nats), and its KL divergence
//                    from the real test set's class distribution: variety in the right
//                    proportions (a generator that repeats one class has low entropy, high KL)
//   frechet          the Frechet distance between real test images and generated ones in the
//                    classifier's penultimate features (the inputs of its last layer with
//                    parameters): the FID recipe with the study's own classifier in place of
//                    Inception
#pragma once

#include <cstdint>
#include <vector>

#include "data/dataset.hpp"
#include "nn/model.hpp"

namespace nnlab {

struct GenerationQuality {
  double confident_share = 0;
  double entropy = 0;       // of the generated class histogram
  double real_entropy = 0;  // of the real test labels
  double kl = 0;            // KL(generated || real) over classes
  double frechet = 0;
  std::vector<int64_t> histogram;  // generated images per predicted class
};

/// The confidence threshold of confident_share.
constexpr float kConfident = 0.9f;

/// `generated`: [N, sample...] or [N, sample size] values in [0, 1], read as the classifier's
/// input shape; `real`: labelled images of the classifier's input shape, of which the first
/// `real_count` give the real features (the Frechet distance) and all the labels give the real
/// class distribution (entropy and KL). Throws when the classifier has no softmax head or the
/// shapes differ.
GenerationQuality measure_generation(Model& classifier, const Tensor& generated,
                                     const Dataset& real, int64_t real_count);

}  // namespace nnlab
