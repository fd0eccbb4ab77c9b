#include "data/idx.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <zlib.h>

#include <fstream>
#include <random>

#include "io/atomic_file.hpp"
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

// The process's peak resident memory so far, in bytes (Linux reports kilobytes).
int64_t peak_rss() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return int64_t{usage.ru_maxrss} * 1024;
}
// What refusing a hostile header may cost: far below the gigabytes it claims.
constexpr int64_t kRefusalMemory = int64_t{100} << 20;

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

// Dimensions whose product wraps around 2^64 (or merely exceeds the limit) are refused by name.
TEST(Idx, DimensionsBeyondTheLimitAreRefusedWithoutWrapping) {
  const auto dir = test::temp_dir();
  const auto huge = write_idx(dir / "huge", 0x08, {1, 1073774592, 1073709057}, {});
  const auto msg = error_of([&] { read_idx(huge); });
  EXPECT_NE(msg.find(huge + ": IDX dimensions [1, 1073774592, 1073709057] hold more than "
                            "2147483648 elements"),
            std::string::npos)
      << msg;
  // (2^32 - 1)^2 wraps to a negative 64-bit product.
  const auto wraps = write_idx(dir / "wraps", 0x08, {4294967295u, 4294967295u}, {});
  EXPECT_NE(error_of([&] { read_idx(wraps); }).find("[4294967295, 4294967295] hold more than"),
            std::string::npos);
}

TEST(Idx, RawHeaderClaimingMoreThanTheFileIsRefusedBeforeAllocating) {
  const auto path = write_idx(test::temp_dir() / "claims-1gb", 0x08, {1000, 1000, 1000}, {1, 2, 3});
  const int64_t before = peak_rss();
  const auto msg = error_of([&] { read_idx(path); });
  EXPECT_LT(peak_rss() - before, kRefusalMemory);
  EXPECT_NE(msg.find(path + ": truncated: expected 1000000000 data bytes, found 3 (dimensions "
                            "[1000, 1000, 1000])"),
            std::string::npos)
      << msg;
}

// A few dozen gzip bytes cannot inflate to a gigabyte: refused from the file size alone.
TEST(Idx, TinyGzipClaimingAGigabyteIsRefusedBeforeAllocating) {
  const auto path =
      write_idx(test::temp_dir() / "claims-1gb.gz", 0x08, {1000, 1000, 1000}, {}, true);
  const int64_t before = peak_rss();
  const auto msg = error_of([&] { read_idx(path); });
  EXPECT_LT(peak_rss() - before, kRefusalMemory);
  EXPECT_NE(msg.find(path + ": IDX dimensions [1000, 1000, 1000] need 1000000000 data bytes, but "
                            "a "),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("(deflate expands at most 1032:1)"), std::string::npos) << msg;
}

// A gzip file big enough to pass the size check still costs only the data it really holds.
TEST(Idx, GzipDataBufferGrowsOnlyAsDataArrives) {
  std::mt19937 rng(7);
  std::vector<uint8_t> noise(2'000'000);  // incompressible: about 2 MB of gzip
  for (auto& b : noise) b = static_cast<uint8_t>(rng());
  const auto path =
      write_idx(test::temp_dir() / "short-1gb.gz", 0x08, {1000, 1000, 1000}, noise, true);
  const int64_t before = peak_rss();
  const auto msg = error_of([&] { read_idx(path); });
  EXPECT_LT(peak_rss() - before, kRefusalMemory);
  EXPECT_NE(msg.find(path + ": truncated: expected 1000000000 data bytes, found 2000000"),
            std::string::npos)
      << msg;
}

// After a gzip member only another member may follow: gzread skipped anything else unread.
TEST(Idx, GzipTrailingGarbageIsRefusedButFurtherMembersAreRead) {
  const auto dir = test::temp_dir();
  const auto path = write_idx(dir / "garbage.gz", 0x08, {2, 2}, {1, 2, 3, 4}, true);
  const auto size = std::filesystem::file_size(path);
  std::ofstream(path, std::ios::binary | std::ios::app) << "not gzip";
  const auto msg = error_of([&] { read_idx(path); });
  EXPECT_NE(msg.find(fmt::format(
                "{}: trailing garbage: 8 bytes after the gzip data ends at byte {} are not "
                "another gzip member",
                path, size)),
            std::string::npos)
      << msg;

  // Two members: the header, then the data ("ab" appends a member).
  const auto two = write_idx(dir / "two.gz", 0x08, {2, 2}, {}, true);
  gzFile f = gzopen(two.c_str(), "ab");
  gzwrite(f, "\x01\x02\x03\x04", 4);
  gzclose(f);
  EXPECT_EQ(read_idx(two).data, (std::vector<uint8_t>{1, 2, 3, 4}));
}

TEST(Idx, CutGzipStreamIsNamed) {
  const auto path = write_idx(test::temp_dir() / "cut.gz", 0x08, {2, 2}, {1, 2, 3, 4}, true);
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 6);
  const auto msg = error_of([&] { read_idx(path); });
  EXPECT_NE(msg.find(path + ": truncated gzip data"), std::string::npos) << msg;
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

