// `lrbench score`: a predictions file against a split's gold labels, one JSON line of metrics.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/strings/str_format.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "tasks/data.h"
#include "tasks/score.h"
#include "tasks/task.h"

namespace lrb {
namespace {

struct ScoreArgs {
  std::optional<std::string> task_id, predictions_path, split, data_dir;
};

absl::Status Score(const ScoreArgs& a) {
  const std::optional<std::string>& task_id = a.task_id;
  const std::optional<std::string>& split = a.split;
  const std::optional<std::string>& data_dir = a.data_dir;
  absl::StatusOr<const TaskInfo*> task = FindTask(*task_id);
  if (!task.ok()) return task.status();
  if (data_dir) {
    if (absl::Status s = CheckDataDir(*data_dir); !s.ok()) return s;
  }
  const std::string split_name = split.value_or((*task)->eval_split);
  absl::StatusOr<const SplitInfo*> split_info = (*task)->Split(split_name);
  if (!split_info.ok()) return split_info.status();
  if (!(*split_info)->labeled) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "split %s of %s has no gold labels (withheld by the benchmark); score %s", split_name, (*task)->id,
        (*task)->eval_split));
  }
  absl::StatusOr<ReadResult> gold = ReadSplit(**task, split_name, DataRoots(data_dir), ReadOptions{});
  if (!gold.ok()) return gold.status();
  absl::StatusOr<std::vector<Prediction>> predictions = ReadPredictions(**task, gold->examples, *a.predictions_path);
  if (!predictions.ok()) return predictions.status();
  absl::StatusOr<Scores> scores = ScorePredictions(**task, gold->examples, *predictions);
  if (!scores.ok()) return scores.status();
  nlohmann::json line;
  line["task"] = (*task)->id;
  line["split"] = split_name;
  line["gold"] = gold->path;
  line["count"] = scores->count;
  for (const auto& [name, value] : scores->metrics) line["metrics"][name] = value;
  std::printf("%s\n", line.dump().c_str());
  return absl::OkStatus();
}

}  // namespace

void AddScore(CommandLine& line) {
  CommandFlags& flags = line.Add("score", "Scores a predictions file against a split's gold labels", R"(
Scores predictions against the split's gold labels (default: the task's evaluation split) and prints one JSON
line of metrics. FILE is GLUE-style TSV (header 'index<TAB>prediction', labels by name or index, floats for
STS-B) or, when named *.jsonl, {"id": ..., "prediction": ...} per line.)");
  auto a = std::make_shared<ScoreArgs>();
  flags.Text("task", &a->task_id, "The task (lrbench --help lists them)")->type_name("ID")->required();
  flags.Path("predictions", &a->predictions_path, "The predictions", "FILE")->required();
  flags.Text("split", &a->split, "The split scored (default: the task's evaluation split)")->type_name("NAME");
  flags.Path("data_dir", &a->data_dir, "Where the task's data is looked up first", "DIR");
  flags.Runs([a] { return Score(*a); });
}

}  // namespace lrb
