#include "io/safetensors.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <nlohmann/json.hpp>
#include <tuple>

#include "io/atomic_file.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

// The header of a real file is a few KB; 100 MB is the limit the reference reader uses.
constexpr uint64_t kMaxHeader = 100'000'000;

size_t dtype_size(const std::string& dtype) {
  if (dtype == "F32") return 4;
  if (dtype == "U8") return 1;
  return 0;
}

SafeTensor make(const char* dtype, const Shape& shape, const void* data, size_t elem) {
  SafeTensor t;
  t.dtype = dtype;
  t.shape = shape;
  const size_t n = static_cast<size_t>(shape_size(shape)) * elem;
  t.bytes.resize(n);
  if (n > 0) std::memcpy(t.bytes.data(), data, n);
  return t;
}

}  // namespace

void SafeTensors::add_f32(const std::string& name, const Shape& shape, const float* data) {
  tensors[name] = make("F32", shape, data, 4);
}

void SafeTensors::add_u8(const std::string& name, const Shape& shape, const uint8_t* data) {
  tensors[name] = make("U8", shape, data, 1);
}

const SafeTensor& SafeTensors::at(const std::string& name) const {
  auto it = tensors.find(name);
  NNLAB_CHECK(it != tensors.end(), "safetensors: no tensor named '{}'", name);
  return it->second;
}

std::vector<float> SafeTensors::f32(const std::string& name, const Shape& expected) const {
  const SafeTensor& t = at(name);
  NNLAB_CHECK(t.dtype == "F32", "safetensors: tensor '{}' is {}, expected F32", name, t.dtype);
  NNLAB_CHECK(expected.empty() || t.shape == expected,
              "safetensors: tensor '{}' has shape {}, expected {}", name, shape_str(t.shape),
              shape_str(expected));
  std::vector<float> out(t.bytes.size() / 4);
  if (!out.empty()) std::memcpy(out.data(), t.bytes.data(), t.bytes.size());
  return out;
}

Tensor SafeTensors::tensor(const std::string& name) const {
  const std::vector<float> values = f32(name);
  Tensor t(at(name).shape);
  if (!values.empty()) std::memcpy(t.data(), values.data(), values.size() * sizeof(float));
  return t;
}

std::string encode_safetensors(const SafeTensors& st) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!st.metadata.empty()) header["__metadata__"] = st.metadata;
  size_t offset = 0;
  for (const auto& [name, t] : st.tensors) {
    NNLAB_CHECK(dtype_size(t.dtype) != 0, "safetensors: tensor '{}' has unknown dtype {}", name,
                t.dtype);
    NNLAB_CHECK(t.bytes.size() == static_cast<size_t>(shape_size(t.shape)) * dtype_size(t.dtype),
                "safetensors: tensor '{}' has {} bytes for shape {}", name, t.bytes.size(),
                shape_str(t.shape));
    header[name] = {{"dtype", t.dtype},
                    {"shape", t.shape},
                    {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  const uint64_t n = text.size();
  std::memcpy(out.data(), &n, 8);
  out += text;
  out.reserve(out.size() + offset);
  for (const auto& [name, t] : st.tensors)
    out.append(reinterpret_cast<const char*>(t.bytes.data()), t.bytes.size());
  return out;
}

SafeTensors decode_safetensors(std::string_view bytes, const std::string& file) {
  NNLAB_CHECK(bytes.size() >= 8, "{}: not a safetensors file ({} bytes, need at least 8)", file,
              bytes.size());
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  NNLAB_CHECK(n <= kMaxHeader && n <= bytes.size() - 8,
              "{}: safetensors header length {} is out of range (file has {} bytes)", file, n,
              bytes.size());
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.substr(8, n));
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: malformed safetensors header: {}", file, e.what()));
  }
  NNLAB_CHECK(header.is_object(), "{}: safetensors header is not a JSON object", file);
  const std::string_view data = bytes.substr(8 + n);

  SafeTensors st;
  // (begin, end, name) of every tensor, to check that they tile the data exactly.
  std::vector<std::tuple<uint64_t, uint64_t, std::string>> spans;
  try {
    for (const auto& [name, entry] : header.items()) {
      if (name == "__metadata__") {
        NNLAB_CHECK(entry.is_object(), "{}: __metadata__ is not an object", file);
        for (const auto& [k, v] : entry.items()) {
          NNLAB_CHECK(v.is_string(), "{}: metadata '{}' is not a string", file, k);
          st.metadata[k] = v.get<std::string>();
        }
        continue;
      }
      NNLAB_CHECK(entry.is_object(), "{}: tensor '{}' entry is not an object", file, name);
      SafeTensor t;
      t.dtype = entry.at("dtype").get<std::string>();
      const size_t elem = dtype_size(t.dtype);
      NNLAB_CHECK(elem != 0, "{}: tensor '{}' has unsupported dtype {} (nnlab reads F32, U8)", file,
                  name, t.dtype);
      t.shape = entry.at("shape").get<std::vector<int64_t>>();
      uint64_t count = 1;
      for (int64_t d : t.shape) {
        NNLAB_CHECK(d >= 0 && !__builtin_mul_overflow(count, static_cast<uint64_t>(d), &count),
                    "{}: tensor '{}' has bad shape {}", file, name, shape_str(t.shape));
      }
      NNLAB_CHECK(count <= data.size(), "{}: tensor '{}' shape {} exceeds the file", file, name,
                  shape_str(t.shape));
      const auto offsets = entry.at("data_offsets").get<std::vector<uint64_t>>();
      NNLAB_CHECK(offsets.size() == 2, "{}: tensor '{}' data_offsets must be [begin, end]", file,
                  name);
      const uint64_t begin = offsets[0], end = offsets[1];
      NNLAB_CHECK(begin <= end && end <= data.size(),
                  "{}: tensor '{}' data_offsets [{}, {}] lie outside the {} data bytes", file, name,
                  begin, end, data.size());
      NNLAB_CHECK(end - begin == count * elem,
                  "{}: tensor '{}' has {} bytes but shape {} of {} needs {}", file, name,
                  end - begin, shape_str(t.shape), t.dtype, count * elem);
      t.bytes.assign(data.begin() + static_cast<ptrdiff_t>(begin),
                     data.begin() + static_cast<ptrdiff_t>(end));
      spans.emplace_back(begin, end, name);
      st.tensors[name] = std::move(t);
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: malformed safetensors header: {}", file, e.what()));
  }
  std::sort(spans.begin(), spans.end());
  uint64_t expected = 0;
  for (const auto& [begin, end, name] : spans) {
    NNLAB_CHECK(begin == expected,
                "{}: tensor '{}' starts at data offset {}, expected {} (offsets must be "
                "contiguous)",
                file, name, begin, expected);
    expected = end;
  }
  NNLAB_CHECK(expected == data.size(), "{}: {} data bytes but the tensors cover {}", file,
              data.size(), expected);
  return st;
}

void save_safetensors(const std::string& path, const SafeTensors& st) {
  write_file_atomic(path, encode_safetensors(st));
}

SafeTensors load_safetensors(const std::string& path) {
  return decode_safetensors(read_file(path), path);
}

}  // namespace nnlab
