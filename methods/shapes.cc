#include "methods/shapes.h"

#include <algorithm>
#include <functional>

namespace lrb {

std::vector<int64_t> BalancedFactors(int64_t n, int parts) {
  std::vector<int64_t> best, current;
  // Depth-first over non-decreasing factor sequences; dimensions here are at most a few 10^4.
  std::function<void(int64_t, int64_t, int)> search = [&](int64_t rest, int64_t min_factor, int left) {
    if (left == 1) {
      if (rest < min_factor) return;
      current.push_back(rest);
      auto key = [](const std::vector<int64_t>& v) { return std::make_pair(v.back(), v.back() - v.front()); };
      if (best.empty() || key(current) < key(best)) best = current;
      current.pop_back();
      return;
    }
    for (int64_t f = min_factor; f * f <= rest || f == min_factor; ++f) {
      if (rest % f != 0) continue;
      current.push_back(f);
      search(rest / f, f, left - 1);
      current.pop_back();
      if (f > rest) break;
    }
  };
  search(n, 1, parts);
  return best;
}

}  // namespace lrb
