#include "io/safetensors.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "io/atomic_file.hpp"
#include "support/test_support.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

using test::error_of;

SafeTensors sample() {
  SafeTensors st;
  const float w[6] = {0.5f, -1.25f, 3.0f, 1e-7f, -0.0f, 42.0f};
  const float b[3] = {1, 2, 3};
  const uint8_t img[2 * 2 * 3] = {0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255};
  st.add_f32("dense1.weight", {3, 2}, w);
  st.add_f32("dense1.bias", {3}, b);
  st.add_u8("images", {2, 2, 3}, img);
  st.metadata["format"] = "pt";
  return st;
}

// A file's bytes: the length field `n`, then `rest` (the header and the data).
std::string with_length(uint64_t n, std::string_view rest) {
  std::string out(8, '\0');
  std::memcpy(out.data(), &n, 8);
  return out + std::string(rest);
}

// A file's bytes with its header replaced by `header` (padded as the format asks).
std::string with_header(std::string header, std::string_view data) {
  header.append((8 - header.size() % 8) % 8, ' ');
  return with_length(header.size(), header + std::string(data));
}

// A header holding one tensor entry `a` with the given JSON fields.
std::string one_tensor(std::string_view fields) { return fmt::format(R"({{"a":{{{}}}}})", fields); }

constexpr const char* kFile = "model.safetensors";

// Decoding `bytes` must fail with an nnlab::Error naming the file and holding `fragment`.
void expect_refused(const std::string& bytes, const std::string& fragment) {
  const std::string msg = error_of([&] { decode_safetensors(bytes, kFile); });
  EXPECT_NE(msg.find(kFile), std::string::npos) << msg;
  EXPECT_NE(msg.find(fragment), std::string::npos) << msg;
}

const std::string kData8(8, '\1');

TEST(Safetensors, RoundTrip) {
  const auto path = (test::temp_dir() / "w.safetensors").string();
  save_safetensors(path, sample());
  const SafeTensors back = load_safetensors(path);
  EXPECT_EQ(back.tensors.size(), 3u);
  EXPECT_EQ(back.metadata.at("format"), "pt");
  const std::vector<float> w = back.f32("dense1.weight", {3, 2});
  EXPECT_EQ(w, (std::vector<float>{0.5f, -1.25f, 3.0f, 1e-7f, -0.0f, 42.0f}));
  EXPECT_EQ(back.tensor("dense1.bias").shape(), (Shape{3}));
  EXPECT_EQ(back.at("images").dtype, "U8");
  EXPECT_EQ(back.at("images").bytes[11], 255);
  EXPECT_EQ(back.at("images").shape, (std::vector<int64_t>{2, 2, 3}));
  // The header is padded to a multiple of 8.
  const std::string bytes = read_file(path);
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ(n % 8, 0u);
}

TEST(Safetensors, AccessorsCheckDtypeAndShape) {
  const SafeTensors st = sample();
  EXPECT_NE(error_of([&] { st.f32("images"); }).find("U8"), std::string::npos);
  EXPECT_NE(error_of([&] { st.f32("dense1.weight", {2, 3}); }).find("[3, 2]"), std::string::npos);
  EXPECT_NE(error_of([&] { st.at("nope"); }).find("nope"), std::string::npos);
}

// What the reference reader accepts at the edges: JSON whitespace around the header (it takes
// tabs, CR and LF as well as the spaces the format writes), empty and zero-sized tensors, extra
// fields in an entry, tensors listed in any order.
TEST(Safetensors, AcceptsWhatTheReferenceReaderAccepts) {
  const std::string header =
      " {\"z\":{\"dtype\":\"U8\",\"shape\":[2,0],\"data_offsets\":[8,8]},"
      "\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[4,8],\"x\":[{}]},"
      "\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}\r\n\t ";
  const SafeTensors st = decode_safetensors(with_length(header.size(), header + kData8), kFile);
  EXPECT_EQ(st.at("z").shape, (std::vector<int64_t>{2, 0}));
  EXPECT_TRUE(st.at("z").bytes.empty());
  EXPECT_EQ(st.at("a").bytes.size(), 4u);
  EXPECT_EQ(st.at("b").bytes, (std::vector<uint8_t>(4, 1)));
}

TEST(Safetensors, RefusesAFileTooShortForTheLengthField) {
  expect_refused("abc", "not a safetensors file");
}

TEST(Safetensors, RefusesAHeaderLengthOver100MB) {
  expect_refused(with_length(100'000'001, "{}"), "over the limit of 100000000 bytes");
  expect_refused(with_length(~uint64_t{0}, "{}"), "over the limit");
}

