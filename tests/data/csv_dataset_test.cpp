// read_csv_dataset: columns by name, and errors that name the file, line and column.
#include "data/csv_dataset.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "support/test_support.hpp"

namespace nnlab {
namespace {

using test::error_of;

/// Writes `text` to a file named `name` in a fresh directory and returns its path.
std::string write_csv(const std::string& name, const std::string& text) {
  const std::string path = (test::temp_dir() / name).string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

/// The message of reading `text` as file `name` with inputs {x} and targets {y}.
std::string error_reading(const std::string& text, int64_t max_rows = 100,
                          const std::string& name = "s3-train.csv") {
  const std::string path = write_csv(name, text);
  return error_of([&] { read_csv_dataset(path, {"x"}, {"y"}, max_rows); });
}

void expect_has(const std::string& message, const std::string& part) {
  EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
}

TEST(CsvDataset, PicksColumnsByNameInAnyOrder) {
  const std::string path = write_csv(
      "table.csv", "note,y,b,x\nfirst,1.5,10,-2\n\nsecond, -0.25 ,20,3e-1\r\nthird,+4,30,.5\n");
  const Dataset d = read_csv_dataset(path, {"x", "b"}, {"y"}, 3);
  EXPECT_EQ(d.name, "table");
  EXPECT_EQ(d.size(), 3);
  EXPECT_EQ(d.sample_shape, (Shape{2}));
  EXPECT_EQ(d.features, (std::vector<float>{-2.0f, 10.0f, 0.3f, 20.0f, 0.5f, 30.0f}));
  EXPECT_EQ(d.target_dim, 1);
  EXPECT_EQ(d.targets, (std::vector<float>{1.5f, -0.25f, 4.0f}));
  EXPECT_TRUE(d.labels.empty());
  EXPECT_TRUE(d.pixels.empty());
  EXPECT_FALSE(d.is_images());

  const Dataset two = read_csv_dataset(path, {"b"}, {"x", "y"}, 3);
  EXPECT_EQ(two.features, (std::vector<float>{10.0f, 20.0f, 30.0f}));
  EXPECT_EQ(two.target_dim, 2);
  EXPECT_EQ(two.targets, (std::vector<float>{-2.0f, 1.5f, 0.3f, -0.25f, 0.5f, 4.0f}));
}

TEST(CsvDataset, QuotedFieldsKeepLineNumbers) {
  // The quoted note spans lines 2-3, so the bad cell is on line 4.
  const std::string e = error_reading("x,y,note\n1,2,\"two\nlines\"\n3,oops,plain\n");
  expect_has(e, "s3-train.csv:4: column 'y': 'oops' is not a number");
  const std::string path = write_csv("q.csv", "\"x\",y\n\"1.5\",2\n");
  EXPECT_EQ(read_csv_dataset(path, {"x"}, {"y"}, 1).features, std::vector<float>{1.5f});
}

TEST(CsvDataset, RefusesCellsThatAreNotFiniteNumbers) {
  expect_has(error_reading("x,y\n1,2\n3,4\n" + std::string(13, '\n') + "abc,5\n"),
             "s3-train.csv:17: column 'x': 'abc' is not a number");
  expect_has(error_reading("x,y\n1,2\n3,nan\n"), "s3-train.csv:3: column 'y': 'nan' is not a");
  expect_has(error_reading("x,y\ninf,2\n"), "s3-train.csv:2: column 'x': 'inf' is not a finite");
  expect_has(error_reading("x,y\n-infinity,2\n"), "s3-train.csv:2: column 'x': '-infinity'");
  expect_has(error_reading("x,y\n1e39,2\n"), "s3-train.csv:2: column 'x': '1e39' is out of");
  expect_has(error_reading("x,y\n1e400,2\n"), "s3-train.csv:2: column 'x': '1e400' is out of");
  expect_has(error_reading("x,y\n1,\n"), "s3-train.csv:2: column 'y': '' is not a number");
  expect_has(error_reading("x,y\n1.5x,2\n"), "s3-train.csv:2: column 'x': '1.5x' is not a");
  expect_has(error_reading("x,y\n1,0x10\n"), "s3-train.csv:2: column 'y': '0x10' is not a");
  expect_has(error_reading("x,y\n1,2 3\n"), "s3-train.csv:2: column 'y': '2 3' is not a");
  expect_has(error_reading("x,y\n1,\"1,5\"\n"), "s3-train.csv:2: column 'y': '1,5' is not a");
}

TEST(CsvDataset, RefusesRaggedRows) {
  expect_has(error_reading("x,y\n1,2\n3\n"),
             "s3-train.csv:3: line 3 has 1 fields, the header has 2");
  expect_has(error_reading("x,y\n1,2,3\n"),
             "s3-train.csv:2: line 2 has 3 fields, the header has 2");
}

TEST(CsvDataset, RequiresAHeaderNamingTheColumns) {
  expect_has(error_reading(""), "s3-train.csv: missing header");
  expect_has(error_reading("\n\n"), "s3-train.csv: missing header");
  expect_has(error_reading("1.5,2\n3,4\n"), "s3-train.csv:1: missing header");
  expect_has(error_reading("x,y,x\n1,2,3\n"),
             "s3-train.csv:1: column 'x' appears twice in the header (columns 1 and 3)");
  expect_has(error_reading("\nx,z,w\n1,2,3\n"),
             "s3-train.csv:2: no column 'y' in the header; its columns are: x, z, w");
  expect_has(error_reading("a,y\n1,2\n"),
             "s3-train.csv:1: no column 'x' in the header; its columns are: a, y");
}

TEST(CsvDataset, RequiresRowsWithinTheLimit) {
  expect_has(error_reading("x,y\n"), "s3-train.csv: no data rows after the header (line 1)");
  expect_has(error_reading("x,y\n1,2\n3,4\n\n5,6\n", 2),
             "s3-train.csv:5: more than 2 data rows (max_rows); the file has 3");
  const std::string path = write_csv("ok.csv", "x,y\n1,2\n3,4\n");
  EXPECT_EQ(read_csv_dataset(path, {"x"}, {"y"}, 2).size(), 2);
  expect_has(error_of([&] { read_csv_dataset(path, {"x"}, {"y"}, 0); }),
             "ok.csv: max_rows must be positive");
}

TEST(CsvDataset, RequiresEachColumnChosenOnce) {
  const std::string path = write_csv("ok.csv", "x,y,z\n1,2,3\n");
  expect_has(error_of([&] { read_csv_dataset(path, {}, {"y"}, 10); }),
             "ok.csv: no input columns chosen");
  expect_has(error_of([&] { read_csv_dataset(path, {"x"}, {}, 10); }),
             "ok.csv: no target columns chosen");
  expect_has(error_of([&] {
               read_csv_dataset(path, {"x", "z", "x"}, {"y"}, 10);
             }),
             "ok.csv: column 'x' is chosen twice (as an input and as an input)");
  expect_has(error_of([&] {
               read_csv_dataset(path, {"x"}, {"y", "y"}, 10);
             }),
             "ok.csv: column 'y' is chosen twice (as a target and as a target)");
  expect_has(error_of([&] {
               read_csv_dataset(path, {"x", "y"}, {"y"}, 10);
             }),
             "ok.csv: column 'y' is chosen twice (as an input and as a target)");
  expect_has(error_of([&] { read_csv_dataset(path, {""}, {"y"}, 10); }),
             "ok.csv: an empty column name among the inputs");
}

TEST(CsvDataset, NamesAFileItCannotRead) {
  const std::string path = (test::temp_dir() / "absent.csv").string();
  expect_has(error_of([&] { read_csv_dataset(path, {"x"}, {"y"}, 10); }), "absent.csv");
}

}  // namespace
}  // namespace nnlab
