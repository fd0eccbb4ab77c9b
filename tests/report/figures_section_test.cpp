// The network figures and the augmentation preview in the report, from synthetic
// figures.safetensors and augmented.safetensors files (docs/output-format.md).
#include <gtest/gtest.h>

#include <filesystem>

#include "io/atomic_file.hpp"
#include "io/safetensors.hpp"
#include "report/report.hpp"
#include "report/report_data.hpp"
#include "support/test_support.hpp"

namespace nnlab {
namespace {

namespace fs = std::filesystem;

std::vector<float> ramp(int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i % 13) - 6.0f;
  return v;
}

// A study directory with one run whose first repeat holds only the figure files.
fs::path figure_output() {
  const fs::path dir = test::temp_dir() / "out";
  const fs::path run = dir / "runs" / "a" / "r0";
  fs::create_directories(run);
  write_file_atomic((dir / "metrics.json").string(),
                    R"({"study": "figs", "runs": [{"name": "a", "repeat": 0, "dir": "runs/a/r0"}],
                        "summary": [{"name": "a"}]})");
  SafeTensors f;
  f.add_f32("kernels/conv2d1", {4, 1, 3, 3}, ramp(36).data());
  f.add_f32("kernels/conv2d2", {6, 4, 3, 3}, ramp(216).data());
  f.add_f32("feature_maps/conv2d1", {4, 6, 6}, ramp(144).data());
  f.add_f32("feature_maps/conv2d2", {6, 2, 2}, ramp(24).data());
  f.metadata["feature_maps/conv2d1"] = "relu1";
  f.metadata["feature_maps/conv2d2"] = "conv2d2";
  const std::vector<uint8_t> pixels(3 * 36, 200);
  f.add_u8("input/figure", {1, 1, 6, 6}, pixels.data());
  f.metadata["figure_input"] = "[7]";
  f.metadata["figure_input_labels"] = R"(["seven"])";
  f.add_f32("profiles/relu3", {3, 10}, ramp(30).data());
  f.metadata["profiles/relu3"] = "dense3";
  f.add_u8("input/profiles", {3, 1, 6, 6}, pixels.data());
  f.metadata["profile_inputs"] = "[0,1,2]";
  f.add_f32("receptive_fields/dense3", {5, 6, 6}, ramp(180).data());
  save_safetensors((run / "figures.safetensors").string(), f);

  SafeTensors a;
  a.add_u8("original", {3, 6, 6}, pixels.data());
  a.add_u8("augmented", {3, 6, 6}, pixels.data());
  save_safetensors((run / "augmented.safetensors").string(), a);

  SafeTensors w;
  w.add_f32("conv2d1.weight", {4, 1, 3, 3}, ramp(36).data());
  save_safetensors((run / "weights.safetensors").string(), w);
  return dir;
}

bool has_heading(const std::string& html, const char* heading) {
  return html.find(std::string(">") + heading + "</h3>") != std::string::npos;
}

TEST(ReportFigures, EveryFigureWithItsCaption) {
  const fs::path dir = figure_output();
  const std::string html = read_file(render_report(dir.string()));
  for (const char* heading : {report::kKernels, report::kFeatureMaps, report::kReceptiveFields,
                              report::kProfiles, report::kAugmented, report::kWeights})
    EXPECT_TRUE(has_heading(html, heading)) << heading;
  for (const char* text : {
           "conv2d1 [4, 1, 3, 3]: all 4 filters (3x3 each",
           "conv2d2 [6, 4, 3, 3]: filters 1-6 of 6, one per row; input channels 1-4 of 4",
           "Grey is diverging per filter",
           "conv2d1: all 4 channels (6x6 each) for test sample #7 (label seven), the "
           "output of relu1 after conv2d1",
           "the output of conv2d2.",
           "relu3 after dense3, 10 units (one column each), for test samples #0, #1, #2, one per "
           "row, each beside its image.",
           "dense3: the incoming weights of its first 5 units",
           "Top row: all 3 training images as loaded",
           "conv2d1.weight [4, 1, 3, 3]",  // the weight histograms cover conv weights
       })
    EXPECT_NE(html.find(text), std::string::npos) << text;
  EXPECT_EQ(html.find("http"), std::string::npos);  // self-contained
  EXPECT_EQ(html.find("<script"), std::string::npos);
  // The deeper layer's kernels come after the first layer's.
  EXPECT_LT(html.find("conv2d1 [4, 1, 3, 3]"), html.find("conv2d2 [6, 4, 3, 3]"));
}

TEST(ReportFigures, RunDirWithoutFigureFilesStillRenders) {
  const fs::path dir = figure_output();
  fs::remove(dir / "runs/a/r0/figures.safetensors");
  fs::remove(dir / "runs/a/r0/augmented.safetensors");
  const std::string html = read_file(render_report(dir.string()));
  for (const char* heading : {report::kKernels, report::kFeatureMaps, report::kReceptiveFields,
                              report::kProfiles, report::kAugmented})
    EXPECT_FALSE(has_heading(html, heading)) << heading;
  EXPECT_TRUE(has_heading(html, report::kWeights));
}

TEST(ReportFigures, PartialFiguresShowWhatIsThere) {
  const fs::path dir = figure_output();
  SafeTensors f;
  f.add_f32("receptive_fields/dense1", {2, 6, 6}, ramp(72).data());
  save_safetensors((dir / "runs/a/r0/figures.safetensors").string(), f);
  const std::string html = read_file(render_report(dir.string()));
  EXPECT_TRUE(has_heading(html, report::kReceptiveFields));
  EXPECT_FALSE(has_heading(html, report::kKernels));
  EXPECT_FALSE(has_heading(html, report::kProfiles));
}

TEST(ReportFigures, WrongTensorRankNamesTheFile) {
  const fs::path dir = figure_output();
  SafeTensors f;
  f.add_f32("kernels/conv2d1", {4, 9}, ramp(36).data());
  save_safetensors((dir / "runs/a/r0/figures.safetensors").string(), f);
  const std::string message = test::error_of([&] { render_report(dir.string()); });
  EXPECT_NE(message.find("figures.safetensors: 'kernels/conv2d1' must be F32 of rank 4"),
            std::string::npos)
      << message;
}

}  // namespace
}  // namespace nnlab
