#include "data/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
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

// The most elements read_idx accepts: 2^31 bytes (2 GiB), 45 times MNIST's 47 million training
// pixels. A header claiming more is refused before anything is allocated.
constexpr int64_t kMaxIdxElements = int64_t{1} << 31;
// The largest IDX file read_idx accepts: magic number, four dimensions, the most elements.
constexpr int64_t kMaxIdxFileBytes = 4 + 4 * 4 + kMaxIdxElements;
// deflate's largest expansion: 1032 output bytes per input byte (zlib's documentation), so a
// gzip file of n bytes holds at most 1032 n.
constexpr int64_t kMaxDeflateRatio = 1032;
// What the data buffer starts at; it then doubles as data arrives, never past the claimed size,
// so a header claiming more than the file holds costs only what the file gives.
constexpr size_t kFirstDataChunk = size_t{1} << 20;

// A file's bytes: as they are, or inflated when the file starts with gzip's magic number. A gzip
// file holds one or more gzip members and nothing after them (gzread would skip trailing bytes).
class ByteSource {
 public:
  explicit ByteSource(const std::string& path) : path_(path), buffer_(1 << 17) {
    std::error_code ec;
    NNLAB_CHECK(std::filesystem::is_regular_file(path, ec), "{}: no such file", path);
    file_size_ = static_cast<int64_t>(std::filesystem::file_size(path, ec));
    NNLAB_CHECK(!ec, "{}: cannot read its size: {}", path, ec.message());
    file_ = std::fopen(path.c_str(), "rb");
    NNLAB_CHECK(file_ != nullptr, "{}: cannot open: {}", path, std::strerror(errno));
    gzip_ = at_gzip_member();
    // windowBits 15 + 16: one gzip member (no raw zlib streams), the largest window.
    if (gzip_ && inflateInit2(&z_, 15 + 16) != Z_OK) {
      std::fclose(file_);
      throw Error(fmt::format("{}: cannot start gzip decompression", path));
    }
  }
  ~ByteSource() {
    if (gzip_) inflateEnd(&z_);
    std::fclose(file_);
  }
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;

  bool gzip() const { return gzip_; }
  int64_t file_size() const { return file_size_; }

  /// Reads up to n bytes; returns how many were read (fewer only at the end of the data).
  size_t read(void* out, size_t n) {
    return gzip_ ? inflate_into(static_cast<unsigned char*>(out), n)
                 : copy_into(static_cast<unsigned char*>(out), n);
  }

 private:
  /// Makes at least n unread bytes available in buffer_ (n <= its size) unless the file ends
  /// first; returns whether it did.
  bool have_input(size_t n) {
    if (z_.avail_in >= n) return true;
    if (z_.avail_in > 0) std::memmove(buffer_.data(), z_.next_in, z_.avail_in);
    z_.next_in = buffer_.data();
    const size_t got =
        std::fread(buffer_.data() + z_.avail_in, 1, buffer_.size() - z_.avail_in, file_);
    NNLAB_CHECK(!std::ferror(file_), "{}: read error: {}", path_, std::strerror(errno));
    file_pos_ += static_cast<int64_t>(got);
    z_.avail_in += static_cast<uInt>(got);
    return z_.avail_in >= n;
  }

  bool at_gzip_member() { return have_input(2) && z_.next_in[0] == 0x1f && z_.next_in[1] == 0x8b; }

  size_t copy_into(unsigned char* out, size_t n) {
    size_t done = 0;
    while (done < n && have_input(1)) {
      const size_t k = std::min<size_t>(n - done, z_.avail_in);
      std::memcpy(out + done, z_.next_in, k);
      z_.next_in += k;
      z_.avail_in -= static_cast<uInt>(k);
      done += k;
    }
    return done;
  }

