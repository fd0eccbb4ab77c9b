#include "data/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>

#include "io/atomic_file.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

const char* type_name(uint8_t type) {
  switch (type) {
    case 0x08:
      return "unsigned byte";
    case 0x09:
      return "signed byte";
    case 0x0B:
      return "short";
    case 0x0C:
      return "int";
    case 0x0D:
      return "float";
    case 0x0E:
      return "double";
    default:
      return "unknown";
  }
}

// gzopen reads gzipped and raw files alike (zlib's transparent mode), so one reader serves both.
class GzFile {
 public:
  explicit GzFile(const std::string& path) : path_(path) {
    NNLAB_CHECK(std::filesystem::exists(path), "{}: no such file", path);
    file_ = gzopen(path.c_str(), "rb");
    NNLAB_CHECK(file_ != nullptr, "{}: cannot open: {}", path, std::strerror(errno));
    gzbuffer(file_, 1 << 17);
  }
  ~GzFile() {
    if (file_) gzclose(file_);
  }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  /// Reads up to n bytes; returns how many were read (fewer only at the end of the file).
  size_t read(void* out, size_t n) {
    size_t done = 0;
    auto* p = static_cast<unsigned char*>(out);
    while (done < n) {
      const auto chunk = static_cast<unsigned>(std::min<size_t>(n - done, 1u << 30));
      const int got = gzread(file_, p + done, chunk);
      if (got < 0) {
        int code = 0;
        const char* msg = gzerror(file_, &code);
        throw Error(fmt::format("{}: read error: {}", path_, msg ? msg : "unknown"));
      }
      if (got == 0) break;
      done += static_cast<size_t>(got);
    }
    return done;
  }

 private:
  std::string path_;
  gzFile file_ = nullptr;
};

