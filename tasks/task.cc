#include "tasks/task.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace lrb {
namespace {

// A GLUE task in the glue_data layout: DIR/{train,dev,test}.tsv, test unlabeled.
TaskInfo Glue(const std::string& id, const std::string& title, const std::string& dir, TaskKind kind,
              std::vector<std::string> labels, std::vector<Metric> metrics, Metric table_metric,
              bool pair) {
  TaskInfo t;
  t.id = id;
  t.title = title;
  t.kind = kind;
  t.format = TaskFormat::kGlueTsv;
  t.label_names = std::move(labels);
  t.splits = {{"train", {"glue/" + dir + "/train.tsv"}, true},
              {"dev", {"glue/" + dir + "/dev.tsv"}, true},
              {"test", {"glue/" + dir + "/test.tsv"}, false}};
  t.train_split = "train";
  t.eval_split = "dev";
  t.metrics = std::move(metrics);
  t.table_metric = table_metric;
  t.pair = pair;
  return t;
}

std::vector<TaskInfo> MakeTasks() {
  const std::vector<std::string> nli3 = {"entailment", "neutral", "contradiction"};
  const std::vector<std::string> nli2 = {"entailment", "not_entailment"};
  const TaskKind cls = TaskKind::kClassification;
  std::vector<TaskInfo> tasks = {
      Glue("glue/cola", "CoLA", "CoLA", cls, {"unacceptable", "acceptable"}, {Metric::kMatthewsCorrelation},
           Metric::kMatthewsCorrelation, false),
      Glue("glue/sst2", "SST-2", "SST-2", cls, {"negative", "positive"}, {Metric::kAccuracy}, Metric::kAccuracy, false),
      Glue("glue/mrpc", "MRPC", "MRPC", cls, {"not_equivalent", "equivalent"}, {Metric::kAccuracy, Metric::kF1},
           Metric::kF1, true),
      Glue("glue/stsb", "STS-B", "STS-B", TaskKind::kRegression, {}, {Metric::kPearson, Metric::kSpearman},
           Metric::kSpearman, true),
      Glue("glue/qqp", "QQP", "QQP", cls, {"not_duplicate", "duplicate"}, {Metric::kAccuracy, Metric::kF1}, Metric::kF1,
           true),
      Glue("glue/mnli", "MNLI", "MNLI", cls, nli3, {Metric::kAccuracy}, Metric::kAccuracy, true),
      Glue("glue/qnli", "QNLI", "QNLI", cls, nli2, {Metric::kAccuracy}, Metric::kAccuracy, true),
      Glue("glue/rte", "RTE", "RTE", cls, nli2, {Metric::kAccuracy}, Metric::kAccuracy, true),
      Glue("glue/wnli", "WNLI", "WNLI", cls, {"not_entailment", "entailment"}, {Metric::kAccuracy}, Metric::kAccuracy,
           true),
      Glue("glue/ax", "AX (GLUE diagnostic)", "diagnostic", cls, nli3, {Metric::kMatthewsCorrelation},
           Metric::kMatthewsCorrelation, true),
  };
  // MNLI: matched and mismatched dev and test files.
  TaskInfo& mnli = tasks[5];
  mnli.splits = {{"train", {"glue/MNLI/train.tsv"}, true},
                 {"dev_matched", {"glue/MNLI/dev_matched.tsv"}, true},
                 {"dev_mismatched", {"glue/MNLI/dev_mismatched.tsv"}, true},
                 {"test_matched", {"glue/MNLI/test_matched.tsv"}, false},
                 {"test_mismatched", {"glue/MNLI/test_mismatched.tsv"}, false}};
  mnli.eval_split = "dev_matched";
  // AX: a test set scored with an MNLI model. glue_data ships it unlabeled; the labeled release
  // (diagnostic-full.tsv) is scored with the R3 coefficient, i.e. Matthews correlation over 3 classes.
  TaskInfo& ax = tasks[9];
  ax.splits = {{"test", {"glue/diagnostic/diagnostic.tsv"}, false},
               {"full", {"glue/diagnostic/diagnostic-full.tsv"}, true}};
  ax.train_split = "";
  ax.eval_split = "full";

  TaskInfo imdb;
  imdb.id = "imdb";
  imdb.title = "IMDB";
  imdb.kind = cls;
  imdb.format = TaskFormat::kImdb;
  imdb.label_names = {"neg", "pos"};
  imdb.splits = {{"train", {"imdb/train.jsonl", "aclImdb/train"}, true},
                 {"test", {"imdb/test.jsonl", "aclImdb/test"}, true},
                 {"train_10k", {"imdb/train_10k.jsonl"}, true},
                 {"test_2500", {"imdb/test_2500.jsonl"}, true}};
  imdb.train_split = "train";
  imdb.eval_split = "test";
  imdb.metrics = {Metric::kAccuracy};
  imdb.table_metric = Metric::kAccuracy;
  tasks.push_back(imdb);

  TaskInfo samsum;
  samsum.id = "samsum";
  samsum.title = "SAMSum";
  samsum.kind = TaskKind::kSequenceToSequence;
  samsum.format = TaskFormat::kSamsum;
  samsum.splits = {{"train", {"samsum/train.jsonl", "samsum/train.json"}, true},
                   {"validation", {"samsum/validation.jsonl", "samsum/val.json"}, true},
                   {"test", {"samsum/test.jsonl", "samsum/test.json"}, true}};
  samsum.train_split = "train";
  samsum.eval_split = "test";
  samsum.metrics = {Metric::kRouge1, Metric::kRouge2, Metric::kRougeL, Metric::kRougeLsum};
  samsum.table_metric = Metric::kRouge1;
  tasks.push_back(samsum);
  return tasks;
}

}  // namespace

absl::StatusOr<const SplitInfo*> TaskInfo::Split(const std::string& name) const {
  std::vector<std::string> names;
  for (const SplitInfo& s : splits) {
    if (s.name == name) return &s;
    names.push_back(s.name);
  }
  return absl::NotFoundError(
      absl::StrFormat("task %s has no split '%s' (splits: %s)", id, name, absl::StrJoin(names, ", ")));
}

absl::StatusOr<int> TaskInfo::LabelIndex(const std::string& text) const {
  for (size_t i = 0; i < label_names.size(); ++i) {
    if (label_names[i] == text) return static_cast<int>(i);
  }
  int index = -1;
  if (absl::SimpleAtoi(text, &index) && index >= 0 && index < static_cast<int>(label_names.size())) return index;
  return absl::InvalidArgumentError(absl::StrFormat("'%s' is not a %s label (labels: %s, or 0..%d)", text, id,
                                                    absl::StrJoin(label_names, ", "),
                                                    static_cast<int>(label_names.size()) - 1));
}

const std::vector<TaskInfo>& AllTasks() {
  static const std::vector<TaskInfo>* const tasks = new std::vector<TaskInfo>(MakeTasks());
  return *tasks;
}

absl::StatusOr<const TaskInfo*> FindTask(const std::string& id) {
  std::vector<std::string> ids;
  for (const TaskInfo& t : AllTasks()) {
    if (t.id == id) return &t;
    ids.push_back(t.id);
  }
  return absl::NotFoundError(absl::StrFormat("unknown task '%s' (tasks: %s)", id, absl::StrJoin(ids, ", ")));
}

const char* TaskKindName(TaskKind kind) {
  switch (kind) {
    case TaskKind::kClassification:
      return "classification";
    case TaskKind::kRegression:
      return "regression";
    case TaskKind::kSequenceToSequence:
      return "sequence-to-sequence";
  }
  return "?";
}

}  // namespace lrb
