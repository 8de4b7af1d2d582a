#include "base/file.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace lrb {

bool PathExists(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0;
}

bool IsDirectory(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

bool IsRegularFile(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}
namespace {

// Directory part of `path` ("." for a bare file name), for the temporary file and the directory fsync.
std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

absl::Status Errno(int error_number, absl::string_view what, const std::string& path) {
  return absl::ErrnoToStatus(error_number, absl::StrCat(what, " ", path));
}

// Closes the descriptor and removes the temporary file unless Release() was called, so that every
// early return leaves no stray temporary behind.
class TempFileGuard {
 public:
  TempFileGuard(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;
  ~TempFileGuard() {
    if (fd_ >= 0) close(fd_);
    if (!released_) unlink(path_.c_str());
  }

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

  // Closes the descriptor, reporting the error close() may carry (deferred write-back failures).
  absl::Status Close() {
    const int fd = fd_;
    fd_ = -1;
    if (close(fd) != 0) return Errno(errno, "cannot close temporary file", path_);
    return absl::OkStatus();
  }
  void Release() { released_ = true; }

 private:
  int fd_;
  std::string path_;
  bool released_ = false;
};

absl::Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno(errno, "cannot write temporary file", path);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

// Moves `from` onto `to` only if `to` does not exist, atomically where the file system allows.
// Returns AlreadyExists naming `to` when it does.
absl::Status RenameNoReplace(const std::string& from, const std::string& to) {
  if (renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
    return absl::OkStatus();
  }
  if (errno == EEXIST) return absl::AlreadyExistsError(absl::StrCat("file already exists: ", to));
  // File systems without RENAME_NOREPLACE (EINVAL) or a kernel without renameat2 (ENOSYS):
  // link() also fails atomically on an existing target.
  if (errno != EINVAL && errno != ENOSYS) return Errno(errno, "cannot rename temporary file onto", to);
  if (link(from.c_str(), to.c_str()) == 0) {
    unlink(from.c_str());
    return absl::OkStatus();
  }
  if (errno == EEXIST) return absl::AlreadyExistsError(absl::StrCat("file already exists: ", to));
  if (errno != EPERM && errno != ENOTSUP && errno != EOPNOTSUPP) {
    return Errno(errno, "cannot link temporary file to", to);
  }
  // No hard links either (e.g. FAT): check, then rename. Only this last fallback can race.
  struct stat st;
  if (lstat(to.c_str(), &st) == 0) return absl::AlreadyExistsError(absl::StrCat("file already exists: ", to));
  if (rename(from.c_str(), to.c_str()) != 0) return Errno(errno, "cannot rename temporary file onto", to);
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path, std::string_view bytes, bool overwrite) {
  return WriteFileAtomically(path, absl::Span<const std::string_view>(&bytes, 1), overwrite);
}

absl::Status WriteFileAtomically(const std::string& path, absl::Span<const std::string_view> pieces, bool overwrite) {
  if (path.empty()) return absl::InvalidArgumentError("WriteFileAtomically: empty path");
  struct stat st;
  // Fail before writing what may be gigabytes; the rename below re-checks atomically.
  if (!overwrite && lstat(path.c_str(), &st) == 0) {
    return absl::AlreadyExistsError(absl::StrCat("file already exists: ", path));
  }

  // Same directory as the target, so the rename never crosses file systems.
  std::string tmp_path = absl::StrCat(path, ".tmp.XXXXXX");
  std::vector<char> tmpl(tmp_path.begin(), tmp_path.end());
  tmpl.push_back('\0');
  const int fd = mkstemp(tmpl.data());
  if (fd < 0) return Errno(errno, "cannot create a temporary file next to", path);
  TempFileGuard tmp(fd, std::string(tmpl.data()));

  // mkstemp creates mode 0600; results are meant to be shared like any other output file.
  if (fchmod(tmp.fd(), 0644) != 0) return Errno(errno, "cannot chmod temporary file", tmp.path());
  for (std::string_view bytes : pieces) {
    if (absl::Status s = WriteAll(tmp.fd(), bytes, tmp.path()); !s.ok()) return s;
  }
  // Data must be on disk before the rename publishes it, or a crash could expose an empty file.
  if (fsync(tmp.fd()) != 0) return Errno(errno, "cannot fsync temporary file", tmp.path());
  if (absl::Status s = tmp.Close(); !s.ok()) return s;

  if (overwrite) {
    if (rename(tmp.path().c_str(), path.c_str()) != 0) {
      return Errno(errno, "cannot rename temporary file onto", path);
    }
  } else {
    if (absl::Status s = RenameNoReplace(tmp.path(), path); !s.ok()) return s;
  }
  tmp.Release();

  // Persist the directory entry too. Best effort: some file systems refuse fsync on directories,
  // and the file itself is already complete under its final name.
  const int dir_fd = open(DirName(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    fsync(dir_fd);
    close(dir_fd);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno(errno, "cannot open", path);
  std::string contents;
  struct stat st;
  size_t expected = 0;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) expected = static_cast<size_t>(st.st_size);
  // Read straight into the result, to EOF rather than trusting st_size: the file may be a pipe or
  // may change under us.
  size_t used = 0;
  contents.resize(expected + 1);  // + 1 so that the read that reports EOF has room
  while (true) {
    if (used == contents.size()) contents.resize(2 * contents.size() + 4096);
    const ssize_t n = read(fd, contents.data() + used, contents.size() - used);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error_number = errno;
      close(fd);
      return Errno(error_number, "cannot read", path);
    }
    used += static_cast<size_t>(n);
  }
  contents.resize(used);
  close(fd);
  return contents;
}

}  // namespace lrb
