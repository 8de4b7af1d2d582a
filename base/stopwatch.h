// Wall-clock seconds since construction (steady clock): how runs and stages time their parts.
#ifndef LRB_BASE_STOPWATCH_H_
#define LRB_BASE_STOPWATCH_H_

#include <chrono>

namespace lrb {

class Stopwatch {
 public:
  double Seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace lrb

#endif  // LRB_BASE_STOPWATCH_H_
