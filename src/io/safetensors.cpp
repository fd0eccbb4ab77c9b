#include "io/safetensors.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "io/atomic_file.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

using nlohmann::json;

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

// The header of a real file is a few KB; 100 MB is the limit the reference reader uses.
constexpr uint64_t kMaxHeader = 100'000'000;
// The deepest nesting of objects and lists that the reference reader (serde_json) accepts.
constexpr int kMaxDepth = 127;
// A Shape holds int64_t dimensions.
constexpr uint64_t kMaxDim = std::numeric_limits<int64_t>::max();

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

// A tensor's header entry, checked against the file before any of its bytes are copied.
struct Entry {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
};

// `v` as JSON text for an error message, cut to a readable length.
std::string brief(const json& v) {
  std::string text = v.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

// The offset of the first byte of `s` that is not well-formed UTF-8 (RFC 3629: no overlong
// forms, surrogates or code points past U+10FFFF), or npos.
size_t invalid_utf8_at(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto lead = static_cast<unsigned char>(s[i]);
    size_t len = 1;
    uint32_t code = lead, least = 0;
    if (lead >= 0xF0 && lead < 0xF8) {
      len = 4, code = lead & 0x07u, least = 0x10000;
    } else if (lead >= 0xE0 && lead < 0xF0) {
      len = 3, code = lead & 0x0Fu, least = 0x800;
    } else if (lead >= 0xC0 && lead < 0xE0) {
      len = 2, code = lead & 0x1Fu, least = 0x80;
    } else if (lead >= 0x80) {
      return i;
    }
    if (s.size() - i < len) return i;
    for (size_t k = 1; k < len; ++k) {
      const auto next = static_cast<unsigned char>(s[i + k]);
      if ((next & 0xC0u) != 0x80u) return i;
      code = (code << 6) | (next & 0x3Fu);
    }
    if (code < least || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return i;
    i += len;
  }
  return std::string_view::npos;
}

// Parses the header as the reference does: UTF-8 JSON, padded with JSON whitespace only (the
// format writes spaces; the reference also takes tabs, CR and LF, as nlohmann::json does). A
// key repeated within one object is refused: nlohmann::json would silently keep the last one.
json parse_header(std::string_view text, const std::string& file) {
  // nlohmann::json takes a NUL byte for the end of the input and ignores what follows it; the
  // reference refuses one anywhere (padding must be spaces).
  const size_t nul = text.find('\0');
  NNLAB_CHECK(nul == std::string_view::npos,
              "{}: safetensors header has a NUL byte at offset {} (pad with spaces)", file, nul);
  const size_t bad = invalid_utf8_at(text);
  NNLAB_CHECK(bad == std::string_view::npos,
              "{}: safetensors header is not valid UTF-8 (byte 0x{:02x} at offset {})", file,
              static_cast<unsigned char>(text[bad]), bad);
  std::vector<std::set<std::string>> keys;  // the keys seen in each enclosing object
  const auto on_event = [&](int depth, json::parse_event_t event, json& parsed) {
    using Event = json::parse_event_t;
    if (event == Event::object_start || event == Event::array_start)
      NNLAB_CHECK(depth < kMaxDepth, "{}: safetensors header is nested over {} levels deep", file,
                  kMaxDepth);  // depth: the objects and lists around this one
    if (event == Event::object_start) keys.emplace_back();
    if (event == Event::object_end) keys.pop_back();
    if (event == Event::key) {
      const auto& key = parsed.get_ref<const std::string&>();
      NNLAB_CHECK(keys.back().insert(key).second, "{}: safetensors header repeats the {} '{}'",
                  file, depth == 1 ? "tensor name" : "key", key);
    }
    return true;
  };
  try {
    return json::parse(text, on_event);
  } catch (const json::exception& e) {  // a parse error, or a number out of range (1e500)
    throw Error(fmt::format("{}: safetensors header is not valid JSON: {}", file, e.what()));
  }
}

std::map<std::string, std::string> read_metadata(const json& j, const std::string& file) {
  NNLAB_CHECK(j.is_object(), "{}: safetensors __metadata__ is {}, not an object of strings", file,
              brief(j));
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : j.items()) {
    NNLAB_CHECK(value.is_string(), "{}: safetensors __metadata__ '{}' is {}, not a string", file,
                key, brief(value));
    out[key] = value.get<std::string>();
  }
  return out;
}

// Sizes and offsets are read as the reference reads them (Rust usize): non-negative integers
// only. json::get<uint64_t> would truncate 10.7 to 10 and wrap -8.
bool is_index(const json& v) { return v.is_number_unsigned(); }

