#include "base/bench/flags.h"

#include <algorithm>
#include <cstdio>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace lrb {

std::vector<int> DefaultThreadCounts() {
  const int all = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return all > 1 ? std::vector<int>{1, all} : std::vector<int>{1};
}

bool TakeThreadsFlag(const std::string& program, const std::string& arg, std::vector<int>* counts, bool* error) {
  if (arg.rfind("--threads=", 0) != 0) return false;
  counts->clear();
  for (absl::string_view part : absl::StrSplit(arg.substr(10), ',')) {
    int t = 0;
    if (!absl::SimpleAtoi(part, &t) || t < 1) {
      std::fprintf(stderr, "%s: %s: expected thread counts >= 1, comma-separated\n", program.c_str(), arg.c_str());
      *error = true;
      return true;
    }
    counts->push_back(t);
  }
  return true;
}

}  // namespace lrb
