// The classification report against scikit-learn's, on random labels where one class is never
// true and another appears nowhere.
#include "eval/metrics.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/test_support.hpp"
#include "tensor/error.hpp"
#include "tensor/rng.hpp"

namespace nnlab {
namespace {

// argv: dir K. Reads dir/truth.txt and dir/pred.txt (one line of labels each); writes
// dir/sklearn.txt: K rows "precision recall f1 support", then accuracy, the macro and weighted
// rows, then the K x K confusion matrix. Exit 77 without scikit-learn.
constexpr const char* kMetricsScript = R"py(
import sys
try:
    from sklearn.metrics import accuracy_score, classification_report, confusion_matrix
except ImportError:
    sys.exit(77)
d, k = sys.argv[1], int(sys.argv[2])
truth = [int(x) for x in open(d + "/truth.txt").read().split()]
pred = [int(x) for x in open(d + "/pred.txt").read().split()]
labels = list(range(k))
r = classification_report(truth, pred, labels=labels, output_dict=True, zero_division=0)
rows = [r[str(c)] for c in labels] + [r["macro avg"], r["weighted avg"]]
with open(d + "/sklearn.txt", "w") as f:
    for row in rows:
        f.write("%r %r %r %d\n" % (row["precision"], row["recall"], row["f1-score"], row["support"]))
    # With a class that appears nowhere, sklearn shows "micro avg" instead of "accuracy".
    f.write("%r\n" % accuracy_score(truth, pred))
    for row in confusion_matrix(truth, pred, labels=labels):
        f.write(" ".join(str(v) for v in row) + "\n")
)py";

TEST(Metrics, ClassificationReportMatchesScikitLearn) {
  constexpr int k = 6;
  Rng rng(17);
  std::vector<int32_t> truth, pred;
  for (int i = 0; i < 300; ++i) {
    // Class 4 is never true (but sometimes predicted); class 5 appears nowhere.
    int32_t t = static_cast<int32_t>(rng.below(4));
    int32_t p = rng.bernoulli(0.6f) ? t : static_cast<int32_t>(rng.below(5));
    truth.push_back(t);
    pred.push_back(p);
  }
  const auto dir = test::temp_dir();
  std::ofstream(dir / "truth.txt") << fmt::format("{}\n", fmt::join(truth, " "));
  std::ofstream(dir / "pred.txt") << fmt::format("{}\n", fmt::join(pred, " "));
  if (!test::run_oracle(kMetricsScript, fmt::format("{} {}", dir.string(), k))) return;

  const ConfusionMatrix cm(k, truth, pred);
  const ClassificationReport r = classification_report(cm);
  std::ifstream in(dir / "sklearn.txt");
  auto expect_row = [&](const ClassScores& s, const std::string& what) {
    double p = 0, rec = 0, f1 = 0;
    int64_t support = 0;
    ASSERT_TRUE(in >> p >> rec >> f1 >> support) << what;
    EXPECT_NEAR(s.precision, p, 1e-12) << what;
    EXPECT_NEAR(s.recall, rec, 1e-12) << what;
    EXPECT_NEAR(s.f1, f1, 1e-12) << what;
    EXPECT_EQ(s.support, support) << what;
  };
  for (int c = 0; c < k; ++c)
    expect_row(r.classes[static_cast<size_t>(c)], fmt::format("class {}", c));
  expect_row(r.macro, "macro avg");
  expect_row(r.weighted, "weighted avg");
  double acc = 0;
  ASSERT_TRUE(in >> acc);
  EXPECT_NEAR(r.accuracy, acc, 1e-12);
  EXPECT_NEAR(accuracy(truth, pred), acc, 1e-12);
  for (int t = 0; t < k; ++t)
    for (int p = 0; p < k; ++p) {
      int64_t v = -1;
      ASSERT_TRUE(in >> v);
      EXPECT_EQ(cm.count(t, p), v) << t << "," << p;
    }
}

TEST(Metrics, CsvFilesHaveTheDocumentedLayout) {
  // truth 0 0 1 1, predicted 0 1 1 1: class 0 p=1 r=0.5; class 1 p=2/3 r=1.
  const std::vector<int32_t> truth{0, 0, 1, 1}, pred{0, 1, 1, 1};
  const ConfusionMatrix cm(2, truth, pred);
  EXPECT_EQ(confusion_csv(cm, {"cat", "dog, big"}),
            "true\\predicted,cat,\"dog, big\"\n"
            "cat,1,1\n"
            "\"dog, big\",0,2\n");
  const std::string csv = classification_report_csv(cm, {"a", "b"});
  const double f0 = 2 * 1.0 * 0.5 / 1.5, f1 = 2 * (2.0 / 3) / (2.0 / 3 + 1);
  EXPECT_EQ(csv, fmt::format("class,precision,recall,f1,support\n"
                             "a,1,0.5,{},2\n"
                             "b,{},1,{},2\n"
                             "accuracy,,,0.75,4\n"
                             "macro avg,{},0.75,{},4\n"
                             "weighted avg,{},0.75,{},4\n",
                             f0, 2.0 / 3, f1, (1 + 2.0 / 3) / 2, (f0 + f1) / 2, (1 + 2.0 / 3) / 2,
                             (f0 + f1) / 2));
}

TEST(Metrics, BadInputsThrow) {
  ConfusionMatrix cm(3);
  EXPECT_THROW(cm.add(3, 0), Error);
  EXPECT_THROW(cm.add(0, -1), Error);
  EXPECT_THROW(confusion_csv(cm, {"a", "b"}), Error);
  EXPECT_THROW(ConfusionMatrix(0), Error);
  EXPECT_EQ(cm.accuracy(), 0.0);
}

}  // namespace
}  // namespace nnlab
