// Renders one paper table (a TableSpec) with its measured run records as markdown, booktabs LaTeX, CSV
// and an SVG plot. Published and measured rows share one table and one set of columns:
//   row | model | params | method | <the spec's columns...> | source
// published rows first, then the measured rows of the grid (one per grid row label). Every output is a
// pure function of its inputs (same inputs, same bytes), so golden files can be compared.
#ifndef LRB_EXPERIMENT_REPORT_REPORT_H_
#define LRB_EXPERIMENT_REPORT_REPORT_H_

#include <string>
#include <vector>

#include "experiment/record.h"
#include "experiment/spec.h"

namespace lrb {

// What the measured rows were run with, printed under the table:
// "Measured: profile P, commit C, machine M, date D, duration X".
struct RenderContext {
  std::string profile;  // empty: "default"
  std::string commit, machine, date, duration;
};

struct RenderedTable {
  std::string markdown, latex, csv, svg;
};

// `records`: this table's run records (any profile; records of other tables are ignored). The measured
// cell of (grid row, column) comes from the record with that row and the column's task (and eval split,
// when the column names one): its metric column.metric times spec.scale, rounded to 2 decimals. When
// several records match, the one of context.profile wins, then the newest (provenance.date), then the
// largest run_id. A profile of spec.profiles restricts the measured rows (its `rows`) and the measured
// columns (its `tasks`; others show "—").
//
// Cells: non-baseline rows show the value and its delta to their baseline ("61.23 (−3.41)"): measured
// rows to the grid's baseline row (RowSpec::baseline, else the first row without method), published rows
// to the published baseline row (PublishedRow::baseline) of the same model, else the first one. A
// failed run shows "failed" (its error in a footnote "[row / task]: error"), status "no_data" shows "n/a"
// (footnote "no data for TASK (give --data_dir)"), a column without task "—", a missing record
// "pending"; a spec with status "pending" has one measured row "pending (issue #7)".
//
// The markdown opens (under the heading and source) with the spec's claims and their verdicts on `records`
// (experiment/report/claims.h).
RenderedTable RenderTable(const TableSpec& spec, const std::vector<RunRecord>& records,
                          const RenderContext& context);

// A CSV field: as it is, or quoted (inner quotes doubled) when it holds a comma, quote or line break.
std::string CsvField(const std::string& text);

// Parameter count as the tables print it: "8.3M", "110M", "1.2B", "950K".
std::string FormatParams(int64_t params);

}  // namespace lrb

#endif  // LRB_EXPERIMENT_REPORT_REPORT_H_
