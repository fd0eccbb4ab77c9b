#include "io/csv.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "io/atomic_file.hpp"
#include "support/test_support.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

TEST(Csv, RowBuilderFormatsAndQuotes) {
  const std::string row = CsvRow()
                              .add("plain")
                              .add("a,b")
                              .add("say \"hi\"")
                              .add(0.123456789)
                              .add(1e-9)
                              .add(42)
                              .add(std::nan(""))
                              .add(2.5f)
                              .str();
  EXPECT_EQ(row, "plain,\"a,b\",\"say \"\"hi\"\"\",0.123457,1e-09,42,,2.5\n");
}

TEST(Csv, ParseRoundTripsWhatTheWriterWrites) {
  const std::string text = CsvRow().add("name").add("value").str() +
                           CsvRow().add("x, y").add("line\nbreak").str() +
                           CsvRow().add("").add(3.0).str();
  const auto rows = parse_csv(text, "t.csv");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1], (std::vector<std::string>{"x, y", "line\nbreak"}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"", "3"}));
}

TEST(Csv, AcceptsCrlfAndMissingFinalNewline) {
  const auto rows = parse_csv("a,b\r\n1,2\r\n\r\n3,", "t.csv");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2], (std::vector<std::string>{"3", ""}));
}

TEST(Csv, ErrorsNameFileAndLine) {
  try {
    parse_csv("a,b\n1,2\n3,\"open\n", "bad.csv");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.csv:3"), std::string::npos) << e.what();
  }
  try {
    parse_csv("a,b\nx\"y,2\n", "bad.csv");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.csv:2"), std::string::npos) << e.what();
  }
}

TEST(Csv, ReadCsvFromFile) {
  const auto path = (test::temp_dir() / "h.csv").string();
  write_file_atomic(path, "epoch,loss\n1,0.5\n2,0.25\n");
  const auto rows = read_csv(path);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(csv_to_double(rows[2][1], "h.csv:3"), 0.25);
  EXPECT_TRUE(std::isnan(csv_to_double("", "x")));
  EXPECT_THROW(csv_to_double("abc", "x"), Error);
  EXPECT_THROW(read_csv(path + ".missing"), Error);
}

}  // namespace
}  // namespace nnlab
