#include "report/search_section.hpp"

#include <gtest/gtest.h>

#include "io/atomic_file.hpp"
#include "report/html.hpp"
#include "report/report.hpp"
#include "support/test_support.hpp"

namespace nnlab {
namespace {

using nlohmann::json;

json trial(const std::string& act, double lr, double mean, int rank, int rung = 0) {
  return {{"stage", "wide"},
          {"config", rank},
          {"rung", rung},
          {"params", {{"act", act}, {"train.optimizer.lr", lr}}},
          {"epochs", 3 * (rung + 1)},
          {"mean_score", mean},
          {"std_score", 0.001},
          {"split_scores", {mean}},
          {"rank", rank},
          {"seconds", 1.5},
          {"epochs_run", 3},
          {"best_epoch", 3},
          {"complete", true}};
}

json accuracy_search() {
  return {{"search",
           {{"net",
             {{"run", "net"},
              {"metric", "accuracy"},
              {"direction", "max"},
              {"folds", 0},
              {"workers", 2},
              {"threads_per_worker", 1},
              {"seconds", 12.0},
              {"epochs_trained", 30},
              {"stages", {{{"name", "wide"}, {"method", "halving"}}}},
              {"best",
               {{"params", {{"act", "relu"}, {"train.optimizer.lr", 1e-3}}},
                {"mean_score", 0.99},
                {"std_score", 0.001},
                {"epochs", 6}}},
              {"trials",
               {trial("relu", 1e-2, 0.97, 3), trial("relu", 1e-3, 0.99, 1, 1),
                trial("tanh", 1e-4, 0.95, 4), trial("tanh", 3e-3, 0.98, 2)}}}}}}};
}

TEST(SearchSection, TrialsTableSortsByAnyColumnWithItsOneScript) {
  const std::string section = report::search_section(accuracy_search());
  EXPECT_NE(section.find("<table class=\"sortable\">"), std::string::npos);
  // Best first before any click: rank 1 (0.99) above rank 2 (0.98).
  EXPECT_LT(section.find("0.99000"), section.find("0.98000"));
  const std::string page = html::page("study", section);
  EXPECT_NE(page.find("<script>"), std::string::npos);
  EXPECT_NE(page.find("table.sortable"), std::string::npos);
  EXPECT_EQ(page.find("http"), std::string::npos);  // still one self-contained file
  // A page with no sortable table carries no script.
  EXPECT_EQ(html::page("study", html::table({"a"}, {{"1"}})).find("<script"), std::string::npos);
}

TEST(SearchSection, CategoricalKeysShowEachValuesBestInTheMetricsDirection) {
  const std::string section = report::search_section(accuracy_search());
  // Accuracy is maximized: relu's best is 0.99 (not its lower 0.97), tanh's 0.98.
  EXPECT_NE(section.find("act (the highest mean of each value)"), std::string::npos);
  EXPECT_NE(section.find("relu: 0.9900"), std::string::npos);
  EXPECT_NE(section.find("tanh: 0.9800"), std::string::npos);
  EXPECT_EQ(section.find("relu: 0.9700"), std::string::npos);
  // The numeric key gets its own chart, the halving stage its promotion ladder.
  EXPECT_NE(section.find("train.optimizer.lr"), std::string::npos);
  EXPECT_NE(section.find("Successive halving: configurations per rung"), std::string::npos);
  EXPECT_NE(section.find("Best score so far"), std::string::npos);
}

TEST(SearchSection, SaysWhatIsRefitAsTheSearchSetsIt) {
  json m = accuracy_search();
  const auto text = [&](int refit) {
    m["search"]["net"]["refit"] = refit;
    return report::search_section(m);
  };
  const std::string none = text(0), one = text(1), three = text(3);
  EXPECT_NE(none.find("Nothing is refit (refit = 0): the search only ranks."), std::string::npos);
  EXPECT_EQ(none.find("tested once"), std::string::npos) << none;
  EXPECT_NE(one.find("The best configuration is refit on all training data and tested once as "
                     "the run net."),
            std::string::npos);
  EXPECT_EQ(one.find("net#2"), std::string::npos);
  EXPECT_NE(three.find("The best 3 configurations are refit on all training data and tested "
                       "once as the runs net, net#2, ..."),
            std::string::npos);
  // A hostile count is written as it stands, not cast to an int.
  EXPECT_NE(text(0).find("refit = 0"), std::string::npos);
  m["search"]["net"]["refit"] = 1e12;
  EXPECT_NE(report::search_section(m).find("The best 1,000,000,000,000 configurations"),
            std::string::npos);
  // A folder written before "refit" was recorded: at least the best was refit.
  m["search"]["net"].erase("refit");
  EXPECT_NE(report::search_section(m).find("tested once as the run net."), std::string::npos);
}

TEST(SearchSection, AReportOfASearchThatRefitsNothingHasNoEmptyRunTables) {
  const auto dir = test::temp_dir() / "out";
  std::filesystem::create_directories(dir);
  json m = accuracy_search();
  m["search"]["net"]["refit"] = 0;
  m["study"] = "ranks-only";
  m["runs"] = json::array();
  m["summary"] = json::array();
  write_file_atomic((dir / "metrics.json").string(), m.dump());
  const std::string html = read_file(render_report(dir.string()));
  EXPECT_NE(html.find(">Search</h2>"), std::string::npos);
  EXPECT_EQ(html.find(">Summary</h2>"), std::string::npos) << html;
  EXPECT_EQ(html.find(">Repeats</h2>"), std::string::npos);
}

TEST(SearchSection, GivesTheTrialsSecondsSummedNotJustTheLastCommandsWallTime) {
  // A finished search resumed: its metrics.json "seconds" is the resume's, about none.
  json m = accuracy_search();
  m["search"]["net"]["seconds"] = 0.9;
  const std::string section = report::search_section(m);
  EXPECT_NE(section.find("4 trials in 1 stage, "), std::string::npos) << section;
  EXPECT_NE(section.find("30 epochs trained in 6.0 s of trials (summed; 0.9 s of wall time"),
            std::string::npos)
      << section;
}

}  // namespace
}  // namespace nnlab