std::string file_name(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// `raw` as a gzip stream. deflate's own gzip header carries no name and a zero time stamp, so
/// equal input gives equal files (gzopen would stamp neither, but cannot write atomically).
std::string gzip(const std::string& path, const std::string& raw) {
  z_stream z{};
  NNLAB_CHECK(
      deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK,
      "{}: cannot start gzip compression", path);
  std::string out(deflateBound(&z, raw.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  // avail_in/avail_out are 32-bit: feed and drain in chunks for arrays over 4 GiB.
  size_t in_left = raw.size(), out_left = out.size();
  int rc = Z_OK;
  while (rc == Z_OK) {
    const auto in_chunk = static_cast<uInt>(std::min<size_t>(in_left, 1u << 30));
    const auto out_chunk = static_cast<uInt>(std::min<size_t>(out_left, 1u << 30));
    z.avail_in = in_chunk;
    z.avail_out = out_chunk;
    rc = deflate(&z, in_left == in_chunk ? Z_FINISH : Z_NO_FLUSH);
    in_left -= in_chunk - z.avail_in;
    out_left -= out_chunk - z.avail_out;
  }
  deflateEnd(&z);
  NNLAB_CHECK(rc == Z_STREAM_END, "{}: gzip compression failed (zlib code {})", path, rc);
  out.resize(out.size() - out_left);
  return out;
}

}  // namespace

void write_idx(const std::string& path, const IdxArray& a) {
  NNLAB_CHECK(a.type == 0x08, "{}: cannot write IDX data type 0x{:02X} ({}); only 0x08", path,
              a.type, type_name(a.type));
  NNLAB_CHECK(!a.dims.empty() && a.dims.size() <= 4, "{}: IDX rank {} is not supported (1 to 4)",
              path, a.dims.size());
  size_t total = 1;
  std::string bytes = {0, 0, static_cast<char>(a.type), static_cast<char>(a.dims.size())};
  for (const int64_t d : a.dims) {
    NNLAB_CHECK(d > 0 && d < (int64_t{1} << 32),
                "{}: IDX dimension {} is out of range (1 to 2^32 - 1)", path, d);
    total *= static_cast<size_t>(d);
    for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>((d >> shift) & 0xff);
  }
  NNLAB_CHECK(a.data.size() == total, "{}: the dimensions hold {} elements but the data has {}",
              path, total, a.data.size());
  bytes.append(a.data.begin(), a.data.end());
  write_file_atomic(path, ends_with(path, ".gz") ? gzip(path, bytes) : bytes);
}

void write_idx_dataset(const Dataset& d, const std::string& images_path,
                       const std::string& labels_path) {
  NNLAB_CHECK(d.is_images() && d.sample_shape.size() == 3 && d.sample_shape[0] == 1,
              "{}: {} is not a dataset of grey images [1, H, W] (shape {})", images_path, d.name,
              shape_str(d.sample_shape));
  std::array<uint8_t, 256> value{};  // class index -> the byte stored
  NNLAB_CHECK(d.class_names.size() <= value.size(), "{}: {} has {} classes; IDX labels hold 256",
              labels_path, d.name, d.class_names.size());
  for (size_t k = 0; k < d.class_names.size(); ++k) {
    const std::string& n = d.class_names[k];
    const bool digits = !n.empty() && n.size() <= 3 && std::all_of(n.begin(), n.end(), [](char c) {
      return c >= '0' && c <= '9';
    });
    NNLAB_CHECK(digits && std::stoi(n) <= 255,
                "{}: class name '{}' of {} is not a label value 0..255", labels_path, n, d.name);
    value[k] = static_cast<uint8_t>(std::stoi(n));
  }
  IdxArray labels{.type = 0x08, .dims = {d.size()}, .data = {}};
  labels.data.reserve(d.labels.size());
  for (const int32_t l : d.labels) labels.data.push_back(value[static_cast<size_t>(l)]);
  write_idx(
      images_path,
      {.type = 0x08, .dims = {d.size(), d.sample_shape[1], d.sample_shape[2]}, .data = d.pixels});
  write_idx(labels_path, labels);
}

IdxArray read_idx(const std::string& path) {
  GzFile f(path);
  unsigned char magic[4];
  const size_t got_magic = f.read(magic, 4);
  NNLAB_CHECK(got_magic == 4, "{}: truncated: the IDX header needs 4 bytes, found {}", path,
              got_magic);
  NNLAB_CHECK(magic[0] == 0 && magic[1] == 0,
              "{}: not an IDX file: bad magic number {:02x} {:02x} {:02x} {:02x} (the first two "
              "bytes must be zero)",
              path, magic[0], magic[1], magic[2], magic[3]);
  IdxArray a;
  a.type = magic[2];
  NNLAB_CHECK(a.type == 0x08,
              "{}: unsupported IDX data type 0x{:02X} ({}); only 0x08 (unsigned byte) is supported",
              path, a.type, type_name(a.type));
  const int rank = magic[3];
  NNLAB_CHECK(rank >= 1 && rank <= 4, "{}: IDX rank {} is not supported (1 to 4)", path, rank);

  unsigned char dim_bytes[16];
  const size_t want = 4 * static_cast<size_t>(rank);
  const size_t got_dims = f.read(dim_bytes, want);
  NNLAB_CHECK(got_dims == want, "{}: truncated: the header needs {} dimension bytes, found {}",
              path, want, got_dims);
  int64_t total = 1;
  for (int i = 0; i < rank; ++i) {
    const unsigned char* b = dim_bytes + 4 * i;
    const int64_t d = (int64_t{b[0]} << 24) | (int64_t{b[1]} << 16) | (int64_t{b[2]} << 8) | b[3];
    NNLAB_CHECK(d > 0, "{}: dimension {} is {}; every dimension must be positive", path, i, d);
    a.dims.push_back(d);
    total *= d;
    NNLAB_CHECK(total <= (int64_t{1} << 36), "{}: dimensions too large ({} elements)", path, total);
  }

  a.data.resize(static_cast<size_t>(total));
  const size_t got = f.read(a.data.data(), a.data.size());
  NNLAB_CHECK(got == a.data.size(), "{}: truncated: expected {} data bytes, found {}", path, total,
              got);
  // Anything after the data means the header and the content disagree.
  size_t extra = 0;
  unsigned char scratch[4096];
  while (const size_t more = f.read(scratch, sizeof scratch)) extra += more;
  NNLAB_CHECK(extra == 0, "{}: trailing bytes: expected {} data bytes, found {}", path, total,
              static_cast<size_t>(total) + extra);
  return a;
}

Dataset read_idx_dataset(const std::string& images_path, const std::string& labels_path,
                         const std::string& name) {
  IdxArray images = read_idx(images_path);
  NNLAB_CHECK(images.dims.size() == 3, "{}: expected images of rank 3 (N x H x W), found rank {}",
              images_path, images.dims.size());
  IdxArray labels = read_idx(labels_path);
  NNLAB_CHECK(labels.dims.size() == 1, "{}: expected labels of rank 1 (N), found rank {}",
              labels_path, labels.dims.size());
  NNLAB_CHECK(images.dims[0] == labels.dims[0],
              "{} has {} images but {} has {} labels; the counts must agree",
              file_name(images_path), images.dims[0], file_name(labels_path), labels.dims[0]);

  Dataset d;
  d.name = name;
  d.sample_shape = {1, images.dims[1], images.dims[2]};
  d.pixels = std::move(images.data);
  // Class names are the distinct label values in order; labels become their positions.
  std::map<int, int32_t> index;
  for (const uint8_t l : labels.data) index.emplace(l, 0);
  int32_t next = 0;
  for (auto& [value, i] : index) {
    i = next++;
    d.class_names.push_back(std::to_string(value));
  }
  std::array<int32_t, 256> lut{};
  for (const auto& [value, i] : index) lut[static_cast<size_t>(value)] = i;
  d.labels.reserve(labels.data.size());
  for (const uint8_t l : labels.data) d.labels.push_back(lut[l]);
  return d;
}

}  // namespace nnlab
