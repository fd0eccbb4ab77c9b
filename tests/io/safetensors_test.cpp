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

// A file's bytes with its header replaced by `header` (padded as the format asks).
std::string with_header(std::string header, std::string_view data) {
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  const uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  return out + header + std::string(data);
}

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

TEST(Safetensors, CorruptFilesNameTheFile) {
  const std::string good = encode_safetensors(sample());
  const std::string name = "model.safetensors";
  auto expect_error = [&](const std::string& bytes, const char* fragment) {
    const std::string msg = error_of([&] { decode_safetensors(bytes, name); });
    EXPECT_NE(msg.find(name), std::string::npos) << msg;
    EXPECT_NE(msg.find(fragment), std::string::npos) << msg;
  };
  // Too short for the length field; a length beyond the file.
  expect_error("abc", "not a safetensors file");
  std::string huge = good;
  const uint64_t big = good.size();
  std::memcpy(huge.data(), &big, 8);
  expect_error(huge, "out of range");
  // Garbage in the JSON header.
  std::string garbled = good;
  garbled[9] = '#';
  expect_error(garbled, "malformed");
  // Truncated data.
  expect_error(good.substr(0, good.size() - 5), "lie outside");
  // Offsets that overlap / leave a hole / disagree with the shape / trail unused bytes.
  const std::string data(16, '\1');
  expect_error(with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                           R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                           data),
               "contiguous");
  expect_error(with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", data),
               "contiguous");
  expect_error(with_header(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}})", data),
               "needs 12");
  expect_error(with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", data),
               "cover");
  expect_error(with_header(R"({"a":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}})", data),
               "unsupported dtype");
  expect_error(with_header(R"({"a":{"dtype":"F32","shape":[2]}})", data), "malformed");
  // load_safetensors names the path.
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
