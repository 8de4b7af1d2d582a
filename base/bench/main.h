// The main() of every lrbench benchmark binary.
#ifndef LRB_BASE_BENCH_MAIN_H_
#define LRB_BASE_BENCH_MAIN_H_

#include <functional>

namespace lrb {

// parse_own_flags takes the binary's own flags out of argv (false: exit 2; Google Benchmark refuses flags it
// does not know), then Google Benchmark's flags are read and checked (exit 2), the JSON context gets
// glibc_tunables (the allocator policy changes large-batch results by 2x: docs/performance.md),
// register_all adds the cases (false: exit 1) and they run.
int BenchmarkMain(int argc, char** argv, const std::function<bool(int&, char**)>& parse_own_flags,
                  const std::function<bool()>& register_all);

}  // namespace lrb

#endif  // LRB_BASE_BENCH_MAIN_H_
