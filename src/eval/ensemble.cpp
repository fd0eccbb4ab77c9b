#include "eval/ensemble.hpp"

#include <algorithm>
#include <cmath>

#include "io/safetensors.hpp"
#include "tensor/error.hpp"

namespace nnlab {

void save_test_outputs(const std::string& path, const Evaluation& e,
                       std::span<const int32_t> labels) {
  NNLAB_CHECK(e.classes > 0 && static_cast<int64_t>(labels.size()) == e.count &&
                  e.probabilities.size() == static_cast<size_t>(e.count * e.classes),
              "{}: test outputs need a classify evaluation of {} samples with their labels", path,
              labels.size());
  SafeTensors st;
  st.add_f32("probabilities", {e.count, e.classes}, e.probabilities.data());
  // Labels as floats: exact for any class index below 2^24 (kMaxTestClasses is far below).
  const std::vector<float> as_float(labels.begin(), labels.end());
  st.add_f32("labels", {e.count}, as_float.data());
  save_safetensors(path, st);
}

namespace {

TestOutputs read_test_outputs(const SafeTensors& st) {
  const SafeTensor& p = st.at("probabilities");
  NNLAB_CHECK(p.shape.size() == 2, "'probabilities' must be [samples, classes], got {} dims",
              p.shape.size());
  TestOutputs out{.count = p.shape[0], .classes = p.shape[1], .probabilities = {}, .labels = {}};
  NNLAB_CHECK(out.count >= 1 && out.count <= kMaxTestOutputs && out.classes >= 1 &&
                  out.classes <= kMaxTestClasses,
              "'probabilities' is [{}, {}]; at most [{}, {}] is read", out.count, out.classes,
              kMaxTestOutputs, kMaxTestClasses);
  // The shapes are within the limits, so the product cannot overflow; f32() checks the bytes.
  out.probabilities = st.f32("probabilities", {out.count, out.classes});
  for (const float v : out.probabilities)
    NNLAB_CHECK(v >= 0.f && v <= 1.f, "a probability is {}, not in [0, 1]", v);
  const std::vector<float> labels = st.f32("labels", {out.count});
  out.labels.reserve(labels.size());
  for (const float v : labels) {
    NNLAB_CHECK(v >= 0.f && v < static_cast<float>(out.classes) && v == std::floor(v),
                "a label is {}, not a class index in [0, {})", v, out.classes);
    out.labels.push_back(static_cast<int32_t>(v));
  }
  return out;
}

}  // namespace

TestOutputs load_test_outputs(const std::string& path) {
  const SafeTensors st = load_safetensors(path);  // its errors name the file
  try {
    return read_test_outputs(st);
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", path, e.what()));
  }
}

EnsembleScore score_ensemble(std::span<const TestOutputs> members,
                             std::span<const std::string> names) {
  NNLAB_CHECK(!members.empty() && names.size() == members.size(),
              "an ensemble needs members, each with a name");
  const TestOutputs& first = members[0];
  for (size_t m = 1; m < members.size(); ++m)
    NNLAB_CHECK(members[m].count == first.count && members[m].classes == first.classes &&
                    members[m].labels == first.labels,
                "{} was tested on other samples than {} ({} samples of {} classes against {} of "
                "{}, or other labels): they make no ensemble",
                names[m], names[0], members[m].count, members[m].classes, first.count,
                first.classes);
  EnsembleScore s{.members = static_cast<int>(members.size())};
  const auto k = static_cast<size_t>(first.classes);
  std::vector<double> mean(k);
  double loss_sum = 0;
  for (size_t i = 0; i < static_cast<size_t>(first.count); ++i) {
    std::fill(mean.begin(), mean.end(), 0.0);
    for (const TestOutputs& m : members)
      for (size_t c = 0; c < k; ++c) mean[c] += m.probabilities[i * k + c];
    for (double& v : mean) v /= static_cast<double>(members.size());
    const auto best =
        static_cast<int32_t>(std::max_element(mean.begin(), mean.end()) - mean.begin());
    const int32_t label = first.labels[i];
    s.errors += best != label;
    loss_sum -= std::log(std::max(mean[static_cast<size_t>(label)], 1e-12));
  }
  const auto n = static_cast<double>(first.count);
  s.accuracy = 1.0 - static_cast<double>(s.errors) / n;
  s.loss = loss_sum / n;
  return s;
}

}  // namespace nnlab