TEST(Safetensors, RefusesAHeaderLengthPastTheEndOfTheFile) {
  const std::string good = encode_safetensors(sample());
  std::string bytes = good;
  const uint64_t n = good.size() - 7;
  std::memcpy(bytes.data(), &n, 8);
  expect_refused(bytes, "runs past the end of the file");
}

TEST(Safetensors, RefusesAHeaderThatIsNotAJsonObject) {
  expect_refused(with_header("[1, 2]", ""), "header is a JSON array, not an object");
  expect_refused(with_header(R"("text")", ""), "not an object");
}

TEST(Safetensors, RefusesAHeaderThatIsNotJson) {
  expect_refused(with_header(R"({"a":)", ""), "not valid JSON");
  expect_refused(with_header(R"({} {})", ""), "not valid JSON");
  expect_refused(
      with_header(one_tensor(R"("dtype":"U8","shape":[1e500],"data_offsets":[0,0])"), ""),
      "not valid JSON");
}

TEST(Safetensors, RefusesAHeaderThatIsNotUtf8) {
  expect_refused(with_header("{\"\xc3\x28\":1}", ""), "not valid UTF-8 (byte 0xc3 at offset 2)");
  // An overlong form of '/' and an encoded surrogate.
  expect_refused(with_header("{\"\xc0\xaf\":1}", ""), "not valid UTF-8");
  expect_refused(with_header("{\"\xed\xa0\x80\":1}", ""), "not valid UTF-8");
  // Invalid UTF-8 in the padding: the reference checks the whole header.
  expect_refused(with_length(8, "{}   \xff  "), "not valid UTF-8");
}

// nlohmann::json stops at a NUL byte, so the old reader took NUL padding, and anything after it.
TEST(Safetensors, RefusesAHeaderPaddedWithNulBytes) {
  expect_refused(with_length(8, std::string("{}\0\0\0\0\0\0", 8)), "NUL byte at offset 2");
  const std::string header = one_tensor(R"("dtype":"U8","shape":[8],"data_offsets":[0,8])");
  expect_refused(with_length(header.size() + 8, header + std::string("\0junk!!!", 8) + kData8),
                 "NUL byte");
}

// nlohmann::json keeps the last of repeated keys; which entry a file means must not be a guess.
TEST(Safetensors, RefusesARepeatedTensorName) {
  expect_refused(with_header(R"({"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},)"
                             R"("a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}})",
                             kData8),
                 "repeats the tensor name 'a'");
}

TEST(Safetensors, RefusesARepeatedKeyWithinAnEntryOrTheMetadata) {
  expect_refused(
      with_header(one_tensor(R"("dtype":"F32","dtype":"U8","shape":[8],"data_offsets":[0,8])"),
                  kData8),
      "repeats the key 'dtype'");
  expect_refused(with_header(R"({"__metadata__":{"k":"1","k":"2"}})", ""), "repeats the key 'k'");
  expect_refused(with_header(R"({"__metadata__":{},"__metadata__":{}})", ""),
                 "repeats the tensor name '__metadata__'");
}

// The reference reads them as Rust usize: json::get<uint64_t> truncated 8.7 to 8 and 8e0 to 8.
TEST(Safetensors, RefusesFractionalDataOffsetsInsteadOfTruncatingThem) {
  expect_refused(
      with_header(one_tensor(R"("dtype":"U8","shape":[8],"data_offsets":[0,8.7])"), kData8),
      "data_offsets [0,8.7] must be [begin, end], non-negative integers");
  expect_refused(
      with_header(one_tensor(R"("dtype":"U8","shape":[8],"data_offsets":[0,8e0])"), kData8),
      "non-negative integers");
  expect_refused(
      with_header(one_tensor(R"("dtype":"U8","shape":[8],"data_offsets":[0.0,8])"), kData8),
      "non-negative integers");
}

TEST(Safetensors, RefusesFractionalShapesInsteadOfTruncatingThem) {
  expect_refused(
      with_header(one_tensor(R"("dtype":"U8","shape":[8.5],"data_offsets":[0,8])"), kData8),
      "dimension 8.5: dimensions must be integers");
  expect_refused(
      with_header(one_tensor(R"("dtype":"U8","shape":[2,4.0],"data_offsets":[0,8])"), kData8),
      "dimension 4.0");
}

