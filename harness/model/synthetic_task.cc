#include "harness/model/synthetic_task.h"

#include <random>

namespace lrb {

std::vector<Example> SyntheticTask(int count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Example> out;
  for (int i = 0; i < count; ++i) {
    Example e;
    const int len = 4 + static_cast<int>(rng() % 9);
    e.input_ids.push_back(101);
    for (int t = 1; t < len - 1; ++t) e.input_ids.push_back(5 + static_cast<int64_t>(rng() % 60));
    e.input_ids.push_back(102);
    e.token_type_ids.assign(e.input_ids.size(), 0);
    e.label = static_cast<float>(e.input_ids[1] % 3);
    out.push_back(e);
  }
  return out;
}

}  // namespace lrb
