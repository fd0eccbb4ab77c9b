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

// Writes `bytes` to a new, uniquely named PATH.tmp.XXXXXX (mkstemp picks a name no other writer
// holds, thread or process), fsynced and closed; returns its name.
std::string write_temporary(const std::string& path, std::string_view bytes) {
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
  return tmp;
}

// A new name lives in the directory: sync it too, or a crash can bring back the old state.
void sync_directory_of(const std::string& path) {
  const std::string dir = parent_of(path);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) fail(path, "", "open its directory", -1);
  if (::fsync(dfd) != 0) fail(path, "", "fsync its directory", dfd);
  ::close(dfd);
}

}  // namespace

void write_file_atomic(const std::string& path, std::string_view bytes) {
  // Two writers of one path each rename a whole file of their own; the last rename wins.
  const std::string tmp = write_temporary(path, bytes);
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail(path, tmp, "rename", -1);
  sync_directory_of(path);
}

bool create_file_atomic(const std::string& path, std::string_view bytes) {
  const std::string tmp = write_temporary(path, bytes);
  // link(2), unlike rename(2), never replaces: of writers racing for one path exactly one wins.
  if (::link(tmp.c_str(), path.c_str()) != 0) {
    if (errno != EEXIST) fail(path, tmp, "link", -1);
    ::unlink(tmp.c_str());
    return false;
  }
  ::unlink(tmp.c_str());
  sync_directory_of(path);
  return true;
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
