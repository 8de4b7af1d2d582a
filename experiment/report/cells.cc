#include "experiment/report/cells.h"

#include <cmath>
#include <numeric>

#include <nlohmann/json.hpp>

#include "absl/strings/str_format.h"
#include "tasks/score.h"
#include "tasks/task.h"

namespace lrb {

int64_t RecordSeed(const RunRecord& record) {
  const nlohmann::json spec = nlohmann::json::parse(record.spec_json, nullptr, /*allow_exceptions=*/false);
  if (!spec.is_object()) return -1;
  for (const char* recipe : {"finetune_base", "refinetune"}) {
    auto it = spec.find(recipe);
    if (it != spec.end() && it->is_object()) {
      auto seed = it->find("seed");
      if (seed != it->end() && seed->is_number_integer()) return seed->get<int64_t>();
    }
  }
  return -1;
}

RecordIndex::RecordIndex(const TableSpec& spec, const std::vector<RunRecord>& records, const std::string& profile)
    : spec_(spec), profile_(profile) {
  for (const RunRecord& r : records) {
    if (!spec.id.empty() && !r.table.empty() && r.table != spec.id) continue;
    by_row_task_[{r.row, r.task}].push_back(&r);
  }
}

bool RecordIndex::SplitMatches(const ColumnSpec& column, const RunRecord& r) const {
  if (!column.split.empty()) return r.eval_split == column.split;
  for (const ColumnSpec& other : spec_.columns) {
    if (other.task == column.task && !other.split.empty() && other.split == r.eval_split) return false;
  }
  return true;
}

std::vector<const RunRecord*> RecordIndex::Find(const std::string& row, const ColumnSpec& column) const {
  auto it = by_row_task_.find({row, column.task});
  if (it == by_row_task_.end()) return {};
  std::map<int64_t, const RunRecord*> best;  // seed -> record
  for (const RunRecord* r : it->second) {
    if (!SplitMatches(column, *r)) continue;
    const RunRecord*& b = best[RecordSeed(*r)];
    if (b == nullptr || std::make_tuple(r->profile == profile_, r->provenance.date, r->run_id) >
                            std::make_tuple(b->profile == profile_, b->provenance.date, b->run_id)) {
      b = r;
    }
  }
  std::vector<const RunRecord*> out;
  for (const auto& [seed, r] : best) out.push_back(r);
  return out;
}

CellValue CellOf(const std::vector<const RunRecord*>& records, const std::string& metric) {
  CellValue cell;
  const RunRecord* only = nullptr;
  for (const RunRecord* r : records) {
    if (r->status != RunStatus::kOk) continue;
    auto it = r->metrics.find(metric);
    if (it == r->metrics.end() || !std::isfinite(it->second)) continue;
    cell.per_seed.emplace_back(RecordSeed(*r), it->second);
    only = r;
  }
  cell.n = static_cast<int>(cell.per_seed.size());
  if (cell.n == 0) return cell;
  double sum = 0;
  for (const auto& [seed, v] : cell.per_seed) sum += v;
  cell.mean = sum / cell.n;
  if (cell.n >= 2) {
    double ss = 0;
    for (const auto& [seed, v] : cell.per_seed) ss += (v - cell.mean) * (v - cell.mean);
    cell.sd = std::sqrt(ss / (cell.n - 1));
  } else {
    auto it = only->intervals.find(metric);
    if (it != only->intervals.end()) cell.interval = it->second;
  }
  return cell;
}

absl::StatusOr<CellDelta> PairedCellDelta(const ColumnSpec& column, const std::vector<const RunRecord*>& base,
                                          const std::vector<const RunRecord*>& head) {
  absl::StatusOr<const TaskInfo*> task = FindTask(column.task);
  if (!task.ok()) return task.status();
  std::map<int64_t, const RunRecord*> base_by_seed;
  for (const RunRecord* r : base) {
    if (r->status == RunStatus::kOk) base_by_seed[RecordSeed(*r)] = r;
  }
  std::vector<ExampleScores> scores;  // base, head, base, head, ...
  for (const RunRecord* h : head) {
    if (h->status != RunStatus::kOk) continue;
    auto b = base_by_seed.find(RecordSeed(*h));
    if (b == base_by_seed.end()) continue;
    absl::StatusOr<ExampleScores> bs = RecordExampleScores(*b->second), hs = RecordExampleScores(*h);
    if (!bs.ok()) return bs.status();  // every shared seed or none: a delta over some of them would not be
    if (!hs.ok()) return hs.status();  // the cells' difference

    scores.push_back(std::move(*bs));
    scores.push_back(std::move(*hs));
  }
  if (scores.empty()) return absl::NotFoundError(absl::StrFormat("%s: no seed has a run in both rows", column.task));
  std::vector<ScoredPair> pairs;
  for (size_t i = 0; i < scores.size(); i += 2) pairs.push_back({&scores[i], &scores[i + 1]});
  absl::StatusOr<BootstrapInterval> interval = PairedDelta(**task, pairs, column.metric, BootstrapOptions{});
  if (!interval.ok()) return interval.status();
  return CellDelta{*interval, static_cast<int>(pairs.size())};
}

}  // namespace lrb
