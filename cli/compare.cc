// `lrbench compare`: a base and a head (run records of `lrbench reproduce`, Google Benchmark JSON) compared cell
// by cell and benchmark by benchmark (experiment/report/compare.h); a markdown report on stdout or --out, and
// exit status 1 when a regression beyond the thresholds is found. This file reads the flags.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_format.h"
#include "base/file.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "experiment/report/compare.h"

namespace lrb {
namespace {

struct CompareArgs {
  std::optional<std::string> base, head, base_bench, head_bench, out;
  CompareOptions options;
};

absl::Status RunCompare(const CompareArgs& a) {
  if (!a.base && !a.base_bench) return UsageError("give --base=DIR|FILE or --base_bench=FILE");
  if (!a.head && !a.head_bench) return UsageError("give --head=DIR|FILE or --head_bench=FILE");
  absl::StatusOr<CompareSide> base = ReadCompareSide(a.base, a.base_bench);
  if (!base.ok()) return base.status();
  absl::StatusOr<CompareSide> head = ReadCompareSide(a.head, a.head_bench);
  if (!head.ok()) return head.status();
  absl::StatusOr<Comparison> comparison = Compare(*base, *head, a.options);
  if (!comparison.ok()) return comparison.status();
  const std::string report = CompareMarkdown(*comparison, a.options);
  if (a.out) {
    if (absl::Status s = WriteFileAtomically(*a.out, report, /*overwrite=*/true); !s.ok()) return s;
    std::fprintf(stderr, "lrbench compare: report written to %s\n", a.out->c_str());
  } else {
    std::fputs(report.c_str(), stdout);
    std::fflush(stdout);
  }
  if (const int n = comparison->Regressions(); n > 0) {
    return absl::FailedPreconditionError(
        absl::StrFormat("%d regression(s) beyond --max_drop=%g points or --max_slowdown=%g (the report lists them)", n,
                        a.options.max_drop, a.options.max_slowdown));
  }
  return absl::OkStatus();
}

}  // namespace

void AddCompare(CommandLine& line) {
  CommandFlags& flags = line.Add("compare", "Compares a head with a base: accuracy deltas and speed ratios", R"(
Compares a head with a base and writes a markdown report. Each side is an output directory of `lrbench reproduce`
(its runs/<table>/*.json), one run record, or one Google Benchmark JSON (--benchmark_format=json or
--benchmark_out), plus optionally a Google Benchmark JSON in --base_bench / --head_bench. Records are matched by
table, row, task, evaluation split, profile and seed (not by run id, which a code change changes); each metric's
delta (points) gets a paired 95 % bootstrap interval over the evaluation examples. Benchmarks are matched by name;
each real-time ratio head/base gets a spread from the repetitions' standard deviations. Exit status 1 when a
regression is found: a drop larger than --max_drop whose interval lies below zero, a slowdown above
--max_slowdown whose spread lies above 1, or a run that failed where the base measured.)");
  auto a = std::make_shared<CompareArgs>();
  flags.Path("base", &a->base, "The base: a reproduce output directory, a run record or a benchmark JSON", "DIR|FILE");
  flags.Path("head", &a->head, "The head, likewise", "DIR|FILE");
  flags.Path("base_bench", &a->base_bench, "Google Benchmark JSON of the base", "FILE");
  flags.Path("head_bench", &a->head_bench, "Google Benchmark JSON of the head", "FILE");
  flags.Path("out", &a->out, "Write the report here (atomically) instead of stdout", "FILE");
  flags.Number("max_drop", &a->options.max_drop, "Largest significant accuracy drop tolerated, in points", 0);
  flags.Number("max_slowdown", &a->options.max_slowdown, "Largest significant real-time ratio head/base tolerated",
               1);
  flags.Runs([a] { return RunCompare(*a); });
}

}  // namespace lrb
