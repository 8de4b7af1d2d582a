#include "base/bench/main.h"

#include <cstdlib>

#include "benchmark/benchmark.h"

namespace lrb {

int BenchmarkMain(int argc, char** argv, const std::function<bool(int&, char**)>& parse_own_flags,
                  const std::function<bool()>& register_all) {
  if (!parse_own_flags(argc, argv)) return 2;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  benchmark::AddCustomContext("glibc_tunables", tunables != nullptr ? tunables : "");
  if (!register_all()) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace lrb
