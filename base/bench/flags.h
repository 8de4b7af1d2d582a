// The flags every lrbench benchmark binary (encode, forward, linear) takes besides Google Benchmark's.
#ifndef LRB_BASE_BENCH_FLAGS_H_
#define LRB_BASE_BENCH_FLAGS_H_

#include <string>
#include <vector>

namespace lrb {

// 1, and every core when the machine has more than one.
std::vector<int> DefaultThreadCounts();

// If `arg` is --threads=N[,M...], sets *counts and returns true; a bad value prints
// "<program>: <arg>: expected thread counts >= 1, comma-separated" and sets *error.
bool TakeThreadsFlag(const std::string& program, const std::string& arg, std::vector<int>* counts, bool* error);

}  // namespace lrb

#endif  // LRB_BASE_BENCH_FLAGS_H_
