// Comparing two states of the suite (`lrbench compare`, CI's smoke check): the run records of a base and a head
// (two `lrbench reproduce` output directories, or single records) matched cell by cell, each metric's delta
// with its paired bootstrap interval over the evaluation examples (tasks/score.h PairedDelta), and Google
// Benchmark JSON files matched case by case, each real-time ratio with its spread over the repetitions. A
// regression is a change that is both significant and beyond a stated threshold; the report is markdown.
#ifndef LRB_EXPERIMENT_REPORT_COMPARE_H_
#define LRB_EXPERIMENT_REPORT_COMPARE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "experiment/record.h"
#include "tasks/metrics/bootstrap.h"

namespace lrb {

// One case of a Google Benchmark JSON file (--benchmark_format=json or --benchmark_out), by its run name
// ("BM_Linear/64/threads:1"): the real time of its repetitions in nanoseconds. From the per-repetition entries
// when the file has them (mean, sample standard deviation as Google Benchmark computes it), else from the
// "mean" and "stddev" aggregates (--benchmark_report_aggregates_only).
struct BenchmarkCase {
  std::string name;
  int repetitions = 0;
  double mean_ns = 0, stddev_ns = 0;
  std::string error;  // the case reported an error (error_occurred): no times
};

// InvalidArgument naming `path` for text that is not Google Benchmark JSON (not an object with a "benchmarks"
// array) or an entry without a name, a finite real_time or a known time_unit (ns, us, ms, s), or a case named
// twice in one file.
absl::StatusOr<std::vector<BenchmarkCase>> ParseBenchmarkJson(const std::string& text, const std::string& path);

// One side of a comparison.
struct CompareSide {
  std::string label;                  // what was given, for the report
  std::vector<RunRecord> records;
  std::vector<std::string> record_paths;  // the file of each record
  std::vector<BenchmarkCase> benchmarks;
};

// `path` (optional): an output directory of `lrbench reproduce` (its runs/<table>/*.json; a directory without
// runs/ is refused), one run-record JSON, or one Google Benchmark JSON (told apart by content); `bench_path`
// (optional): a Google Benchmark JSON. Errors name the file: missing, unreadable, neither kind of JSON, or a
// record or benchmark file that does not parse.
absl::StatusOr<CompareSide> ReadCompareSide(const std::optional<std::string>& path,
                                            const std::optional<std::string>& bench_path);

struct CompareOptions {
  // A regression: an accuracy drop larger than max_drop points (metric x 100, as the tables print it) whose
  // paired 95 % interval lies below zero, or a real-time ratio head/base above max_slowdown whose spread lies
  // above 1. 1 point is above one example of the smoke profile's 128 (0.78 points), so a single example that
  // flips between machines never fails alone, and below the 2-point band the smoke check used before.
  double max_drop = 1.0;
  double max_slowdown = 1.10;
  BootstrapOptions bootstrap;  // 1,000 resamples, 95 %, seed 42
};

// What a comparison found for one cell or benchmark.
enum class Change {
  kNone,        // no significant change (or an identical value)
  kBetter,      // significant improvement (reported, never a failure)
  kWorse,       // significant, but within the threshold
  kRegression,  // significant and beyond the threshold (exit status 1)
  kNotJudged,   // no interval or spread to judge by (see `note`)
};
const char* ChangeName(Change change);

// One metric of one cell: a (table, row, task, evaluation split, profile) with the seeds both sides ran, each
// seed's base and head records paired.
struct CellComparison {
  std::string table, row, task, eval_split, profile, metric;
  std::vector<int64_t> seeds;      // the seeds paired, ascending (RecordSeed; -1: the run trained nothing)
  int64_t examples = 0;            // evaluation examples of each record
  double base = 0, head = 0;       // the metric, mean over the seeds, fraction
  double delta_points = 0;         // (head - base) x 100
  // The paired bootstrap interval of the mean delta (x 100), when every record of the cell keeps its
  // per-example scores and the metric is defined on every resample.
  std::optional<double> low_points, high_points;
  Change change = Change::kNone;
  std::string note;  // why there is no interval, or why the cell has no value
};

struct BenchmarkComparison {
  std::string name;
  BenchmarkCase base, head;
  // head mean / base mean, and its spread: the extreme ratios of mean -/+ one standard deviation of the
  // repetitions on each side, [(h - sd_h) / (b + sd_b), (h + sd_h) / (b - sd_b)] (infinite when b <= sd_b).
  double ratio = 0, low = 0, high = 0;
  Change change = Change::kNone;
  std::string note;
};

struct Comparison {
  std::string base_label, head_label;
  int64_t base_records = 0, head_records = 0, base_benchmarks = 0, head_benchmarks = 0;
  std::vector<CellComparison> cells;           // sorted by table, row, task, split, profile, metric
  std::vector<BenchmarkComparison> benchmarks;  // in the base file's order
  std::vector<std::string> base_only, head_only;  // runs and benchmarks without a counterpart, one line each
  // e.g. two records of one run, the newer kept; a run whose parameter or bit count changed (not judged)
  std::vector<std::string> notes;
  int64_t unmeasured = 0;  // matched runs that failed or had no data on both sides: not compared
  int Regressions() const;
};

// Matches records by (table, row, task, evaluation split, profile, seed), not by run id (a code change changes
// ids); the seed is RecordSeed's (experiment/report/cells.h). Where a side holds two records of one key, the
// newer (provenance date, then run id, as RecordIndex) is kept and a note says so.
// Errors: matched records of different evaluation example counts (naming both files), an unknown task, a
// record whose per-example scores are malformed (naming the file), a benchmark JSON and records mixed up.
absl::StatusOr<Comparison> Compare(const CompareSide& base, const CompareSide& head, const CompareOptions& options);

// The markdown report: the verdict and thresholds, the accuracy table, the speed table, what had no
// counterpart, and the notes.
std::string CompareMarkdown(const Comparison& comparison, const CompareOptions& options);

}  // namespace lrb

#endif  // LRB_EXPERIMENT_REPORT_COMPARE_H_
