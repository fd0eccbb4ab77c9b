// The report on hostile output folders: huge finite numbers are charted without a crash, and a
// metrics.json pointing outside its folder, or naming a repeat no int holds, is refused before
// anything is read there.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "io/atomic_file.hpp"
#include "report/axis_scale.hpp"
#include "report/report.hpp"
#include "report/svg_chart.hpp"
#include "support/test_support.hpp"

namespace nnlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using test::write_text;

// Repeat `k` of run `name` in metrics.json's "runs", in folder `dir`, with test accuracy `acc`.
json repeat(const std::string& name, int k, const std::string& dir, double acc) {
  return {{"name", name},
          {"repeat", k},
          {"dir", dir},
          {"epochs_run", 2},
          {"best_epoch", 2},
          {"train_seconds", 1.0},
          {"stopped", "early_stopping"},
          {"test", {{"accuracy", acc}, {"loss", -acc}}},
          {"val", {{"accuracy", acc}, {"loss", acc}}}};
}

// An output folder of two runs of two repeats each whose metrics and losses are +-1e308.
fs::path huge_output() {
  const fs::path out = test::temp_dir() / "out";
  json runs = json::array(), summary = json::array();
  for (const char* name : {"a", "b"}) {
    const double sign = name[0] == 'a' ? 1 : -1;
    for (int k = 0; k < 2; ++k) {
      const std::string rel = fmt::format("runs/{}/r{}", name, k);
      write_text(out / rel / "history.csv",
                 "epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy,seconds\n"
                 "1,0.1,1e308,1e308,-1e308,-1e308,1\n2,0.1,-1e308,0.5,1e308,1e308,1\n");
      runs.push_back(repeat(name, k, rel, sign * (k == 0 ? 1e308 : -1e308)));
    }
    summary.push_back({{"name", name},
                       {"repeats", 2},
                       {"test_accuracy_mean", sign * 1e308},
                       {"test_accuracy_std", 1e308},
                       {"val_accuracy_mean", -sign * 1e308},
                       {"val_accuracy_std", 1e308}});
  }
  write_text(out / "metrics.json",
             json({{"study", "huge"}, {"runs", runs}, {"summary", summary}}).dump(2));
  return out;
}

TEST(ReportHardening, HugeFiniteValuesAreChartedWithoutACrash) {
  const fs::path out = huge_output();
  const std::string html = read_file(render_report(out.string()));
  EXPECT_NE(html.find("Run: a"), std::string::npos);
  EXPECT_NE(html.find("Run: b"), std::string::npos);
  EXPECT_EQ(html.find("nan"), std::string::npos);
  EXPECT_EQ(html.find("inf\""), std::string::npos);
}

TEST(ReportHardening, AxesOverHugeRangesStayFinite) {
  for (const auto& [lo, hi] : std::vector<std::pair<double, double>>{
           {-1e308, 1e308}, {-1.7e308, 1.7e308}, {1e308, 1e308}, {0, 1.7e308}}) {
    SCOPED_TRACE(testing::Message() << lo << ".." << hi);
    for (bool log : {false, true}) {
      const svg::Scale s = svg::nice_scale(lo, hi, {.log = log});
      EXPECT_TRUE(std::isfinite(s.lo) && std::isfinite(s.hi) && s.lo < s.hi);
      ASSERT_GE(s.ticks.size(), 2u);
      ASSERT_EQ(s.labels.size(), s.ticks.size());
      for (double t : s.ticks) EXPECT_TRUE(std::isfinite(t)) << t;
    }
  }
  // Values beyond the plottable range are left out like NaN.
  const svg::Scale s = svg::fit_scale({-1e308, 0.25, 0.75, 1e308});
  EXPECT_LE(s.hi, 1.0);
  EXPECT_GE(s.lo, 0.0);
}

TEST(ReportHardening, ChartsOfHugeValuesDrawNoNonFiniteCoordinates) {
  const std::string line = svg::line_chart(
      {{.name = "loss", .x = {1, 2, 3}, .y = {1e308, -1e308, 1}, .spread = {1e308, 1, 1}}}, {});
  const std::string dots =
      svg::interval_chart({"a", "b"}, {1e308, -1e308}, {}, {1e308, 1}, {1e308, 0.5}, "ref");
  for (const std::string& svg : {line, dots}) {
    EXPECT_EQ(svg.find("nan"), std::string::npos) << svg;
    EXPECT_EQ(svg.find("inf"), std::string::npos) << svg;
  }
}

// The metrics.json of huge_output() with repeat 0 of run "a" in folder `dir`.
fs::path output_with_dir(const std::string& dir) {
  const fs::path out = huge_output();
  json m = json::parse(read_file((out / "metrics.json").string()));
  m["runs"][0]["dir"] = dir;
  write_text(out / "metrics.json", m.dump(2));
  return out;
}

TEST(ReportHardening, ADirOutsideTheFolderIsRefused) {
  for (const std::string dir : {"../..", "/etc", "runs/../../elsewhere"}) {
    SCOPED_TRACE(dir);
    const fs::path out = output_with_dir(dir);
    const std::string msg = test::error_of([&] { render_report(out.string()); });
    EXPECT_NE(msg.find((out / "metrics.json").string() + ": \"dir\" of run 'a' is"),
              std::string::npos)
        << msg;
    EXPECT_NE(msg.find("'" + dir + "'"), std::string::npos) << msg;
    EXPECT_FALSE(fs::exists(out / "report.html"));
  }
}

TEST(ReportHardening, ADirLeadingOutThroughASymlinkIsRefused) {
  const fs::path out = output_with_dir("runs/link/r0");
  fs::create_directories(out.parent_path() / "outside" / "r0");
  fs::create_directory_symlink(out.parent_path() / "outside", out / "runs" / "link");
  const std::string msg = test::error_of([&] { render_report(out.string()); });
  EXPECT_NE(msg.find("'runs/link/r0', which leads outside " + out.string()), std::string::npos)
      << msg;
}

TEST(ReportHardening, ARepeatThatIsNoIntIsRefused) {
  for (const double repeat : {1e308, -1e308, -1.0, 2147483648.0, 0.5}) {
    SCOPED_TRACE(repeat);
    const fs::path out = huge_output();
    json m = json::parse(read_file((out / "metrics.json").string()));
    m["runs"][0]["repeat"] = repeat;
    write_text(out / "metrics.json", m.dump(2));
    const std::string msg = test::error_of([&] { render_report(out.string()); });
    EXPECT_NE(msg.find((out / "metrics.json").string() + ": \"repeat\" of run 'a' is"),
              std::string::npos)
        << msg;
    EXPECT_FALSE(fs::exists(out / "report.html"));
  }
}

TEST(ReportHardening, DirsInsideTheFolderAreReadWhateverTheirSpelling) {
  const fs::path out = output_with_dir("./runs/x/../a/r0");
  EXPECT_NO_THROW(render_report(out.string() + "/"));
}

}  // namespace
}  // namespace nnlab
