#include "experiment/run_lock.h"

#include <cstring>
#include <utility>

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace lrb {

RunLock RunLock::TryAcquire(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return RunLock(-1, State::kUnavailable, std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) return RunLock(-1, State::kBusy, "");
    return RunLock(-1, State::kUnavailable, std::strerror(err));
  }
  return RunLock(fd, State::kHeld, "");
}

RunLock::RunLock(RunLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), state_(other.state_), error_(std::move(other.error_)) {}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace lrb
