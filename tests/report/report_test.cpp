#include "report/report.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "io/atomic_file.hpp"
#include "io/csv.hpp"
#include "io/safetensors.hpp"
#include "report/png_image.hpp"
#include "report/svg_chart.hpp"
#include "support/test_support.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

namespace fs = std::filesystem;

const char* kRuns[] = {"baseline", "regularized"};

using test::write_text;

// One repeat's files, as docs/output-format.md lists them.
void write_repeat(const fs::path& dir, int seed) {
  std::string history = "epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy,seconds\n";
  for (int e = 1; e <= 5; ++e)
    history += CsvRow()
                   .add(e)
                   .add(0.001)
                   .add(1.0 / e)
                   .add(0.9 + 0.01 * e + 0.002 * seed)
                   .add(1.1 / e)
                   .add(0.89 + 0.01 * e)
                   .add(1.5)
                   .str();
  write_text(dir / "history.csv", history);
  write_text(
      dir / "refit_history.csv",
      "epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy,seconds\n1,0.001,0.6,0.9,,,1\n"
      "2,0.001,0.4,0.95,,,1\n");
  write_text(dir / "confusion.csv",
             "true\\predicted,cat,dog,bird\ncat,50,2,1\ndog,3,45,0\nbird,0,1,48\n");
  write_text(
      dir / "classification_report.csv",
      "class,precision,recall,f1,support\ncat,0.943396,0.943396,0.943396,53\n"
      "dog,0.9375,0.9375,0.9375,48\nbird,0.979592,0.979592,0.979592,49\n"
      "accuracy,,,0.953333,150\nmacro avg,0.95,0.95,0.95,150\nweighted avg,0.95,0.95,0.95,150\n");
  write_text(dir / "misclassified.csv",
             "index,label,predicted,confidence\n3,cat,dog,0.71\n9,dog,cat,0.55\n");
  std::vector<uint8_t> images(2 * 4 * 5);
  for (size_t i = 0; i < images.size(); ++i) images[i] = static_cast<uint8_t>(i * 6 + seed);
  SafeTensors mis;
  mis.add_u8("images", {2, 4, 5}, images.data());
  save_safetensors((dir / "misclassified.safetensors").string(), mis);
  write_text(dir / "inactive.csv",
             "step,epoch,layer,inactive_percent\n0,0,dense1,0\n0,0,dense2,1.5\n100,1,dense1,3.25\n"
             "100,1,dense2,4\n");
  SafeTensors weights;
  std::vector<float> w(12 * 6), b(12);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i % 17) / 17.0f - 0.5f;
  weights.add_f32("dense1.weight", {12, 6}, w.data());
  weights.add_f32("dense1.bias", {12}, b.data());
  save_safetensors((dir / "weights.safetensors").string(), weights);
}

fs::path synthetic_output() {
  const fs::path dir = test::temp_dir() / "out";
  nlohmann::json runs = nlohmann::json::array(), summary = nlohmann::json::array();
  for (const char* name : kRuns) {
    for (int k = 0; k < 2; ++k) {
      const std::string rel = fmt::format("runs/{}/r{}", name, k);
      write_repeat(dir / rel, k);
      runs.push_back(
          {{"name", name},
           {"repeat", k},
           {"seed", k + 1},
           {"dir", rel},
           {"params", 1333770},
           {"epochs_run", 5},
           {"best_epoch", 4},
           {"train_samples", 50000},
           {"train_seconds", 41.2},
           {"samples_per_second", 45000.0},
           {"stopped", "early_stopping"},
           {"train", {{"accuracy", 0.998}, {"loss", 0.01}}},
           {"val", {{"accuracy", 0.985}, {"loss", 0.05}}},
           {"test", {{"accuracy", 0.9861 - 0.001 * k}, {"loss", 0.046}, {"errors", 139}}},
           {"macro", {{"precision", 0.98}, {"recall", 0.98}, {"f1", 0.98}}},
           {"reference", {{"test_accuracy", 0.9837}}},
           {"data", {{"dataset", "mnist"}, {"train", 50000}, {"val", 10000}, {"test", 10000}}}});
    }
    summary.push_back({{"name", name},
                       {"repeats", 2},
                       {"test_accuracy_mean", 0.98561},
                       {"test_accuracy_std", 0.000707},
                       {"val_accuracy_mean", 0.985},
                       {"val_accuracy_std", 0.0021},
                       {"train_seconds_mean", 41.2},
                       {"reference", {{"test_accuracy", 0.9837}, {"test_accuracy_std", 0.0012}}}});
  }
  const nlohmann::json metrics = {
      {"study", "s2-dense-regularization"},
      {"description", "Dense nets <with> & without dropout"},
      {"environment",
       {{"nnlab_version", "0.1.0"},
        {"nnlab_commit", "abc1234"},
        {"date", "2025-06-01T12:00:00Z"},
        {"command", "nnlab run s2.toml --out out --set train.epochs=5"},
        {"wall_seconds", 125.04},
        {"threads", 2}}},
      {"runs", runs},
      {"summary", summary},
      {"model_summary", {{"baseline", "Dense(784 -> 10)"}, {"regularized", "Dropout(0.5)"}}}};
  write_text(dir / "metrics.json", metrics.dump(2));
  write_text(dir / "study.toml", "name = \"s2-dense-regularization\"\n[train]\nepochs = 5\n");
  std::string sweep = "rate,epoch,step,train_loss\n";
  for (double rate : {0.001, 0.01, 0.1})
    for (int step = 0; step < 50; step += 10)
      sweep += CsvRow().add(rate).add(0).add(step).add(2.3 / (1 + rate * step)).str();
  write_text(dir / "lr_sweep.csv", sweep);
  return dir;
}