TEST(Safetensors, RefusesNegativeShapesAndOffsets) {
  // -0 is a float to the reference (serde_json): the old reader read it as 0.
  expect_refused(
      with_header(one_tensor(R"("dtype":"U8","shape":[8],"data_offsets":[-0,8])"), kData8),
      "non-negative integers");
  expect_refused(
      with_header(one_tensor(R"("dtype":"U8","shape":[8],"data_offsets":[-8,0])"), kData8),
      "non-negative integers");
  expect_refused(
      with_header(one_tensor(R"("dtype":"U8","shape":[-8],"data_offsets":[0,8])"), kData8),
      "dimension -8");
  // Past int64_t, where nnlab's Shape ends, even when another dimension makes the tensor empty.
  expect_refused(
      with_header(
          one_tensor(R"("dtype":"U8","shape":[9223372036854775808,0],"data_offsets":[0,0])"), ""),
      "dimension 9223372036854775808");
}

TEST(Safetensors, RefusesAnUnknownOrUnsupportedDtype) {
  expect_refused(
      with_header(one_tensor(R"("dtype":"Q7","shape":[8],"data_offsets":[0,8])"), kData8),
      "unsupported dtype \"Q7\"");
  expect_refused(
      with_header(one_tensor(R"("dtype":"F64","shape":[1],"data_offsets":[0,8])"), kData8),
      "unsupported dtype \"F64\"");
  expect_refused(with_header(one_tensor(R"("dtype":4,"shape":[2],"data_offsets":[0,8])"), kData8),
                 "unsupported dtype 4");
}

TEST(Safetensors, RefusesAnEntryThatIsNotAnObjectOrLacksAField) {
  expect_refused(with_header(R"({"a":[0,8]})", kData8), "tensor 'a' is [0,8], not an object");
  expect_refused(with_header(one_tensor(R"("dtype":"U8","shape":[8])"), kData8),
                 "tensor 'a' has no 'data_offsets'");
  expect_refused(with_header(one_tensor(R"("dtype":"U8","shape":8,"data_offsets":[0,8])"), kData8),
                 "shape 8 is not a list");
  expect_refused(
      with_header(one_tensor(R"("dtype":"U8","shape":[8],"data_offsets":[0,4,8])"), kData8),
      "must be [begin, end]");
}

TEST(Safetensors, RefusesBeginAfterEnd) {
  expect_refused(
      with_header(one_tensor(R"("dtype":"U8","shape":[0],"data_offsets":[8,4])"), kData8),
      "data_offsets [8, 4] end before they begin");
}

// The reference's ValidationOverflow: the product of the dimensions, or it times the dtype size,
// past 64 bits.
TEST(Safetensors, RefusesElementCountsThatOverflow) {
  expect_refused(
      with_header(
          one_tensor(R"("dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,8])"),
          kData8),
      "element count overflows 64 bits");
  // Overflows only when multiplied by 4 bytes.
  expect_refused(
      with_header(
          one_tensor(R"("dtype":"F32","shape":[2,9223372036854775807],"data_offsets":[0,8])"),
          kData8),
      "needs more than the file's 8 data bytes");
}

// A tiny file claiming a huge tensor is refused before anything is allocated for it.
TEST(Safetensors, RefusesSizesLargerThanTheFile) {
  expect_refused(
      with_header(
          one_tensor(R"("dtype":"F32","shape":[1000000000000],"data_offsets":[0,4000000000000])"),
          kData8),
      "shape [1000000000000] of F32 needs more than the file's 8 data bytes");
}

TEST(Safetensors, RefusesAByteLengthThatDisagreesWithTheShape) {
  expect_refused(with_header(one_tensor(R"("dtype":"F32","shape":[3],"data_offsets":[0,16])"),
                             std::string(16, '\1')),
                 "has 16 bytes but shape [3] of F32 needs 12");
}

TEST(Safetensors, RefusesOverlappingTensors) {
  expect_refused(with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                             std::string(16, '\1')),
                 "tensor 'b' at data offsets [4, 12] overlaps tensor 'a'");
}

TEST(Safetensors, RefusesAGapBetweenTensors) {
  expect_refused(with_header(one_tensor(R"("dtype":"F32","shape":[2],"data_offsets":[8,16])"),
                             std::string(16, '\1')),
                 "starts at data offset 8, leaving a gap after 0");
}

TEST(Safetensors, RefusesTrailingBytesAfterTheLastTensor) {
  expect_refused(with_header(one_tensor(R"("dtype":"F32","shape":[2],"data_offsets":[0,8])"),
                             std::string(16, '\1')),
                 "8 trailing bytes after the last safetensors tensor");
  expect_refused(encode_safetensors(sample()) + "x", "1 trailing bytes");
}

