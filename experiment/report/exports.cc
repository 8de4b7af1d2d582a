#include "experiment/report/exports.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "experiment/report/cells.h"
#include "experiment/report/report.h"
#include "tasks/metric.h"

namespace lrb {
namespace {

using Json = nlohmann::json;

std::string EntryKey(const RunRecord& r) {
  std::string key = absl::StrCat(r.table, "/", r.row, "/", r.task);
  if (!r.eval_split.empty()) absl::StrAppend(&key, "/", r.eval_split);
  return key;
}

// Records in table, row, task, split, seed order (the order of the spec's rows, then the rest by name).
std::vector<const RunRecord*> Ordered(const TableRecords& t) {
  std::vector<const RunRecord*> out;
  for (const RunRecord& r : t.records) out.push_back(&r);
  auto row_index = [&](const std::string& label) {
    if (t.spec != nullptr && t.spec->grid) {
      for (size_t i = 0; i < t.spec->grid->rows.size(); ++i) {
        if (t.spec->grid->rows[i].label == label) return static_cast<int>(i);
      }
    }
    return 1 << 30;
  };
  std::map<const RunRecord*, int64_t> seed;  // parsed once per record, not once per comparison
  for (const RunRecord* r : out) seed[r] = RecordSeed(*r);
  std::sort(out.begin(), out.end(), [&](const RunRecord* a, const RunRecord* b) {
    return std::make_tuple(a->table, row_index(a->row), a->row, a->task, a->eval_split, seed[a], a->run_id) <
           std::make_tuple(b->table, row_index(b->row), b->row, b->task, b->eval_split, seed[b], b->run_id);
  });
  return out;
}

Json Number(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

std::string Field(double v) { return std::isfinite(v) ? absl::StrFormat("%.17g", v) : ""; }

}  // namespace

std::string ResultsJson(const std::vector<TableRecords>& tables, const std::string& profile) {
  Json results = Json::object(), configs = Json::object(), samples = Json::object(), seeds = Json::object(),
       higher = Json::object();
  std::string model, git_hash, date;
  for (const TableRecords& t : tables) {
    std::map<std::string, std::vector<const RunRecord*>> entries;
    for (const RunRecord* r : Ordered(t)) {
      if (r->status == RunStatus::kOk) entries[EntryKey(*r)].push_back(r);
    }
    for (const auto& [key, records] : entries) {
      const RunRecord& first = *records.front();
      Json entry = {{"alias", key}};
      for (const auto& [metric, unused] : first.metrics) {
        const CellValue cell = CellOf(records, metric);
        if (cell.n == 0) {
          entry[metric + ",none"] = nullptr;
          continue;
        }
        entry[metric + ",none"] = cell.mean;
        if (cell.n >= 2) {
          entry[metric + "_stderr,none"] = cell.sd / std::sqrt(static_cast<double>(cell.n));
          entry[metric + "_seed_sd,none"] = cell.sd;
        } else {
          entry[metric + "_stderr,none"] =
              cell.interval ? Number(cell.interval->standard_error) : Json(nullptr);  // "N/A" in the harness
        }
        absl::StatusOr<Metric> m = ParseMetric(metric);
        higher[key][metric] = !(m.ok() && *m == Metric::kForwardMs);
      }
      results[key] = entry;
      configs[key] = Json::parse(first.spec_json, nullptr, /*allow_exceptions=*/false);
      samples[key] = {{"original", first.eval_count}, {"effective", first.eval_count}};
      Json seed_list = Json::array();
      for (const RunRecord* r : records) seed_list.push_back(RecordSeed(*r));
      seeds[key] = seed_list;
      for (const RunRecord* r : records) {
        if (r->provenance.date > date) {
          date = r->provenance.date;
          git_hash = r->provenance.git_sha;
        }
      }
      if (model.empty() && t.spec != nullptr && t.spec->grid) model = t.spec->grid->model_label;
    }
  }
  Json out = {{"results", results},     {"configs", configs},
              {"n-samples", samples},   {"seeds", seeds},
              {"higher_is_better", higher},
              {"config", {{"profile", profile}, {"model", model}}},
              {"git_hash", git_hash},   {"date", date},
              {"lrbench", {{"schema", 1}}}};
  return out.dump(2) + "\n";
}

std::string TidyCsv(const std::vector<TableRecords>& tables) {
  std::string out =
      "table,row,task,eval_split,seed,profile,status,metric,value,ci_low,ci_high,stderr,eval_count,params_before,"
      "params_after,run_id,git_sha,date\n";
  for (const TableRecords& t : tables) {
    for (const RunRecord* r : Ordered(t)) {
      const int64_t seed = RecordSeed(*r);
      auto line = [&](const std::string& metric, const std::string& value, const std::string& low,
                      const std::string& high, const std::string& stderr_text) {
        const std::vector<std::string> fields = {CsvField(r->table),
                                                 CsvField(r->row),
                                                 CsvField(r->task),
                                                 CsvField(r->eval_split),
                                                 seed < 0 ? "" : absl::StrCat(seed),
                                                 CsvField(r->profile),
                                                 RunStatusName(r->status),
                                                 CsvField(metric),
                                                 value,
                                                 low,
                                                 high,
                                                 stderr_text,
                                                 absl::StrCat(r->eval_count),
                                                 absl::StrCat(r->params_before),
                                                 absl::StrCat(r->params_after),
                                                 r->run_id,
                                                 r->provenance.git_sha,
                                                 r->provenance.date};
        absl::StrAppend(&out, absl::StrJoin(fields, ","), "\n");
      };
      if (r->status != RunStatus::kOk || r->metrics.empty()) {
        line("", "", "", "", "");
        continue;
      }
      for (const auto& [metric, value] : r->metrics) {
        auto it = r->intervals.find(metric);
        if (it == r->intervals.end()) {
          line(metric, Field(value), "", "", "");
        } else {
          line(metric, Field(value), Field(it->second.low), Field(it->second.high), Field(it->second.standard_error));
        }
      }
    }
  }
  return out;
}

}  // namespace lrb