TEST(Report, RendersEverySectionFromASyntheticStudy) {
  const fs::path dir = synthetic_output();
  const std::string path = render_report(dir.string());
  EXPECT_EQ(fs::path(path), dir / "report.html");
  const std::string html = read_file(path);
  for (const char* heading :
       {"Environment", "Summary", "Comparison", "Repeats", "Learning-rate sweep", "Run: baseline",
        "Run: regularized", "Learning curves", "Confusion matrix",
        "Per-class precision, recall and F1", "Misclassified test samples", "Inactive neurons",
        "Weight histograms", "Model summaries", "Study file"}) {
    EXPECT_NE(html.find(std::string(">") + heading + "</h"), std::string::npos) << heading;
  }
  EXPECT_NE(html.find("s2-dense-regularization"), std::string::npos);
  EXPECT_NE(html.find("Dense nets &lt;with&gt; &amp; without dropout"), std::string::npos);
  EXPECT_NE(html.find("0.9837 ± 0.0012"), std::string::npos);  // reference beside ours
  EXPECT_NE(html.find("0.9856 ± 0.0007"), std::string::npos);
  EXPECT_NE(html.find("+0.0019"), std::string::npos);                        // the difference
  EXPECT_NE(html.find("1,333,770"), std::string::npos);                      // thousands separators
  EXPECT_NE(html.find("<td class=\"num\">45,000</td>"), std::string::npos);  // right-aligned
  EXPECT_NE(html.find("cat→dog"), std::string::npos);
  EXPECT_NE(html.find("dense1.weight [12, 6]"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("data:image/png;base64,iVBORw0KGgo"), std::string::npos);  // PNG magic
  EXPECT_EQ(html.find("http"), std::string::npos);  // no external resources of any kind
  EXPECT_EQ(html.find("<script"), std::string::npos);
}

// Every id="..." of the page.
std::vector<std::string> ids(const std::string& html) {
  std::vector<std::string> out;
  const std::string key = " id=\"";
  for (size_t at = html.find(key); at != std::string::npos; at = html.find(key, at + 1)) {
    const size_t start = at + key.size();
    out.push_back(html.substr(start, html.find('"', start) - start));
  }
  return out;
}

TEST(Report, SectionIdsAreUniqueAndTheContentsLinkToThem) {
  const std::string html = read_file(render_report(synthetic_output().string()));
  const std::vector<std::string> all = ids(html);
  const std::set<std::string> unique(all.begin(), all.end());
  EXPECT_EQ(unique.size(), all.size());  // "Learning curves" of two runs: two ids
  EXPECT_TRUE(unique.count("run-baseline-learning-curves"));
  EXPECT_TRUE(unique.count("run-regularized-learning-curves"));
  EXPECT_TRUE(unique.count("run-baseline-model"));
  size_t links = 0;
  const std::string key = "<a href=\"#";
  for (size_t at = html.find(key); at != std::string::npos; at = html.find(key, at + 1), ++links) {
    const size_t start = at + key.size();
    EXPECT_TRUE(unique.count(html.substr(start, html.find('"', start) - start)));
  }
  EXPECT_GE(links, 10u);
  EXPECT_NE(html.find("<a href=\"#run-regularized\">Run: regularized</a>"), std::string::npos);
}

TEST(Report, RunsWhoseNamesShareAnIdGetDistinctOnes) {
  const fs::path dir = synthetic_output();
  nlohmann::json m = nlohmann::json::parse(read_file((dir / "metrics.json").string()));
  m["summary"][1]["name"] = "baseline!";  // the id of "baseline!" is run-baseline- ...
  m["summary"][0]["name"] = "baseline-";  // ... and so is that of "baseline-"
  m["model_summary"] = {{"summary", "Dense(784 -> 10)"}};  // a run's name may be a section's
  write_text(dir / "metrics.json", m.dump());
  const std::vector<std::string> all = ids(read_file(render_report(dir.string())));
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), all.size());
}

