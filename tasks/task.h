// The task registry: every benchmark the suite scores, as plain data. A task names its splits (with the
// files that hold them, relative to a data root, in the original layouts), its head, its label names,
// its metrics and the metric the paper tables report. Readers (tasks/glue, tasks/imdb, tasks/samsum)
// turn a split's file into TextExamples; tasks/score.h turns predictions into metrics. Nothing here
// tokenizes or knows about models.
//
// Adding a task: one entry in task.cc's list (and a reader, if its layout is new).
#ifndef LRB_TASKS_TASK_H_
#define LRB_TASKS_TASK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tasks/metric.h"

namespace lrb {

enum class TaskKind {
  kClassification,      // label = class index into label_names
  kRegression,          // label = a real score (STS-B)
  kSequenceToSequence,  // target = the reference text (SAMSum)
};

// The reader that understands a task's files.
enum class TaskFormat {
  kGlueTsv,  // tasks/glue: the glue_data TSV layout, quirks included
  kImdb,     // tasks/imdb: JSONL {"id","label","text"}, or the aclImdb/<split>/{pos,neg}/*.txt tree
  kSamsum,   // tasks/samsum: JSONL {"id","dialogue","summary"}, or the original JSON array release
};

// One example as the files hold it, before tokenization.
struct TextExample {
  std::string id;         // GLUE `index` column (0-based row number when the file has none); IMDB/SAMSum id
  std::string text;       // sentence / sentence1 / question / review / dialogue
  std::string text_pair;  // the second text of pair tasks; empty otherwise
  std::string target;     // the reference summary (sequence-to-sequence); empty otherwise
  float label = 0;        // class index or regression score; meaningful when `labeled`
  bool labeled = false;   // false on splits whose labels are withheld (GLUE test)
};

struct SplitInfo {
  std::string name;                // "train", "dev", "dev_matched", "test_2500", ...
  std::vector<std::string> files;  // alternatives relative to a data root, tried in order
  bool labeled = true;
};

struct TaskInfo {
  std::string id;  // "glue/cola", ..., "imdb", "samsum"
  std::string title;
  TaskKind kind = TaskKind::kClassification;
  TaskFormat format = TaskFormat::kGlueTsv;
  std::vector<std::string> label_names;  // class names in index order (classification only)
  std::vector<SplitInfo> splits;
  std::string train_split;              // what fine-tuning uses by default
  std::string eval_split;               // what `score` and the tables use by default
  std::vector<Metric> metrics;          // every metric `score` reports (accuracy, f1, ...)
  Metric table_metric = Metric::kAccuracy;  // the one the paper tables report unless a table says otherwise
  bool pair = false;                    // two texts per example

  // The split named `name`; NotFound listing the task's splits.
  absl::StatusOr<const SplitInfo*> Split(const std::string& name) const;
  // The class index of a label as the files or a predictions file write it: a label name, or an index
  // in [0, classes). InvalidArgument naming the text and the accepted labels otherwise.
  absl::StatusOr<int> LabelIndex(const std::string& text) const;
};

// Every task, in a fixed order (GLUE in the benchmark's order, then IMDB, SAMSum).
const std::vector<TaskInfo>& AllTasks();

// The task with this id; NotFound listing the known ids.
absl::StatusOr<const TaskInfo*> FindTask(const std::string& id);

const char* TaskKindName(TaskKind kind);

}  // namespace lrb

#endif  // LRB_TASKS_TASK_H_