Entry read_entry(const std::string& name, const json& j, uint64_t data_size,
                 const std::string& file) {
  NNLAB_CHECK(j.is_object(), "{}: safetensors tensor '{}' is {}, not an object", file, name,
              brief(j));
  const auto field = [&](const char* key) -> const json& {
    const auto it = j.find(key);
    NNLAB_CHECK(it != j.end(), "{}: safetensors tensor '{}' has no '{}'", file, name, key);
    return *it;
  };
  Entry e;
  e.name = name;
  const json& dtype = field("dtype");
  const size_t elem = dtype.is_string() ? dtype_size(dtype.get<std::string>()) : 0;
  NNLAB_CHECK(elem != 0,
              "{}: safetensors tensor '{}' has unsupported dtype {} (nnlab reads F32, U8)", file,
              name, brief(dtype));
  e.dtype = dtype.get<std::string>();

  const json& shape = field("shape");
  NNLAB_CHECK(shape.is_array(), "{}: safetensors tensor '{}' shape {} is not a list", file, name,
              brief(shape));
  uint64_t count = 1;
  for (const json& d : shape) {
    NNLAB_CHECK(is_index(d) && d.get<uint64_t>() <= kMaxDim,
                "{}: safetensors tensor '{}' has dimension {}: dimensions must be integers from 0 "
                "to 2^63-1",
                file, name, brief(d));
    NNLAB_CHECK(!__builtin_mul_overflow(count, d.get<uint64_t>(), &count),
                "{}: safetensors tensor '{}' shape {}: its element count overflows 64 bits", file,
                name, brief(shape));
    e.shape.push_back(static_cast<int64_t>(d.get<uint64_t>()));
  }

  const json& offsets = field("data_offsets");
  NNLAB_CHECK(
      offsets.is_array() && offsets.size() == 2 && is_index(offsets[0]) && is_index(offsets[1]),
      "{}: safetensors tensor '{}' data_offsets {} must be [begin, end], non-negative "
      "integers",
      file, name, brief(offsets));
  e.begin = offsets[0].get<uint64_t>();
  e.end = offsets[1].get<uint64_t>();
  NNLAB_CHECK(e.begin <= e.end,
              "{}: safetensors tensor '{}' data_offsets [{}, {}] end before they begin", file, name,
              e.begin, e.end);
  // The data section bounds every size: no tensor can need more bytes than it holds.
  uint64_t bytes = 0;
  NNLAB_CHECK(!__builtin_mul_overflow(count, elem, &bytes) && bytes <= data_size,
              "{}: safetensors tensor '{}' shape {} of {} needs more than the file's {} data bytes",
              file, name, shape_str(e.shape), e.dtype, data_size);
  NNLAB_CHECK(e.end - e.begin == bytes,
              "{}: safetensors tensor '{}' has {} bytes but shape {} of {} needs {}", file, name,
              e.end - e.begin, shape_str(e.shape), e.dtype, bytes);
  return e;
}

// The tensors, ordered by offsets, must tile the data section exactly: no overlap, no gap, no
// trailing byte (so a file has one reading, and no room to hide another file's bytes).
void check_tiling(std::vector<Entry>& entries, uint64_t data_size, const std::string& file) {
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
  });
  uint64_t next = 0;
  std::string_view previous;
  for (const Entry& e : entries) {
    NNLAB_CHECK(
        e.begin >= next,
        "{}: safetensors tensor '{}' at data offsets [{}, {}] overlaps tensor '{}' (offsets "
        "must be contiguous)",
        file, e.name, e.begin, e.end, previous);
    NNLAB_CHECK(e.begin == next,
                "{}: safetensors tensor '{}' starts at data offset {}, leaving a gap after {} "
                "(offsets must be contiguous)",
                file, e.name, e.begin, next);
    next = e.end;
    previous = e.name;
  }
  NNLAB_CHECK(next <= data_size, "{}: safetensors tensors need {} data bytes but the file has {}",
              file, next, data_size);
  NNLAB_CHECK(next == data_size, "{}: {} trailing bytes after the last safetensors tensor", file,
              data_size - next);
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
  NNLAB_CHECK(n <= kMaxHeader, "{}: safetensors header length {} is over the limit of {} bytes",
              file, n, kMaxHeader);
  NNLAB_CHECK(n <= bytes.size() - 8,
              "{}: safetensors header length {} runs past the end of the file ({} bytes)", file, n,
              bytes.size());
  const json header = parse_header(bytes.substr(8, n), file);
  NNLAB_CHECK(header.is_object(), "{}: safetensors header is a JSON {}, not an object", file,
              header.type_name());
  const std::string_view data = bytes.substr(8 + n);

  SafeTensors st;
  std::vector<Entry> entries;
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__")
      st.metadata = read_metadata(value, file);
    else
      entries.push_back(read_entry(name, value, data.size(), file));
  }
  check_tiling(entries, data.size(), file);
  // Only now, every span known to lie in the data and not to overlap, are bytes copied: at most
  // the file's size in all, whatever the header claims.
  for (Entry& e : entries) {
    SafeTensor& t = st.tensors[e.name];
    t.dtype = std::move(e.dtype);
    t.shape = std::move(e.shape);
    t.bytes.assign(data.begin() + static_cast<ptrdiff_t>(e.begin),
                   data.begin() + static_cast<ptrdiff_t>(e.end));
  }
  return st;
}

void save_safetensors(const std::string& path, const SafeTensors& st) {
  write_file_atomic(path, encode_safetensors(st));
}

SafeTensors load_safetensors(const std::string& path) {
  return decode_safetensors(read_file(path), path);
}

}  // namespace nnlab
