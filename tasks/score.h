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

// What scoring any subset of a split's examples needs, without the texts: per example the predicted and the
// gold value (classification: class indices; regression: scores), or each document's ROUGE F-measures
// (sequence-to-sequence: ROUGE is the mean over documents, so a subset's ROUGE is the mean of its
// documents', which is what rouge_score's BootstrapAggregator resamples). Run records keep it
// (experiment/record.h), so intervals and paired deltas are computed from records alone.
struct ExampleScores {
  std::vector<double> predicted, gold;                      // classification, regression
  std::map<std::string, std::vector<double>> per_document;  // sequence-to-sequence: metric name -> F per document
  int64_t size() const;
};

// The same checks and errors as ScorePredictions.
absl::StatusOr<ExampleScores> MakeExampleScores(const TaskInfo& task, const std::vector<TextExample>& gold,
                                                const std::vector<Prediction>& predictions);

// The task's metrics (by name) on the examples at `indices` (each < examples.size(); an index may repeat): what
// ScorePredictions gives on those examples. A metric undefined there (Pearson of constant predictions) is NaN.
std::map<std::string, double> ScoreExamples(const TaskInfo& task, const ExampleScores& examples,
                                            const std::vector<int64_t>& indices);

// A 95 % bootstrap interval per metric (tasks/metrics/bootstrap.h: the examples, or ROUGE's documents, resampled
// with replacement `options.resamples` times, seeded), for the metrics defined on every resample; a metric
// undefined on some resample (Pearson on constant predictions) gets none.
absl::StatusOr<std::map<std::string, BootstrapInterval>> BootstrapScores(const TaskInfo& task,
                                                                       const ExampleScores& examples,
                                                                       const BootstrapOptions& options);

// A system and its reference on the same evaluation examples (the same order), e.g. a compressed row and its
// uncompressed baseline of the same seed.
struct ScoredPair {
  const ExampleScores* base = nullptr;
  const ExampleScores* head = nullptr;
};

// The paired bootstrap interval of the mean over `pairs` of metric(head) - metric(base): every resample draws
// one set of example indices and scores every pair on it, so the interval reflects the examples and not the
// systems' shared difficulty (one pair: the classic paired bootstrap; several pairs: several seeds, their
// deltas averaged). Errors: no pairs, a metric the task does not have, pairs of different example counts.
absl::StatusOr<BootstrapInterval> PairedDelta(const TaskInfo& task, const std::vector<ScoredPair>& pairs,
                                              const std::string& metric, const BootstrapOptions& options);

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
