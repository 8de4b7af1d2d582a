// Scoring: predictions against a split's gold labels, with the task's metrics (tasks/metrics), as
// fractions (x100 is left to the table). Used by `lrbench score` on files and by the harness on a
// model's outputs.
#ifndef LRB_TASKS_SCORE_H_
#define LRB_TASKS_SCORE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tasks/metrics/bootstrap.h"
#include "tasks/task.h"

namespace lrb {

// One answer: a class index or regression value (`label`), or a generated text (`text`, seq2seq).
struct Prediction {
  float label = 0;
  std::string text;
};

struct Scores {
  std::map<std::string, double> metrics;  // every metric of TaskInfo::metrics
  int64_t count = 0;                      // examples scored
};

// predictions[i] answers gold[i]. Errors: different lengths, an empty or unlabeled split, a class index
// out of range, a non-finite regression value.
absl::StatusOr<Scores> ScorePredictions(const TaskInfo& task, const std::vector<TextExample>& gold,
                                        const std::vector<Prediction>& predictions);

// A 95 % bootstrap interval per metric of ScorePredictions (tasks/metrics/bootstrap.h: the examples resampled
// with replacement, `options.resamples` times, seeded), for the metrics defined on every resample; a metric
// undefined on some resample (Matthews or Pearson on constant predictions) gets none.
absl::StatusOr<std::map<std::string, BootstrapInterval>> BootstrapScores(const TaskInfo& task,
                                                                       const std::vector<TextExample>& gold,
                                                                       const std::vector<Prediction>& predictions,
                                                                       const BootstrapOptions& options);

// Reads a predictions file and aligns it with `gold` by id. Two layouts:
//   GLUE-style TSV (any name but *.jsonl): a header line "index<TAB>prediction" (or "id<TAB>prediction"),
//     then "ID<TAB>PREDICTION" per line;
//   JSONL (*.jsonl): {"id": ID, "prediction": P} per line (ID a string or an integer).
// A prediction is a label name or class index (classification), a number (regression), or the text
// (sequence-to-sequence). Errors name the file and the first offending line: a malformed line, an
// unparsable prediction, an id the split does not have, a duplicate id; a missing id names the first
// one missing and the count.
absl::StatusOr<std::vector<Prediction>> ReadPredictions(const TaskInfo& task, const std::vector<TextExample>& gold,
                                                        const std::string& path);

}  // namespace lrb

#endif  // LRB_TASKS_SCORE_H_