TEST(Report, EnvironmentTellsWhereAndHowTheStudyRan) {
  const std::string html = read_file(render_report(synthetic_output().string()));
  for (const char* text :
       {"mnist: 50,000 train / 10,000 validation / 10,000 test", "2025-06-01T12:00:00Z",
        "nnlab run s2.toml --out out --set train.epochs=5", "0.1.0 (commit abc1234)",
        "125.0 s (0:02:05)", "<th>threads</th><td>2</td>"})
    EXPECT_NE(html.find(text), std::string::npos) << text;
}

TEST(Report, EnvironmentOfAnOlderOutputDirectory) {
  // Before "environment", metrics.json held nnlab_version and threads at its top level.
  const fs::path dir = synthetic_output();
  nlohmann::json m = nlohmann::json::parse(read_file((dir / "metrics.json").string()));
  m.erase("environment");
  m["nnlab_version"] = "0.0.9";
  m["threads"] = 4;
  write_text(dir / "metrics.json", m.dump());
  const std::string html = read_file(render_report(dir.string()));
  EXPECT_NE(html.find("<th>nnlab version</th><td>0.0.9</td>"), std::string::npos);
  EXPECT_NE(html.find("<th>threads</th><td>4</td>"), std::string::npos);
  EXPECT_NE(html.find("<th>date</th><td>–</td>"), std::string::npos);
}

TEST(Report, SummaryGivesValidationAccuracyWithItsSpread) {
  const std::string html = read_file(render_report(synthetic_output().string()));
  EXPECT_NE(html.find("0.9850 ± 0.0021"), std::string::npos);
  // One repeat has no spread to show: no "± 0.0000".
  const fs::path dir = synthetic_output();
  nlohmann::json m = nlohmann::json::parse(read_file((dir / "metrics.json").string()));
  for (auto& s : m["summary"]) s["repeats"] = 1, s["val_accuracy_std"] = 0.0;
  write_text(dir / "metrics.json", m.dump());
  const std::string one = read_file(render_report(dir.string()));
  EXPECT_NE(one.find(">0.9850</td>"), std::string::npos);
  EXPECT_EQ(one.find("0.9850 ±"), std::string::npos);
}

// The comparison chart draws the runs that have the study's score: in a study of classifiers
// and autoencoders (S5), an autoencoder has no test accuracy and no place on its axis.
TEST(Report, ComparisonLeavesOutRunsWithoutTheScore) {
  const fs::path dir = synthetic_output();
  nlohmann::json m = nlohmann::json::parse(read_file((dir / "metrics.json").string()));
  m["summary"].push_back({{"name", "coder"}, {"repeats", 1}, {"test_mse_mean", 0.0118}});
  write_text(dir / "metrics.json", m.dump());
  const std::string html = read_file(render_report(dir.string()));
  const size_t from = html.find("id=\"comparison\"");
  ASSERT_NE(from, std::string::npos);
  const std::string section = html.substr(from, html.find("<h2", from + 1) - from);
  EXPECT_NE(section.find(">baseline<"), std::string::npos) << section;
  EXPECT_EQ(section.find("coder"), std::string::npos) << section;
}

TEST(Report, MisclassifiedCountsAllTestErrors) {
  // The CSV holds the first 2 (diagnostics.misclassified); the test set had 139 errors.
  const std::string html = read_file(render_report(synthetic_output().string()));
  EXPECT_NE(html.find("The first 2 of 139 misclassified test samples"), std::string::npos);
}

