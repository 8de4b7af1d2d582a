// GLUE in the original glue_data TSV layout (download_glue_data.py), quirks included: MRPC's UTF-8 BOM,
// CoLA train/dev without a header row, MNLI's 12-column train and 16-column dev files, the AX
// diagnostic files (unlabeled diagnostic.tsv, labeled diagnostic-full.tsv). Fields are split on tabs
// with no quoting (sentences contain '"').
#ifndef LRB_TASKS_GLUE_GLUE_H_
#define LRB_TASKS_GLUE_GLUE_H_

#include <string>

#include "absl/status/statusor.h"
#include "tasks/reader.h"
#include "tasks/task.h"

namespace lrb {

// Reads split `split` of the GLUE task `task` (a glue/* entry of the registry) from `path`.
//
// Columns are located by header name: text, text_pair (pair tasks), label (labeled splits; STS-B's
// `score` parsed as a finite float, class labels through TaskInfo::LabelIndex) and the id column
// (`index`, QQP's `id`; without one the id is the 0-based data-row number). CoLA files whose first line
// is not a header are read positionally (source, label, original label, sentence). Unlabeled splits
// give examples with labeled == false and ignore a label column if there is one.
//
// Errors: NotFound for a missing file; "PATH: empty file"; "PATH:LINE: ..." for a header that lacks a
// needed column and, skippable with options.skip_malformed, for a row with the wrong column count, a bad
// label or score, or invalid UTF-8. Empty lines are ignored.
absl::StatusOr<ReadResult> ReadGlueTsv(const TaskInfo& task, const SplitInfo& split, const std::string& path,
                                       const ReadOptions& options);

}  // namespace lrb

#endif  // LRB_TASKS_GLUE_GLUE_H_