  size_t inflate_into(unsigned char* out, size_t n) {
    size_t done = 0;
    while (done < n && !ended_) {
      NNLAB_CHECK(have_input(1), "{}: truncated gzip data: the file ends inside a gzip member",
                  path_);
      // avail_out is 32-bit: drain in chunks for reads over 4 GiB.
      const auto chunk = static_cast<uInt>(std::min<size_t>(n - done, 1u << 30));
      z_.next_out = out + done;
      z_.avail_out = chunk;
      const int rc = inflate(&z_, Z_NO_FLUSH);
      done += chunk - z_.avail_out;
      if (rc == Z_STREAM_END)
        end_member();
      else
        NNLAB_CHECK(rc == Z_OK || rc == Z_BUF_ERROR, "{}: corrupt gzip data: {}", path_,
                    z_.msg ? z_.msg : zError(rc));
    }
    return done;
  }

  /// At the end of a gzip member: the file ends, or another member starts.
  void end_member() {
    if (!have_input(1)) {
      ended_ = true;
      return;
    }
    const int64_t offset = file_pos_ - static_cast<int64_t>(z_.avail_in);
    NNLAB_CHECK(at_gzip_member(),
                "{}: trailing garbage: {} bytes after the gzip data ends at byte {} are not "
                "another gzip member",
                path_, file_size_ - offset, offset);
    inflateReset(&z_);
  }

  std::string path_;
  std::FILE* file_ = nullptr;
  int64_t file_size_ = 0;
  int64_t file_pos_ = 0;  // bytes read from the file so far
  std::vector<unsigned char> buffer_;
  z_stream z_{};  // next_in/avail_in: the unread part of buffer_, for raw files too
  bool gzip_ = false;
  bool ended_ = false;  // the last gzip member ended and nothing follows
};

/// prod(dims), refused above kMaxIdxElements. Each factor is checked before it is multiplied
/// in, so the product never exceeds 2^31 and never wraps.
int64_t element_count(const std::string& path, const std::vector<int64_t>& dims) {
  int64_t total = 1;
  for (const int64_t d : dims) {
    NNLAB_CHECK(total <= kMaxIdxElements / d,
                "{}: IDX dimensions {} hold more than {} elements, the most nnlab reads", path,
                shape_str(dims), kMaxIdxElements);
    total *= d;
  }
  return total;
}

/// Refuses dimensions whose data the file cannot hold, before the data is allocated: a raw file
/// must hold them, a gzip file can expand at most kMaxDeflateRatio times.
void check_file_can_hold(const ByteSource& f, const std::string& path,
                         const std::vector<int64_t>& dims, int64_t total) {
  const int64_t header = 4 + 4 * static_cast<int64_t>(dims.size());
  if (!f.gzip()) {
    const int64_t found = std::max<int64_t>(f.file_size() - header, 0);
    NNLAB_CHECK(found >= total, "{}: truncated: expected {} data bytes, found {} (dimensions {})",
                path, total, found, shape_str(dims));
    return;
  }
  const int64_t most = f.file_size() * kMaxDeflateRatio - header;
  NNLAB_CHECK(total <= most,
              "{}: IDX dimensions {} need {} data bytes, but a {}-byte gzip file holds at most {} "
              "(deflate expands at most {}:1)",
              path, shape_str(dims), total, f.file_size(), std::max<int64_t>(most, 0),
              kMaxDeflateRatio);
}

/// Reads up to `total` bytes, growing the buffer as they arrive (see kFirstDataChunk); fewer
/// come back only when the data ends first.
std::vector<uint8_t> read_data(ByteSource& f, size_t total) {
  std::vector<uint8_t> data;
  size_t got = 0;
  while (got < total) {
    const size_t size = std::min(total, std::max(kFirstDataChunk, 2 * data.size()));
    data.reserve(size);  // exactly `size`: resize alone may round the capacity up
    data.resize(size);
    got += f.read(data.data() + got, size - got);
    if (got < size) break;
  }
  data.resize(got);
  return data;
}

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

/// Every label below `num_classes`: a stray value would otherwise become a class of its own and
/// surface later as a label the model has no output for, naming neither file nor sample.
void check_labels(const std::string& path, const std::vector<uint8_t>& labels,
                  const std::string& name, int num_classes) {
  for (size_t i = 0; i < labels.size(); ++i)
    NNLAB_CHECK(labels[i] < num_classes,
                "{}: label {} of sample {} is outside [0, {}) ({} has {} classes)", path, labels[i],
                i, num_classes, name, num_classes);
}

}  // namespace

