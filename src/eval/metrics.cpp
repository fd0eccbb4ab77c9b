#include "eval/metrics.hpp"

#include <fmt/format.h>

#include <cmath>
#include <numeric>

#include "tensor/error.hpp"

namespace nnlab {

namespace {

// RFC 4180: a field with a comma, quote or newline is quoted, its quotes doubled.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

double ratio(int64_t num, int64_t den) {
  return den == 0 ? 0.0 : static_cast<double>(num) / static_cast<double>(den);
}

void check_names(int k, const std::vector<std::string>& class_names) {
  NNLAB_CHECK(static_cast<int>(class_names.size()) == k, "{} class names given for {} classes",
              class_names.size(), k);
}

}  // namespace

ConfusionMatrix::ConfusionMatrix(int num_classes)
    : k_(num_classes),
      counts_(static_cast<size_t>(num_classes > 0 ? num_classes : 0) *
              static_cast<size_t>(num_classes > 0 ? num_classes : 0)) {
  NNLAB_CHECK(num_classes > 0, "a confusion matrix needs at least one class, got {}", num_classes);
}

ConfusionMatrix::ConfusionMatrix(int num_classes, std::span<const int32_t> truth,
                                 std::span<const int32_t> predicted)
    : ConfusionMatrix(num_classes) {
  NNLAB_CHECK(truth.size() == predicted.size(), "{} true labels but {} predictions", truth.size(),
              predicted.size());
  for (size_t i = 0; i < truth.size(); ++i) add(truth[i], predicted[i]);
}

void ConfusionMatrix::add(int32_t truth, int32_t predicted) {
  NNLAB_CHECK(truth >= 0 && truth < k_ && predicted >= 0 && predicted < k_,
              "label {} or prediction {} is outside the {} classes", truth, predicted, k_);
  ++counts_[static_cast<size_t>(truth) * static_cast<size_t>(k_) + static_cast<size_t>(predicted)];
  ++total_;
}

double ConfusionMatrix::accuracy() const {
  int64_t right = 0;
  for (int c = 0; c < k_; ++c) right += count(c, c);
  return ratio(right, total_);
}

double accuracy(std::span<const int32_t> truth, std::span<const int32_t> predicted) {
  NNLAB_CHECK(truth.size() == predicted.size(), "{} true labels but {} predictions", truth.size(),
              predicted.size());
  int64_t right = 0;
  for (size_t i = 0; i < truth.size(); ++i) right += truth[i] == predicted[i];
  return ratio(right, static_cast<int64_t>(truth.size()));
}

ClassificationReport classification_report(const ConfusionMatrix& cm) {
  const int k = cm.num_classes();
  ClassificationReport r;
  r.classes.resize(static_cast<size_t>(k));
  r.accuracy = cm.accuracy();
  for (int c = 0; c < k; ++c) {
    int64_t support = 0, predicted = 0;
    for (int j = 0; j < k; ++j) {
      support += cm.count(c, j);
      predicted += cm.count(j, c);
    }
    ClassScores& s = r.classes[static_cast<size_t>(c)];
    s.support = support;
    s.precision = ratio(cm.count(c, c), predicted);
    s.recall = ratio(cm.count(c, c), support);
    // scikit-learn computes F1 from the rounded-off precision and recall, not from counts.
    const double pr = s.precision + s.recall;
    s.f1 = pr == 0.0 ? 0.0 : 2.0 * s.precision * s.recall / pr;
  }
  const double total = static_cast<double>(cm.total());
  for (const ClassScores& s : r.classes) {
    r.macro.precision += s.precision / k;
    r.macro.recall += s.recall / k;
    r.macro.f1 += s.f1 / k;
    if (total > 0) {
      const double w = static_cast<double>(s.support) / total;
      r.weighted.precision += w * s.precision;
      r.weighted.recall += w * s.recall;
      r.weighted.f1 += w * s.f1;
    }
  }
  r.macro.support = r.weighted.support = cm.total();
  return r;
}

std::string classification_report_csv(const ClassificationReport& report,
                                      const std::vector<std::string>& class_names) {
  check_names(static_cast<int>(report.classes.size()), class_names);
  std::string out = "class,precision,recall,f1,support\n";
  auto row = [&out](const std::string& name, const ClassScores& s) {
    out += fmt::format("{},{},{},{},{}\n", csv_field(name), s.precision, s.recall, s.f1, s.support);
  };
  for (size_t c = 0; c < report.classes.size(); ++c) row(class_names[c], report.classes[c]);
  out += fmt::format("accuracy,,,{},{}\n", report.accuracy, report.macro.support);
  row("macro avg", report.macro);
  row("weighted avg", report.weighted);
  return out;
}

std::string classification_report_csv(const ConfusionMatrix& cm,
                                      const std::vector<std::string>& class_names) {
  return classification_report_csv(classification_report(cm), class_names);
}

std::string confusion_csv(const ConfusionMatrix& cm, const std::vector<std::string>& class_names) {
  const int k = cm.num_classes();
  check_names(k, class_names);
  std::string out = "true\\predicted";
  for (const std::string& name : class_names) {
    out += ',';
    out += csv_field(name);
  }
  out += '\n';
  for (int t = 0; t < k; ++t) {
    out += csv_field(class_names[static_cast<size_t>(t)]);
    for (int p = 0; p < k; ++p) out += fmt::format(",{}", cm.count(t, p));
    out += '\n';
  }
  return out;
}

std::pair<double, double> mean_std(const std::vector<double>& v) {
  if (v.empty()) return {NAN, NAN};
  const double mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  return {mean, v.size() > 1 ? std::sqrt(ss / static_cast<double>(v.size() - 1)) : 0.0};
}

}  // namespace nnlab
