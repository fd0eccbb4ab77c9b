#include "io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "tensor/error.hpp"

namespace nnlab {
namespace {

// Throws for `what` on `path` after removing the temporary file; errno is read first, before
// cleanup can change it.
[[noreturn]] void fail(const std::string& path, const std::string& tmp, const char* what, int fd) {
  const int err = errno;
  if (fd >= 0) ::close(fd);
  if (!tmp.empty()) ::unlink(tmp.c_str());
  throw Error(fmt::format("cannot write {}: {} ({})", path, what, std::strerror(err)));
}

// The directory holding `path` ("." for a bare name), whose entry the rename changes.
std::string parent_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

void write_file_atomic(const std::string& path, std::string_view bytes) {
  // mkstemp picks a name no other writer holds (another thread, another process), so two
  // writers of one path each rename a whole file of their own and the last rename wins.
  std::string tmp = path + ".tmp.XXXXXX";
  std::vector<char> name(tmp.begin(), tmp.end());
  name.push_back('\0');
  const int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) fail(path, "", "create", -1);  // nothing to remove: it was never created
  tmp = name.data();
  // mkstemp creates the file 0600; results are meant to be read by others, as before.
  if (::fchmod(fd, 0644) != 0) fail(path, tmp, "chmod", fd);
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(path, tmp, "write", fd);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) fail(path, tmp, "fsync", fd);
  if (::close(fd) != 0) fail(path, tmp, "close", -1);
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail(path, tmp, "rename", -1);
  // The rename lives in the directory: sync it too, or a crash can bring back the old file.
  const std::string dir = parent_of(path);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) fail(path, "", "open its directory", -1);
  if (::fsync(dfd) != 0) fail(path, "", "fsync its directory", dfd);
  ::close(dfd);
}

std::string read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      throw Error(fmt::format("cannot read {}: {}", path, std::strerror(err)));
    }
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace nnlab