void write_idx(const std::string& path, const IdxArray& a) {
  NNLAB_CHECK(a.type == 0x08, "{}: cannot write IDX data type 0x{:02X} ({}); only 0x08", path,
              a.type, type_name(a.type));
  NNLAB_CHECK(!a.dims.empty() && a.dims.size() <= 4, "{}: IDX rank {} is not supported (1 to 4)",
              path, a.dims.size());
  std::string bytes = {0, 0, static_cast<char>(a.type), static_cast<char>(a.dims.size())};
  for (const int64_t d : a.dims) {
    NNLAB_CHECK(d > 0 && d < (int64_t{1} << 32),
                "{}: IDX dimension {} is out of range (1 to 2^32 - 1)", path, d);
    for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>((d >> shift) & 0xff);
  }
  const auto total = static_cast<size_t>(element_count(path, a.dims));
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

void read_idx_content(const std::string& path,
                      const std::function<void(std::span<const uint8_t>)>& sink) {
  ByteSource f(path);
  NNLAB_CHECK(f.gzip() || f.file_size() <= kMaxIdxFileBytes,
              "{}: {} bytes, more than the largest IDX file nnlab reads ({} bytes)", path,
              f.file_size(), kMaxIdxFileBytes);
  std::vector<uint8_t> chunk(size_t{1} << 16);
  int64_t total = 0;
  while (const size_t got = f.read(chunk.data(), chunk.size())) {
    total += static_cast<int64_t>(got);
    NNLAB_CHECK(total <= kMaxIdxFileBytes,
                "{}: inflates to more than {} bytes, the largest IDX file nnlab reads", path,
                kMaxIdxFileBytes);
    sink({chunk.data(), got});
  }
}

IdxArray read_idx(const std::string& path) {
  ByteSource f(path);
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
  for (int i = 0; i < rank; ++i) {
    const unsigned char* b = dim_bytes + 4 * i;
    const int64_t d = (int64_t{b[0]} << 24) | (int64_t{b[1]} << 16) | (int64_t{b[2]} << 8) | b[3];
    NNLAB_CHECK(d > 0, "{}: dimension {} is {}; every dimension must be positive", path, i, d);
    a.dims.push_back(d);
  }
  const int64_t total = element_count(path, a.dims);
  check_file_can_hold(f, path, a.dims, total);

  a.data = read_data(f, static_cast<size_t>(total));
  NNLAB_CHECK(a.data.size() == static_cast<size_t>(total),
              "{}: truncated: expected {} data bytes, found {} (dimensions {})", path, total,
              a.data.size(), shape_str(a.dims));
  // Anything after the data means the header and the content disagree.
  size_t extra = 0;
  unsigned char scratch[4096];
  while (const size_t more = f.read(scratch, sizeof scratch)) extra += more;
  NNLAB_CHECK(extra == 0, "{}: trailing bytes: expected {} data bytes, found {}", path, total,
              static_cast<size_t>(total) + extra);
  return a;
}

Dataset read_idx_dataset(const std::string& images_path, const std::string& labels_path,
                         const std::string& name, int num_classes) {
  IdxArray images = read_idx(images_path);
  NNLAB_CHECK(images.dims.size() == 3, "{}: expected images of rank 3 (N x H x W), found rank {}",
              images_path, images.dims.size());
  IdxArray labels = read_idx(labels_path);
  NNLAB_CHECK(labels.dims.size() == 1, "{}: expected labels of rank 1 (N), found rank {}",
              labels_path, labels.dims.size());
  NNLAB_CHECK(images.dims[0] == labels.dims[0],
              "{} has {} images but {} has {} labels; the counts must agree",
              file_name(images_path), images.dims[0], file_name(labels_path), labels.dims[0]);

  if (num_classes > 0) check_labels(labels_path, labels.data, name, num_classes);

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