// A label beyond the declared classes would become a class of its own, and fail much later
// in the loss naming neither file nor sample.
TEST(Idx, DatasetLabelOutsideTheDeclaredClassesNamesFileAndSample) {
  const auto dir = test::temp_dir();
  const auto images = write_idx(dir / "img", 0x08, {3, 1, 1}, {1, 2, 3});
  const auto labels = write_idx(dir / "lbl-idx1-ubyte", 0x08, {3}, {4, 200, 9});
  const auto msg = error_of([&] { read_idx_dataset(images, labels, "toy", 10); });
  EXPECT_NE(msg.find(labels + ": label 200 of sample 1 is outside [0, 10) (toy has 10 classes)"),
            std::string::npos)
      << msg;
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

// write_idx: what it writes read_idx reads back, raw or gzipped, the same bytes every time.
TEST(IdxWriter, RoundTripsRawAndGzipped) {
  const auto dir = test::temp_dir();
  IdxArray a{.type = 0x08, .dims = {2, 3, 4}, .data = {}};
  for (int i = 0; i < 24; ++i) a.data.push_back(static_cast<uint8_t>(i * 10));
  for (const std::string name : {"a-idx3-ubyte", "a-idx3-ubyte.gz"}) {
    const std::string path = (dir / name).string();
    nnlab::write_idx(path, a);
    const IdxArray back = read_idx(path);
    EXPECT_EQ(back.type, a.type);
    EXPECT_EQ(back.dims, a.dims);
    EXPECT_EQ(back.data, a.data);
    const std::string bytes = read_file(path);
    const bool gz = name.ends_with(".gz");
    ASSERT_GE(bytes.size(), 4u);
    if (gz) {
      EXPECT_EQ(static_cast<uint8_t>(bytes[0]), 0x1f);  // gzip's magic
      EXPECT_EQ(static_cast<uint8_t>(bytes[1]), 0x8b);
    } else {
      EXPECT_EQ(bytes.substr(0, 4), std::string("\0\0\x08\x03", 4));
      EXPECT_EQ(bytes.size(), 4u + 3 * 4 + 24);
    }
    nnlab::write_idx(path, a);  // again: byte-identical (no time stamp)
    EXPECT_EQ(read_file(path), bytes) << name;
  }
  // Nothing but the two files: no temporary left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 2);
}

TEST(IdxWriter, RefusesWhatReadIdxWouldRefuseAndWritesNothing) {
  const auto dir = test::temp_dir();
  const std::string path = (dir / "bad.gz").string();
  const auto message = [&](IdxArray a) { return error_of([&] { nnlab::write_idx(path, a); }); };
  EXPECT_NE(message({.type = 0x08, .dims = {2, 2}, .data = {1, 2, 3}}).find("4 elements"),
            std::string::npos);
  EXPECT_NE(message({.type = 0x08, .dims = {}, .data = {}}).find("rank 0"), std::string::npos);
  EXPECT_NE(message({.type = 0x08, .dims = {1, 1, 1, 1, 1}, .data = {0}}).find("rank 5"),
            std::string::npos);
  EXPECT_NE(message({.type = 0x08, .dims = {2, 0}, .data = {}}).find("dimension 0"),
            std::string::npos);
  const auto type = message({.type = 0x0D, .dims = {1}, .data = {0}});
  EXPECT_NE(type.find(path), std::string::npos) << type;
  EXPECT_NE(type.find("0x0D"), std::string::npos) << type;
  EXPECT_FALSE(std::filesystem::exists(path));
}

// Labels are written as their class names' values: Multi-MNIST's "1".."50" come back as such.
TEST(IdxWriter, DatasetRoundTripKeepsLabelValues) {
  Dataset d;
  d.name = "toy";
  d.sample_shape = {1, 2, 3};
  for (int k = 1; k <= 50; ++k) d.class_names.push_back(std::to_string(k));
  for (int i = 0; i < 120; ++i) {
    d.labels.push_back((i * 7) % 50);
    for (int p = 0; p < 6; ++p) d.pixels.push_back(static_cast<uint8_t>(i + p));
  }
  const auto dir = test::temp_dir();
  const std::string images = (dir / "i.gz").string(), labels = (dir / "l.gz").string();
  write_idx_dataset(d, images, labels);
  EXPECT_EQ(read_idx(labels).data[0], 1);  // class index 0 is stored as 1
  const Dataset back = read_idx_dataset(images, labels, "toy");
  EXPECT_EQ(back.class_names, d.class_names);
  EXPECT_EQ(back.labels, d.labels);
  EXPECT_EQ(back.pixels, d.pixels);
  EXPECT_EQ(back.sample_shape, d.sample_shape);

  d.class_names[3] = "T-shirt";
  const auto msg = error_of([&] { write_idx_dataset(d, images, labels); });
  EXPECT_NE(msg.find("'T-shirt'"), std::string::npos) << msg;
  d.class_names[3] = "256";
  EXPECT_NE(error_of([&] { write_idx_dataset(d, images, labels); }).find("0..255"),
            std::string::npos);
}

}  // namespace
}  // namespace nnlab
