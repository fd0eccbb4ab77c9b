// `nnlab predict` on PNG files as people make them: any size, colour type and background, bad
// files among good ones, top-k and JSON output. The model is untrained (its probabilities
// still tell whether two images reached it as the same input).
#include <gtest/gtest.h>
#include <png.h>
#include <sys/resource.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/nnlab_binary.hpp"
#include "data/catalog.hpp"
#include "io/safetensors.hpp"
#include "nn/model_builder.hpp"
#include "report/png_read.hpp"
#include "support/test_support.hpp"
#include "train/model_file.hpp"

namespace nnlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

/// A 784-64-10 network on [1, 28, 28] recording MNIST as its data.
std::string write_model(const fs::path& dir) {
  const ModelDescription d{
      .input = {1, 28, 28},
      .layers = {{.type = "dense",
                  .numbers = {{"units", 64}},
                  .strings = {{"activation", "relu"}, {"init", "he_normal"}},
                  .where = ""},
                 {.type = "dense",
                  .numbers = {{"units", 10}},
                  .strings = {{"activation", "softmax"}, {"init", "he_normal"}},
                  .where = ""}},
      .loss = "cross_entropy",
      .class_names = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"},
      .data = data_origin("mnist")};
  auto loss = make_loss(d.loss);
  Rng rng(5);
  auto model = build_model(test::exec(), d.input, d.layers, *loss, rng);
  const std::string path = (dir / "model.safetensors").string();
  save_model_file(path, *model, d);
  return path;
}

/// The first MNIST test digit (a 7), enlarged `k` times by repeating pixels, `inverted` to
/// black on white or not.
std::vector<uint8_t> digit(int k, bool inverted) {
  static const DataPair pair = load_dataset("mnist", test::shared_data_dir().string());
  std::vector<uint8_t> out;
  for (int r = 0; r < 28 * k; ++r)
    for (int c = 0; c < 28 * k; ++c) {
      const uint8_t v = pair.test.pixels[static_cast<size_t>((r / k) * 28 + c / k)];
      out.push_back(inverted ? static_cast<uint8_t>(255 - v) : v);
    }
  return out;
}

/// Writes `pixels` (channels per pixel as `format` says; 16-bit when it is linear) as a PNG.
template <class T>
void write_png(const fs::path& path, const std::vector<T>& pixels, int size, png_uint_32 format) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = image.height = static_cast<png_uint_32>(size);
  image.format = format;
  ASSERT_NE(png_image_write_to_file(&image, path.c_str(), 0, pixels.data(), 0, nullptr), 0)
      << image.message;
}

/// The probability of each class, by name, from `predict --json --top 10` for one image.
std::map<std::string, double> probabilities(const json& image) {
  std::map<std::string, double> out;
  for (const json& t : image.at("top")) out[t.at("class")] = t.at("probability");
  return out;
}

double max_diff(const std::map<std::string, double>& a, const std::map<std::string, double>& b) {
  double m = 0;
  for (const auto& [name, p] : a) m = std::max(m, std::abs(p - b.at(name)));
  return m;
}

class Predict : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(test::nnlab_binary()))
      return test::skip_for_missing(test::nnlab_binary() + " not built");
    dir_ = test::temp_dir();
    model_ = write_model(dir_);
    write_png(dir_ / "original.png", digit(1, false), 28, PNG_FORMAT_GRAY);
  }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
  std::string model_;
};