TEST(Safetensors, RefusesTruncatedData) {
  const std::string good = encode_safetensors(sample());
  expect_refused(good.substr(0, good.size() - 5), "need 48 data bytes but the file has 43");
}

TEST(Safetensors, RefusesMetadataThatIsNotAnObjectOfStrings) {
  expect_refused(with_header(R"({"__metadata__":["a"]})", ""),
                 "__metadata__ is [\"a\"], not an object of strings");
  expect_refused(with_header(R"({"__metadata__":null})", ""), "not an object of strings");
  expect_refused(with_header(R"({"__metadata__":{"epochs":3}})", ""),
                 "__metadata__ 'epochs' is 3, not a string");
}

// serde_json, which the reference uses, refuses nesting 128 deep, even in a field it ignores.
TEST(Safetensors, RefusesAHeaderNestedDeeperThanTheReferenceReads) {
  const auto header = [](int depth) {
    return one_tensor(R"("dtype":"U8","shape":[8],"data_offsets":[0,8],"x":)" +
                      std::string(static_cast<size_t>(depth), '[') +
                      std::string(static_cast<size_t>(depth), ']'));
  };
  // The root object and the entry hold the lists: 125 of them make 127 levels.
  EXPECT_NO_THROW(decode_safetensors(with_header(header(125), kData8), kFile));
  expect_refused(with_header(header(126), kData8), "nested over 127 levels deep");
}

TEST(Safetensors, LoadNamesThePath) {
  const std::string good = encode_safetensors(sample());
  const auto path = (test::temp_dir() / "bad.safetensors").string();
  write_file_atomic(path, good.substr(0, good.size() - 1));
  const std::string msg = error_of([&] { load_safetensors(path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
}

// An independent reader: Python parses the file per the format's specification (struct, json,
// numpy; not the safetensors package) and compares with values the C++ side lists in a JSON
// side file.
TEST(Safetensors, ReadableByAnIndependentPythonReader) {
  const auto dir = test::temp_dir();
  const SafeTensors st = sample();
  save_safetensors((dir / "t.safetensors").string(), st);
  std::ofstream expected(dir / "expected.json");
  expected << "{";
  bool first = true;
  for (const auto& [name, t] : st.tensors) {
    expected << (first ? "" : ",") << "\"" << name << "\":{\"dtype\":\"" << t.dtype
             << "\",\"shape\":[";
    for (size_t i = 0; i < t.shape.size(); ++i) expected << (i ? "," : "") << t.shape[i];
    expected << "],\"values\":[";
    const size_t n = t.dtype == "F32" ? t.bytes.size() / 4 : t.bytes.size();
    for (size_t i = 0; i < n; ++i) {
      if (i) expected << ",";
      if (t.dtype == "F32") {
        float v;
        std::memcpy(&v, t.bytes.data() + 4 * i, 4);
        expected << fmt::format("{:.9g}", v);
      } else {
        expected << static_cast<int>(t.bytes[i]);
      }
    }
    expected << "]}";
    first = false;
  }
  expected << "}";
  expected.close();

  const std::string script = R"PY(
import json, struct, sys
try:
    import numpy as np
except ImportError:
    sys.exit(77)
path, expected_path = sys.argv[1], sys.argv[2]
raw = open(path, "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
assert n % 8 == 0, "header not padded to 8"
header = json.loads(raw[8:8 + n].decode("utf-8"))
data = raw[8 + n:]
meta = header.pop("__metadata__", {})
assert meta == {"format": "pt"}, meta
expected = json.load(open(expected_path))
assert sorted(header) == sorted(expected), (sorted(header), sorted(expected))
end = 0
for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
    b, e = info["data_offsets"]
    assert b == end, ("not contiguous", name)
    end = e
    dt = {"F32": "<f4", "U8": "u1"}[info["dtype"]]
    arr = np.frombuffer(data[b:e], dtype=dt).reshape(info["shape"])
    want = expected[name]
    assert info["dtype"] == want["dtype"], name
    assert list(arr.shape) == want["shape"], (name, arr.shape)
    ref = np.array(want["values"], dtype=dt).reshape(want["shape"])
    assert np.array_equal(arr, ref), (name, arr, ref)
assert end == len(data), "trailing bytes"
print("python reader OK")
)PY";
  const std::string args =
      (dir / "t.safetensors").string() + " " + (dir / "expected.json").string();
  // The script's assertions are the test: run_oracle fails the test when one of them fails.
  static_cast<void>(test::run_oracle(script, args));
}

}  // namespace
}  // namespace nnlab
