// `lrbench score`: a predictions file against a split's gold labels, one JSON line of metrics.
#include <cstdio>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/strings/str_format.h"
#include "harness/commands.h"
#include "harness/flags.h"
#include "tasks/data.h"
#include "tasks/score.h"
#include "tasks/task.h"

namespace lrb {
namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "lrbench score: %s\n", std::string(status.message()).c_str());
  return 1;
}

}  // namespace

int RunScore(int argc, char** argv) {
  absl::StatusOr<Flags> flags = Flags::Parse(argc, argv, 2);
  if (!flags.ok()) return Fail(flags.status());
  std::optional<std::string> task_id = flags->Take("task"), predictions_path = flags->Take("predictions");
  if (!task_id || !predictions_path) {
    std::fprintf(stderr, "lrbench score: --task and --predictions are required (see lrbench --help)\n");
    return 2;
  }
  std::optional<std::string> split = flags->Take("split"), data_dir = flags->Take("data_dir");
  if (!flags->rest().empty()) return Fail(absl::InvalidArgumentError("unknown flag --" + flags->rest().begin()->first));
  absl::StatusOr<const TaskInfo*> task = FindTask(*task_id);
  if (!task.ok()) return Fail(task.status());
  if (data_dir) {
    data_dir = UserPath(*data_dir);
    if (absl::Status s = CheckDataDir(*data_dir); !s.ok()) return Fail(s);
  }
  const std::string split_name = split.value_or((*task)->eval_split);
  absl::StatusOr<const SplitInfo*> split_info = (*task)->Split(split_name);
  if (!split_info.ok()) return Fail(split_info.status());
  if (!(*split_info)->labeled) {
    return Fail(absl::InvalidArgumentError(absl::StrFormat(
        "split %s of %s has no gold labels (withheld by the benchmark); score %s", split_name, (*task)->id,
        (*task)->eval_split)));
  }
  absl::StatusOr<ReadResult> gold = ReadSplit(**task, split_name, DataRoots(data_dir), ReadOptions{});
  if (!gold.ok()) return Fail(gold.status());
  absl::StatusOr<std::vector<Prediction>> predictions =
      ReadPredictions(**task, gold->examples, UserPath(*predictions_path));
  if (!predictions.ok()) return Fail(predictions.status());
  absl::StatusOr<Scores> scores = ScorePredictions(**task, gold->examples, *predictions);
  if (!scores.ok()) return Fail(scores.status());
  nlohmann::json line;
  line["task"] = (*task)->id;
  line["split"] = split_name;
  line["gold"] = gold->path;
  line["count"] = scores->count;
  for (const auto& [name, value] : scores->metrics) line["metrics"][name] = value;
  std::printf("%s\n", line.dump().c_str());
  return 0;
}

}  // namespace lrb