// Which classes a model mixes up, as a table: the off-diagonal cells, largest first, ties in the
// matrix's order; the diagonal and empty cells never appear.
TEST(Report, MostConfusedPairsListTheLargestOffDiagonalCells) {
  const std::string html = read_file(render_report(synthetic_output().string()));
  const size_t table = html.find(">Most confused pairs</h");
  ASSERT_NE(table, std::string::npos);
  const auto row = [&](const char* t, const char* p, const char* n) {
    return html.find(fmt::format("<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td>", t, p, n),
                     table);
  };
  const size_t dog_cat = row("dog", "cat", "3"), cat_dog = row("cat", "dog", "2"),
               cat_bird = row("cat", "bird", "1"), bird_dog = row("bird", "dog", "1");
  ASSERT_NE(bird_dog, std::string::npos) << html.substr(table, 800);
  EXPECT_LT(dog_cat, cat_dog);
  EXPECT_LT(cat_dog, cat_bird);
  EXPECT_LT(cat_bird, bird_dog);
  EXPECT_NE(html.find("6.2%", table), std::string::npos);  // 3 of the 48 dogs
  EXPECT_EQ(row("cat", "cat", "50"), std::string::npos);
  EXPECT_EQ(row("dog", "bird", "0"), std::string::npos);
}

TEST(Report, LearningCurvesShowTheRepeatsSpreadAndTheChosenEpochs) {
  const std::string html = read_file(render_report(synthetic_output().string()));
  EXPECT_NE(html.find("Accuracy (mean ± std over 2 repeats)"), std::string::npos);
  EXPECT_NE(html.find("<polygon"), std::string::npos);  // the ± std band
  // Repeat 0 and 1 differ by 0.002 in training accuracy: mean 0.921, std 0.001414 at epoch 1.
  EXPECT_NE(html.find("<title>train: epoch 1, 0.911 ± 0.001414</title>"), std::string::npos);
  EXPECT_NE(html.find("<title>validation: best epoch at epoch 4, 0.93</title>"), std::string::npos);
  EXPECT_NE(html.find("<title>early stop: 5</title>"), std::string::npos);
  // All runs overlaid: one series per run, named after it.
  const size_t all = html.find("id=\"all-runs\"");
  ASSERT_NE(all, std::string::npos);
  EXPECT_NE(html.find("<title>baseline: epoch 2,", all), std::string::npos);
  EXPECT_NE(html.find("<title>regularized: epoch 2,", all), std::string::npos);
}

TEST(Report, OptionalFilesMaySimplyBeMissing) {
  const fs::path dir = synthetic_output();
  fs::remove(dir / "lr_sweep.csv");
  fs::remove(dir / "study.toml");
  fs::remove_all(dir / "runs" / "regularized");
  fs::remove(dir / "runs" / "baseline" / "r0" / "inactive.csv");
  fs::remove(dir / "runs" / "baseline" / "r0" / "misclassified.safetensors");
  const std::string html = read_file(render_report(dir.string()));
  EXPECT_EQ(html.find("Learning-rate sweep"), std::string::npos);
  EXPECT_EQ(html.find("Inactive neurons"), std::string::npos);
  EXPECT_NE(html.find("Run: regularized"), std::string::npos);
  EXPECT_NE(html.find("Confusion matrix"), std::string::npos);
}

TEST(Report, MissingMetricsThrowsNamingIt) {
  const fs::path dir = test::temp_dir();
  try {
    render_report(dir.string());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "metrics.json").string()), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(dir / "report.html"));
}

TEST(Report, MalformedMetricsThrowsNamingIt) {
  const fs::path dir = test::temp_dir();
  for (const char* text : {"{\"runs\": [", "[1, 2]", "{\"runs\": [], \"summary\": 3}",
                           "{\"runs\": [], \"summary\": [{\"repeats\": 1}]}"}) {
    write_text(dir / "metrics.json", text);
    try {
      render_report(dir.string());
      ADD_FAILURE() << "expected an error for " << text;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("metrics.json"), std::string::npos) << e.what();
    }
  }
}

TEST(Report, MalformedCsvNamesFileAndLine) {
  const fs::path dir = synthetic_output();
  write_text(dir / "runs" / "baseline" / "r0" / "history.csv",
             "epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy,seconds\n1,0.1,oops,,,,1\n");
  try {
    render_report(dir.string());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("history.csv:2"), std::string::npos) << e.what();
  }
}

TEST(ReportParts, Base64AndPng) {
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
  const uint8_t px[4] = {0, 64, 128, 255};
  const std::string png = encode_png_gray(px, 2, 2);
  EXPECT_EQ(png.substr(1, 3), "PNG");
}

}  // namespace
}  // namespace nnlab
