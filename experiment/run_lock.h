// An exclusive flock(2) on OUT/runs/<table>/<id>.json.lock while a run executes, so that two reproduce
// processes on one output directory never run (or record) the same run at once. The kernel drops it when
// the process ends, killed or not, so no stale lock outlives a run. The (empty) lock files stay: removing
// one while another process has it open would let a third lock a new file of the same name.
#ifndef LRB_EXPERIMENT_RUN_LOCK_H_
#define LRB_EXPERIMENT_RUN_LOCK_H_

#include <string>

namespace lrb {

class RunLock {
 public:
  enum class State { kHeld, kBusy, kUnavailable };
  // kBusy when another process holds the lock; kUnavailable (with `error`) when this file system or
  // directory cannot lock, and the run goes ahead unlocked.
  static RunLock TryAcquire(const std::string& path);
  RunLock(RunLock&& other) noexcept;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  RunLock& operator=(RunLock&&) = delete;
  ~RunLock();
  State state() const { return state_; }
  const std::string& error() const { return error_; }

 private:
  RunLock(int fd, State state, std::string error) : fd_(fd), state_(state), error_(std::move(error)) {}
  int fd_;
  State state_;
  std::string error_;
};

}  // namespace lrb

#endif  // LRB_EXPERIMENT_RUN_LOCK_H_