TEST_F(Predict, DrawingsOfAnySizeColourAndBackgroundReachTheModelAsTheDigit) {
  write_png(dir_ / "small-black-on-white.png", digit(1, true), 28, PNG_FORMAT_GRAY);
  write_png(dir_ / "large-black-on-white.png", digit(7, true), 196, PNG_FORMAT_GRAY);
  std::vector<uint8_t> rgb, rgba;
  for (const uint8_t v : digit(7, true)) {
    rgb.insert(rgb.end(), {v, v, v});
    // Black ink on transparent red paper: the paper counts as white.
    rgba.insert(rgba.end(), v == 255 ? std::initializer_list<uint8_t>{255, 0, 0, 0}
                                     : std::initializer_list<uint8_t>{v, v, v, 255});
  }
  write_png(dir_ / "rgb.png", rgb, 196, PNG_FORMAT_RGB);
  write_png(dir_ / "rgba.png", rgba, 196, PNG_FORMAT_RGBA);
  std::vector<uint16_t> linear;  // 16-bit grey, linear light
  for (const uint8_t v : digit(7, true)) {
    const double s = v / 255.0;
    const double l = s <= 0.04045 ? s / 12.92 : std::pow((s + 0.055) / 1.055, 2.4);
    linear.push_back(static_cast<uint16_t>(std::lround(l * 65535)));
  }
  write_png(dir_ / "grey16.png", linear, 196, PNG_FORMAT_LINEAR_Y);

  const std::vector<std::string> names = {
      "original.png", "small-black-on-white.png", "large-black-on-white.png", "rgb.png", "rgba.png",
      "grey16.png"};
  std::string args = "predict " + model_ + " --json --top 10";
  for (const auto& n : names) args.append(" ").append(file(n));
  const test::CommandResult r = test::run_nnlab(args);
  ASSERT_EQ(r.status, 0) << r.err;
  const json out = json::parse(r.out);
  EXPECT_EQ(out.at("preprocess"), "mnist");  // from the model file
  ASSERT_EQ(out.at("images").size(), names.size());
  const auto reference = probabilities(out["images"][0]);
  for (size_t i = 1; i < names.size(); ++i)
    EXPECT_LT(max_diff(probabilities(out["images"][i]), reference), 2e-3) << names[i];

  // Without preprocessing the black-on-white digit is another input altogether.
  const test::CommandResult raw = test::run_nnlab(
      "predict " + model_ + " --no-preprocess --json --top 10 " + file("small-black-on-white.png"));
  ASSERT_EQ(raw.status, 0) << raw.err;
  EXPECT_GT(max_diff(probabilities(json::parse(raw.out)["images"][0]), reference), 0.05);
}

