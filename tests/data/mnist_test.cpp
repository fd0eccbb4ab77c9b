// MNIST and Fashion-MNIST as loaded by the catalog, checked against the published facts
// (shared/data/README.md).
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <filesystem>

#include "data/catalog.hpp"
#include "support/test_support.hpp"

namespace nnlab {
namespace {

std::filesystem::path mnist_dir() { return test::shared_data_dir() / "mnist"; }

const DataPair& mnist() {
  static const DataPair pair = load_dataset("mnist", test::shared_data_dir().string());
  return pair;
}

// Mean and standard deviation of all pixels on the [0, 1] scale, from a byte histogram.
std::pair<double, double> pixel_moments(const Dataset& d) {
  std::array<int64_t, 256> hist{};
  for (const uint8_t p : d.pixels) ++hist[p];
  double n = 0, s = 0, s2 = 0;
  for (int b = 0; b < 256; ++b) {
    const double v = b / 255.0, c = static_cast<double>(hist[static_cast<size_t>(b)]);
    n += c;
    s += c * v;
    s2 += c * v * v;
  }
  const double mean = s / n;
  return {mean, std::sqrt(s2 / n - mean * mean)};
}

TEST(Mnist, FilesHaveThePublishedMd5) {
  const std::array<std::pair<const char*, const char*>, 4> sums = {{
      {"train-images-idx3-ubyte.gz", "6bbc9ace898e44ae57da46a324031adb"},
      {"train-labels-idx1-ubyte.gz", "a25bea736e30d166cdddb491f175f624"},
      {"t10k-images-idx3-ubyte.gz", "2646ac647ad5339dbf082846283269ea"},
      {"t10k-labels-idx1-ubyte.gz", "27ae3e4e09519cfbb04c329615203637"},
  }};
  for (const auto& [file, md5] : sums)
    EXPECT_EQ(md5_hex_of_idx_file((mnist_dir() / file).string()), md5) << file;
}

TEST(Mnist, CountsShapesAndClasses) {
  const auto& [train, test] = mnist();
  EXPECT_EQ(train.size(), 60000);
  EXPECT_EQ(test.size(), 10000);
  EXPECT_EQ(train.sample_shape, (Shape{1, 28, 28}));
  EXPECT_EQ(test.sample_shape, (Shape{1, 28, 28}));
  EXPECT_EQ(train.name, "mnist/train");
  EXPECT_EQ(test.name, "mnist/test");
  const std::vector<std::string> digits = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
  EXPECT_EQ(train.class_names, digits);
  EXPECT_EQ(test.class_names, digits);
}

TEST(Mnist, PixelMeanAndStd) {
  const auto [train_mean, train_std] = pixel_moments(mnist().train);
  EXPECT_NEAR(train_mean, 0.1307, 5e-5);
  EXPECT_NEAR(train_std, 0.3081, 5e-5);
  const auto [test_mean, test_std] = pixel_moments(mnist().test);
  EXPECT_NEAR(test_mean, 0.1325, 5e-5);
}

TEST(Mnist, ReadSampleMatchesBytes) {
  const Dataset& train = mnist().train;
  std::vector<float> x(784);
  train.read_sample(123, x.data());
  for (size_t j = 0; j < x.size(); ++j) ASSERT_FLOAT_EQ(x[j], train.pixels[123 * 784 + j] / 255.f);
}

TEST(Mnist, PerClassLabelCounts) {
  EXPECT_EQ(mnist().train.class_counts(),
            (std::vector<int64_t>{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}));
  EXPECT_EQ(mnist().test.class_counts(),
            (std::vector<int64_t>{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}));
}

TEST(FashionMnist, LoadsFromDebiansPackage) {
  if (!std::filesystem::is_directory("/usr/share/datasets/fashion-mnist")) {
    test::skip_for_missing("dataset-fashion-mnist is not installed");
    return;
  }
  // An empty data_dir: found through the search path's last entry (or an earlier copy).
  const auto path = dataset_search_path("fashion-mnist", "");
  EXPECT_EQ(path.back(), "/usr/share/datasets/fashion-mnist");
  const DataPair pair = load_dataset("fashion-mnist", "");
  EXPECT_EQ(pair.train.size(), 60000);
  EXPECT_EQ(pair.test.size(), 10000);
  EXPECT_EQ(pair.train.sample_shape, (Shape{1, 28, 28}));
  ASSERT_EQ(pair.train.num_classes(), 10);
  EXPECT_EQ(pair.train.class_names[0], "T-shirt/top");
  EXPECT_EQ(pair.train.class_names[9], "Ankle boot");
  EXPECT_EQ(pair.test.class_names, pair.train.class_names);
  for (const int64_t c : pair.train.class_counts()) EXPECT_EQ(c, 6000);
}

}  // namespace
}  // namespace nnlab
