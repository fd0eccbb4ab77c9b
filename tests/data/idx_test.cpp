#include "data/idx.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>

#include "support/test_support.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

using test::error_of;

// An IDX file with the given header fields, then `data` and `extra` trailing bytes.
std::string write_idx(const std::filesystem::path& path, uint8_t type,
                      const std::vector<uint32_t>& dims, const std::vector<uint8_t>& data,
                      bool gzip = false) {
  std::string bytes = {0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
  for (const uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) bytes += static_cast<char>((d >> s) & 0xff);
  bytes.append(data.begin(), data.end());
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
  } else {
    std::ofstream(path, std::ios::binary) << bytes;
  }
  return path.string();
}

TEST(Idx, ReadsRawAndGzippedFiles) {
  const auto dir = test::temp_dir();
  const std::vector<uint8_t> data = {1, 2, 3, 4, 5, 6};
  for (const bool gz : {false, true}) {
    const auto path = write_idx(dir / (gz ? "a.gz" : "a"), 0x08, {2, 3}, data, gz);
    const IdxArray a = read_idx(path);
    EXPECT_EQ(a.type, 0x08);
    EXPECT_EQ(a.dims, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(a.data, data);
  }
}

TEST(Idx, WrongMagicNamesFileAndProblem) {
  const auto path = (test::temp_dir() / "bad-magic").string();
  std::ofstream(path, std::ios::binary) << std::string("\x12\x34\x08\x01\0\0\0\x01\x07", 9);
  const auto msg = error_of([&] { read_idx(path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("magic"), std::string::npos) << msg;
}

TEST(Idx, UnknownTypeIsNamed) {
  const auto path = write_idx(test::temp_dir() / "floats", 0x0D, {1}, {0, 0, 0, 0});
  const auto msg = error_of([&] { read_idx(path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("0x0D"), std::string::npos) << msg;
  EXPECT_NE(msg.find("type"), std::string::npos) << msg;
}

TEST(Idx, BadRankAndZeroDimensionAreRejected) {
  const auto dir = test::temp_dir();
  const auto rank5 = write_idx(dir / "rank5", 0x08, {1, 1, 1, 1, 1}, {0});
  EXPECT_NE(error_of([&] { read_idx(rank5); }).find("rank 5"), std::string::npos);
  const auto zero = write_idx(dir / "zero", 0x08, {3, 0}, {});
  EXPECT_NE(error_of([&] { read_idx(zero); }).find("positive"), std::string::npos);
}

TEST(Idx, TruncatedFileSaysHowMuchIsMissing) {
  const auto dir = test::temp_dir();
  for (const bool gz : {false, true}) {
    const auto path = write_idx(dir / (gz ? "short.gz" : "short"), 0x08, {10, 10},
                                std::vector<uint8_t>(40, 7), gz);
    const auto msg = error_of([&] { read_idx(path); });
    EXPECT_NE(msg.find(path + ": truncated: expected 100 data bytes, found 40"), std::string::npos)
        << msg;
  }
}

TEST(Idx, TrailingBytesAreAnError) {
  const auto path = write_idx(test::temp_dir() / "long", 0x08, {4}, std::vector<uint8_t>(6, 1));
  const auto msg = error_of([&] { read_idx(path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("trailing"), std::string::npos) << msg;
  EXPECT_NE(msg.find("expected 4 data bytes, found 6"), std::string::npos) << msg;
}

TEST(Idx, MissingFileIsNamed) {
  const auto path = (test::temp_dir() / "nowhere-idx1-ubyte").string();
  const auto msg = error_of([&] { read_idx(path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("no such file"), std::string::npos) << msg;
}

TEST(Idx, DatasetFromImagesAndLabels) {
  const auto dir = test::temp_dir();
  const auto images =
      write_idx(dir / "img", 0x08, {3, 2, 2}, {0, 255, 0, 255, 1, 1, 1, 1, 2, 2, 2, 2});
  const auto labels = write_idx(dir / "lbl", 0x08, {3}, {7, 3, 7});
  const Dataset d = read_idx_dataset(images, labels, "toy/train");
  EXPECT_EQ(d.name, "toy/train");
  EXPECT_EQ(d.size(), 3);
  EXPECT_EQ(d.sample_shape, (Shape{1, 2, 2}));
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"3", "7"}));
  EXPECT_EQ(d.labels, (std::vector<int32_t>{1, 0, 1}));
  float x[4];
  d.read_sample(0, x);
  EXPECT_FLOAT_EQ(x[0], 0.f);
  EXPECT_FLOAT_EQ(x[1], 1.f);
}

TEST(Idx, DatasetCountMismatchNamesBothFiles) {
  const auto dir = test::temp_dir();
  const auto images = write_idx(dir / "imgs-idx3-ubyte", 0x08, {3, 1, 1}, {1, 2, 3});
  const auto labels = write_idx(dir / "lbls-idx1-ubyte", 0x08, {2}, {0, 1});
  const auto msg = error_of([&] { read_idx_dataset(images, labels, "toy"); });
  EXPECT_NE(msg.find("imgs-idx3-ubyte"), std::string::npos) << msg;
  EXPECT_NE(msg.find("lbls-idx1-ubyte"), std::string::npos) << msg;
  EXPECT_NE(msg.find("3 images"), std::string::npos) << msg;
  EXPECT_NE(msg.find("2 labels"), std::string::npos) << msg;
}

TEST(Idx, DatasetChecksRanks) {
  const auto dir = test::temp_dir();
  const auto flat = write_idx(dir / "flat", 0x08, {3}, {1, 2, 3});
  const auto labels = write_idx(dir / "lbl", 0x08, {3}, {0, 1, 2});
  EXPECT_NE(error_of([&] { read_idx_dataset(flat, labels, "toy"); }).find("rank 3"),
            std::string::npos);
  const auto images = write_idx(dir / "img", 0x08, {3, 1, 1}, {1, 2, 3});
  const auto labels2 = write_idx(dir / "lbl2", 0x08, {3, 1}, {0, 1, 2});
  EXPECT_NE(error_of([&] { read_idx_dataset(images, labels2, "toy"); }).find("rank 1"),
            std::string::npos);
}

}  // namespace
}  // namespace nnlab