TEST_F(Predict, BadFilesAreReportedAndTheOthersStillClassified) {
  std::ofstream(dir_ / "notes.png") << "not a picture";
  write_png(dir_ / "blank.png", std::vector<uint8_t>(40 * 40, 255), 40, PNG_FORMAT_GRAY);
  const test::CommandResult r =
      test::run_nnlab("predict " + model_ + " " + file("missing.png") + " " + file("notes.png") +
                      " " + file("blank.png") + " " + file("original.png"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find(file("original.png") + ": "), std::string::npos) << r.out;
  EXPECT_NE(r.err.find(file("missing.png") + ": no such file"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(file("notes.png") + ": not a PNG image"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(file("blank.png") + ": no ink"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("3 of 4 images could not be classified"), std::string::npos) << r.err;
}

TEST_F(Predict, TopKLinesAndJson) {
  const test::CommandResult text =
      test::run_nnlab("predict " + model_ + " --top 2 " + file("original.png"));
  ASSERT_EQ(text.status, 0) << text.err;
  EXPECT_EQ(std::count(text.out.begin(), text.out.end(), '('), 2) << text.out;
  EXPECT_NE(text.err.find("preprocessing 'mnist'"), std::string::npos) << text.err;

  const test::CommandResult r =
      test::run_nnlab("predict " + model_ + " --top 3 --json " + file("original.png"));
  ASSERT_EQ(r.status, 0) << r.err;
  const json top = json::parse(r.out).at("images").at(0).at("top");
  ASSERT_EQ(top.size(), 3u);
  EXPECT_GE(top[0]["probability"].get<double>(), top[1]["probability"].get<double>());
  EXPECT_GE(top[1]["probability"].get<double>(), top[2]["probability"].get<double>());
  EXPECT_NE(text.out.find(top[0]["class"].get<std::string>() + " ("), std::string::npos);
}

TEST_F(Predict, OldModelFilesReadImagesAsTheyAreUnlessToldOtherwise) {
  SafeTensors old = load_safetensors(model_);
  json meta = json::parse(old.metadata.at("nnlab.model"));
  meta.erase("data");
  old.metadata["nnlab.model"] = meta.dump();
  const std::string old_model = file("old.safetensors");
  save_safetensors(old_model, old);
  write_png(dir_ / "large.png", digit(7, true), 196, PNG_FORMAT_GRAY);

  test::CommandResult r = test::run_nnlab("predict " + old_model + " " + file("large.png"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("does not record how its training images were made"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("196x196 pixels, the model takes 28x28"), std::string::npos) << r.err;
  r = test::run_nnlab("predict " + old_model + " --preprocess mnist " + file("large.png"));
  EXPECT_EQ(r.status, 0) << r.err;
  r = test::run_nnlab("predict " + old_model + " --preprocess lecun " + file("large.png"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("unknown preprocessing 'lecun'"), std::string::npos) << r.err;
}

/// A PNG chunk: length, type, data and the CRC of type and data.
std::string png_chunk(const std::string& type, const std::string& data) {
  std::string out;
  const auto put32 = [&](uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) out += static_cast<char>((v >> s) & 0xff);
  };
  put32(static_cast<uint32_t>(data.size()));
  const std::string body = type + data;
  out += body;
  put32(static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()))));
  return out;
}

// A PNG file at temp_dir()/NAME with a valid header declaring `side` x `side` 8-bit grey
// pixels and one byte of image data.
std::string tiny_png_claiming(const std::string& name, uint16_t side) {
  std::string ihdr("\0\0\0\0\0\0\0\0\x08\0\0\0\0", 13);  // w, h, 8-bit grey
  for (int at : {2, 6}) {
    ihdr[static_cast<size_t>(at)] = static_cast<char>(side >> 8);
    ihdr[static_cast<size_t>(at) + 1] = static_cast<char>(side & 0xff);
  }
  std::string idat(16, '\0');
  uLongf idat_size = idat.size();
  const Bytef row = 0;
  EXPECT_EQ(compress(reinterpret_cast<Bytef*>(idat.data()), &idat_size, &row, 1), Z_OK);
  idat.resize(idat_size);
  const std::string path = (test::temp_dir() / name).string();
  std::ofstream(path, std::ios::binary)
      << std::string("\x89PNG\r\n\x1a\n", 8) << png_chunk("IHDR", ihdr) << png_chunk("IDAT", idat)
      << png_chunk("IEND", "");
  return path;
}

// The error reading `path`, which must cost under 100 MB of memory.
std::string png_error_in_little_memory(const std::string& path) {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const int64_t before_kb = usage.ru_maxrss;
  const auto msg = test::error_of([&] { read_png_gray(path); });
  getrusage(RUSAGE_SELF, &usage);
  EXPECT_LT(usage.ru_maxrss - before_kb, 100 * 1024);  // kilobytes: under 100 MB
  return msg;
}

// 65535x65535 pixels: the old reader allocated all 4.2 GB before libpng found the data missing.
TEST(ReadPng, HugeDimensionsAreRefusedBeforeThePixelsAreAllocated) {
  const std::string path = tiny_png_claiming("huge.png", 65535);
  const std::string msg = png_error_in_little_memory(path);
  EXPECT_NE(msg.find(path + ": the PNG image is 65535x65535 pixels, more than nnlab reads (at "
                            "most 16384x16384 and 67108864 pixels)"),
            std::string::npos)
      << msg;
}

// 8192x8192 pixels is within the reader's limit, but not within what 70-odd bytes can hold: it
// is refused before its 64 MB are allocated (it used to be when libpng found the data missing).
TEST(ReadPng, MorePixelsThanTheFileCanHoldAreRefusedBeforeTheyAreAllocated) {
  const std::string path = tiny_png_claiming("claims.png", 8192);
  const std::string msg = png_error_in_little_memory(path);
  EXPECT_NE(msg.find(path + ": the PNG header claims 8192x8192 pixels, more than its"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("bytes can hold (at most 8256 pixels a byte)"), std::string::npos) << msg;
}

}  // namespace
}  // namespace nnlab
