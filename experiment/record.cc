#include "experiment/record.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/file.h"

namespace lrb {
namespace {

using Json = nlohmann::json;

Json HashToJson(const FileHash& h) { return {{"path", h.path}, {"sha256", h.sha256}, {"bytes", h.bytes}}; }

}  // namespace

const char* RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kOk:
      return "ok";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kNoData:
      return "no_data";
  }
  return "?";
}

absl::StatusOr<RunStatus> ParseRunStatus(const std::string& name) {
  for (RunStatus s : {RunStatus::kOk, RunStatus::kFailed, RunStatus::kNoData}) {
    if (name == RunStatusName(s)) return s;
  }
  return absl::InvalidArgumentError(absl::StrFormat("unknown run status \"%s\" (ok, failed, no_data)", name));
}

std::string RecordToJson(const RunRecord& r) {
  Json j;
  j["schema"] = r.schema;
  j["run_id"] = r.run_id;
  j["table"] = r.table;
  j["row"] = r.row;
  j["task"] = r.task;
  j["profile"] = r.profile;
  j["status"] = RunStatusName(r.status);
  if (!r.error.empty()) j["error"] = r.error;
  j["spec"] = Json::parse(r.spec_json.empty() ? "{}" : r.spec_json, nullptr, false);
  j["eval_split"] = r.eval_split;
  j["metrics"] = Json::object();
  for (const auto& [name, value] : r.metrics) {
    j["metrics"][name] = std::isfinite(value) ? Json(value) : Json(nullptr);  // undefined (e.g. constant predictions)
  }
  j["eval_count"] = r.eval_count;
  j["train_count"] = r.train_count;
  j["params"] = {{"before", r.params_before},
                 {"after", r.params_after},
                 {"linears_before", r.linear_params_before},
                 {"linears_after", r.linear_params_after},
                 {"linears_bits_after", r.linear_bits_after},
                 {"compressed_linears", r.compressed_linears},
                 {"mean_rel_error", r.mean_rel_error}};
  if (r.trainable_params > 0) j["params"]["trainable"] = r.trainable_params;
  if (!r.method_info.empty()) j["method_info"] = r.method_info;
  // Only when present: records before they existed read and write as they were.
  for (const auto& [name, i] : r.intervals) {
    j["intervals"][name] = {{"low", i.low}, {"high", i.high}, {"stderr", i.standard_error}};
  }
  if (!r.predicted_labels.empty()) j["predictions"] = r.predicted_labels;
  if (!r.predicted_texts.empty()) j["predictions"] = r.predicted_texts;
  if (!r.reference_labels.empty()) j["references"] = r.reference_labels;
  if (!r.document_scores.empty()) j["document_scores"] = r.document_scores;
  j["seconds"] = {{"base_finetune", r.base_finetune_seconds},
                  {"statistics", r.statistics_seconds},
                  {"compression", r.compression_seconds},
                  {"refinetune", r.refinetune_seconds},
                  {"evaluation", r.evaluation_seconds}};
  j["base_cached"] = r.base_cached;
  if (r.forward_ms) {
    j["forward"] = {{"ms", *r.forward_ms}, {"batch", r.forward_batch}, {"seq", r.forward_seq}};
    if (r.base_forward_ms) j["forward"]["base_ms"] = *r.base_forward_ms;
  }
  j["backend"] = r.backend;
  const Provenance& p = r.provenance;
  Json files = Json::object();
  for (const auto& [name, h] : p.files) files[name] = HashToJson(h);
  j["provenance"] = {{"git_sha", p.git_sha}, {"git_dirty", p.git_dirty}, {"date", p.date}, {"host", p.host},
                     {"cpu", p.cpu},         {"gpu", p.gpu},             {"threads", p.threads},
                     {"versions", p.versions}, {"files", files}};
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

absl::StatusOr<RunRecord> RecordFromJson(const std::string& text, const std::string& path) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return absl::InvalidArgumentError(path + ": not a JSON object");
  try {
    RunRecord r;
    r.schema = j.at("schema").get<int>();
    if (r.schema != 1) return absl::InvalidArgumentError(absl::StrFormat("%s: schema %d, expected 1", path, r.schema));
    r.run_id = j.at("run_id").get<std::string>();
    r.table = j.at("table").get<std::string>();
    r.row = j.at("row").get<std::string>();
    r.task = j.at("task").get<std::string>();
    r.profile = j.value("profile", "");
    absl::StatusOr<RunStatus> status = ParseRunStatus(j.at("status").get<std::string>());
    if (!status.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", status.status().message()));
    r.status = *status;
    r.error = j.value("error", "");
    r.spec_json = j.at("spec").dump();
    r.eval_split = j.value("eval_split", "");
    for (const auto& [name, value] : j.at("metrics").items()) {
      r.metrics[name] = value.is_null() ? std::nan("") : value.get<double>();
    }
    r.eval_count = j.value("eval_count", int64_t{0});
    r.train_count = j.value("train_count", int64_t{0});
    const Json& params = j.at("params");
    r.params_before = params.at("before").get<int64_t>();
    r.params_after = params.at("after").get<int64_t>();
    r.linear_params_before = params.at("linears_before").get<int64_t>();
    r.linear_params_after = params.at("linears_after").get<int64_t>();
    r.linear_bits_after = params.value("linears_bits_after", int64_t{0});
    r.compressed_linears = params.at("compressed_linears").get<int64_t>();
    r.mean_rel_error = params.at("mean_rel_error").get<double>();
    r.trainable_params = params.value("trainable", int64_t{0});
    if (j.contains("method_info")) r.method_info = j["method_info"].get<std::map<std::string, double>>();
    if (j.contains("intervals")) {
      for (const auto& [name, i] : j.at("intervals").items()) {
        r.intervals[name] = {i.at("low").get<double>(), i.at("high").get<double>(), i.at("stderr").get<double>()};
      }
    }
    if (j.contains("predictions") && !j.at("predictions").empty()) {
      if (j.at("predictions").front().is_string()) {
        r.predicted_texts = j.at("predictions").get<std::vector<std::string>>();
      } else {
        r.predicted_labels = j.at("predictions").get<std::vector<double>>();
      }
    }
    if (j.contains("references")) r.reference_labels = j.at("references").get<std::vector<double>>();
    if (j.contains("document_scores")) {
      r.document_scores = j.at("document_scores").get<std::map<std::string, std::vector<double>>>();
    }
    const Json& s = j.at("seconds");
    r.base_finetune_seconds = s.at("base_finetune").get<double>();
    r.statistics_seconds = s.at("statistics").get<double>();
    r.compression_seconds = s.at("compression").get<double>();
    r.refinetune_seconds = s.at("refinetune").get<double>();
    r.evaluation_seconds = s.at("evaluation").get<double>();
    r.base_cached = j.value("base_cached", false);
    if (j.contains("forward")) {
      r.forward_ms = j["forward"].at("ms").get<double>();
      r.forward_batch = j["forward"].at("batch").get<int64_t>();
      r.forward_seq = j["forward"].at("seq").get<int64_t>();
      if (j["forward"].contains("base_ms")) r.base_forward_ms = j["forward"]["base_ms"].get<double>();
    }
    r.backend = j.value("backend", "");
    const Json& p = j.at("provenance");
    r.provenance.git_sha = p.value("git_sha", "");
    r.provenance.git_dirty = p.value("git_dirty", false);
    r.provenance.date = p.value("date", "");
    r.provenance.host = p.value("host", "");
    r.provenance.cpu = p.value("cpu", "");
    r.provenance.gpu = p.value("gpu", "");
    r.provenance.threads = p.value("threads", 0);
    r.provenance.versions = p.value("versions", std::map<std::string, std::string>{});
    if (p.contains("files")) {
      for (const auto& [name, h] : p["files"].items()) {
        r.provenance.files[name] = {h.value("path", ""), h.value("sha256", ""), h.value("bytes", int64_t{0})};
      }
    }
    return r;
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: malformed run record (%s)", path, e.what()));
  }
}

absl::StatusOr<std::vector<RunRecord>> ReadRecords(const std::string& dir, const std::string& table) {
  std::vector<std::string> files;
  std::error_code ec;
  const std::string root = table.empty() ? dir : dir + "/" + table;
  if (!std::filesystem::is_directory(root, ec)) return std::vector<RunRecord>{};
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  std::vector<RunRecord> records;
  for (const std::string& file : files) {
    absl::StatusOr<std::string> text = ReadFile(file);
    if (!text.ok()) return text.status();
    absl::StatusOr<RunRecord> record = RecordFromJson(*text, file);
    if (!record.ok()) return record.status();
    records.push_back(std::move(*record));
  }
  return records;
}

absl::StatusOr<ExampleScores> RecordExampleScores(const RunRecord& r) {
  const std::string run = absl::StrFormat("run %s (%s / %s / %s)", r.run_id, r.table, r.row, r.task);
  ExampleScores e;
  if (!r.document_scores.empty()) {
    e.per_document = r.document_scores;
  } else if (!r.predicted_labels.empty() && !r.reference_labels.empty()) {
    e.predicted = r.predicted_labels;
    e.gold = r.reference_labels;
    if (e.predicted.size() != e.gold.size()) {
      return absl::InvalidArgumentError(absl::StrFormat("%s: %d predictions but %d references", run,
                                                        e.predicted.size(), e.gold.size()));
    }
  } else {
    return absl::FailedPreconditionError(
        absl::StrFormat("%s has no per-example scores (%s)", run,
                        r.status != RunStatus::kOk ? "it did not run to the end" : "recorded before records kept them"));
  }
  for (const auto& [name, scores] : e.per_document) {
    if (static_cast<int64_t>(scores.size()) != e.size()) {
      return absl::InvalidArgumentError(absl::StrFormat("%s: document_scores of %s has %d entries, %s has %d", run, name,
                                                        scores.size(), e.per_document.begin()->first, e.size()));
    }
  }
  if (e.size() != r.eval_count) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: %d per-example scores for eval_count %d", run, e.size(), r.eval_count));
  }
  return e;
}

}  // namespace lrb
