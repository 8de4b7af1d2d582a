// The measured cells of a paper table: the run records behind each (grid row, column), one per seed, and the
// statistics the tables, the claims and `lrbench compare` print from them: the mean and standard deviation
// over seeds, a single run's bootstrap interval, and the paired bootstrap interval of a delta between two
// rows on the same evaluation examples and seeds.
#ifndef LRB_EXPERIMENT_REPORT_CELLS_H_
#define LRB_EXPERIMENT_REPORT_CELLS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "experiment/record.h"
#include "experiment/spec.h"
#include "tasks/metrics/bootstrap.h"

namespace lrb {

// Which seed a run trained with: its base fine-tune's, else its re-fine-tune's (RunSpecJson); -1 when it
// trained nothing (then every seed of the grid is the same run).
int64_t RecordSeed(const RunRecord& record);

class RecordIndex {
 public:
  // The records of `spec`'s table (others are ignored); `profile` wins ties (below).
  RecordIndex(const TableSpec& spec, const std::vector<RunRecord>& records, const std::string& profile);

  // The records of (grid row, column), one per seed in ascending seed order, each the best of its seed: the
  // profile's, then the newest (provenance.date), then the largest run_id. A column naming a split takes the
  // records of that split; one without takes the records whose split no other column of its task names.
  // Empty when none was written yet.
  std::vector<const RunRecord*> Find(const std::string& row, const ColumnSpec& column) const;

 private:
  bool SplitMatches(const ColumnSpec& column, const RunRecord& r) const;

  const TableSpec& spec_;
  std::string profile_;
  std::map<std::pair<std::string, std::string>, std::vector<const RunRecord*>> by_row_task_;
};

// A cell's value over its seeds, in the metric's own units (fractions; the table scales them).
struct CellValue {
  int n = 0;        // seeds whose run ended ok with a finite value of the metric
  double mean = 0;  // over those seeds
  double sd = 0;    // their sample standard deviation (n >= 2), else 0
  std::vector<std::pair<int64_t, double>> per_seed;  // (seed, value), ascending seed
  // n == 1: that record's 95 % bootstrap interval over the evaluation examples, when it has one.
  std::optional<MetricInterval> interval;
};

CellValue CellOf(const std::vector<const RunRecord*>& records, const std::string& metric);

// The paired 95 % bootstrap interval (tasks/score.h PairedDelta, 1,000 resamples, seed 42) of mean(head − base)
// of `column`'s metric over the seeds both lists have a run of (status ok; each pair on the same examples).
// `pairs` says how many seeds were paired. FailedPrecondition when a record of a shared seed has no per-example
// scores (recorded before they were kept; a delta over the other seeds alone would not be the cells'
// difference), NotFound when the lists share no seed.
struct CellDelta {
  BootstrapInterval interval;  // estimate, low, high in the metric's units
  int pairs = 0;
  bool Significant() const { return interval.low > 0 || interval.high < 0; }
};

absl::StatusOr<CellDelta> PairedCellDelta(const ColumnSpec& column, const std::vector<const RunRecord*>& base,
                                          const std::vector<const RunRecord*>& head);

}  // namespace lrb

#endif  // LRB_EXPERIMENT_REPORT_CELLS_H_
