// Verdicts on the papers' claims (a spec's "claims", ClaimSpec): each claim says grid row `better` scores at
// least as high as grid row `than` on some columns, or no worse than by more than `margin` table points.
//
// Per column, the evidence is the paired 95 % bootstrap interval [low, high] of mean(better − than) in table
// points (experiment/report/cells.h PairedCellDelta: the seeds both rows have, the same evaluation examples,
// 1,000 resamples, seed 42), and the verdict, with M the claim's margin (0 unless given):
//   reproduced    low > −M   (the whole interval on the claimed side; for M = 0 it excludes 0 there)
//   contradicted  high < −M  (the whole interval on the other side)
//   inconclusive  otherwise  (the interval contains −M: the data cannot tell)
//   not measured  a row has no usable record in the column (none yet, failed, no data, left out by the
//                 profile) or the records have no per-example scores (written before they were kept); the plain
//                 difference of the two cells' means is shown then, without a verdict, when both have one.
// A claim's verdict over its columns: not measured when no column is measured; reproduced when every measured
// column reproduces; contradicted when every measured column contradicts; mixed when some reproduce and some
// contradict; otherwise (some inconclusive, none in the opposite direction) inconclusive. Columns not measured
// do not count, and the rendering says how many were. No correction for testing several columns is applied.
#ifndef LRB_EXPERIMENT_REPORT_CLAIMS_H_
#define LRB_EXPERIMENT_REPORT_CLAIMS_H_

#include <optional>
#include <string>
#include <vector>

#include "experiment/record.h"
#include "experiment/spec.h"

namespace lrb {

enum class Verdict { kReproduced, kContradicted, kInconclusive, kMixed, kNotMeasured };

// "reproduced", "contradicted", "inconclusive", "mixed", "not measured".
const char* VerdictName(Verdict verdict);

struct ClaimColumn {
  std::string column;  // the column's name
  Verdict verdict = Verdict::kNotMeasured;
  // Measured: the paired delta better − than in table points, its 95 % interval, and the seeds paired.
  double estimate = 0, low = 0, high = 0;
  int pairs = 0;
  // Not measured: why, and the difference of the cells' means over their seeds when both rows have values.
  std::string why;
  std::optional<double> mean_difference;
};

struct ClaimResult {
  ClaimSpec claim;
  Verdict verdict = Verdict::kNotMeasured;
  std::vector<ClaimColumn> columns;  // in the claim's column order (default: the table's measured columns)
};

// The claims of `spec` on `records` (this table's; other tables' are ignored), with the cells chosen as the
// table renders them (cells.h RecordIndex; `profile` wins ties; empty means "default"). A profile of
// spec.profiles that leaves out a claim's row or a column's task makes that column "not measured".
std::vector<ClaimResult> EvaluateClaims(const TableSpec& spec, const std::vector<RunRecord>& records,
                                        const std::string& profile);

// The verdict over a claim's columns (the rule above).
Verdict OverallVerdict(const std::vector<ClaimColumn>& columns);

// The block a table's markdown opens with: a table of claim, columns, our delta [interval] per column, verdict
// and source, then the rule in one paragraph. Empty when the spec has no claims.
std::string ClaimsMarkdown(const std::vector<ClaimResult>& results);

// docs/results.md's opening table: one line per claim of every table (table id, claim, verdict, source).
struct TableClaims {
  std::string table_id;
  std::vector<ClaimResult> results;
};
std::string ClaimsSummaryMarkdown(const std::vector<TableClaims>& tables);

}  // namespace lrb

#endif  // LRB_EXPERIMENT_REPORT_CLAIMS_H_
