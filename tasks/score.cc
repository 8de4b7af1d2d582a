#include "tasks/score.h"

#include <cmath>
#include <numeric>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/file.h"
#include "tasks/metrics/metrics.h"
#include "tasks/metrics/rouge.h"

namespace lrb {
namespace {

absl::Status CheckLabels(const TaskInfo& task, const std::vector<TextExample>& gold,
                         const std::vector<Prediction>& predictions) {
  if (gold.empty()) return absl::InvalidArgumentError(absl::StrFormat("%s: nothing to score", task.id));
  if (gold.size() != predictions.size()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: %d predictions for %d examples", task.id, predictions.size(), gold.size()));
  }
  for (const TextExample& e : gold) {
    if (!e.labeled) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: example %s has no gold label (test splits are unlabeled; score a dev split)", task.id,
                          e.id));
    }
  }
  return absl::OkStatus();
}

// Classification and regression from the predicted and gold values of the examples at `indices`; a metric
// undefined on them is NaN.
std::map<std::string, double> ScoreValues(const TaskInfo& task, const ExampleScores& e,
                                          const std::vector<int64_t>& indices) {
  std::map<std::string, double> out;
  if (task.kind == TaskKind::kClassification) {
    std::vector<int64_t> predicted, labels;
    predicted.reserve(indices.size());
    labels.reserve(indices.size());
    for (int64_t i : indices) {
      predicted.push_back(static_cast<int64_t>(e.predicted[i]));
      labels.push_back(static_cast<int64_t>(e.gold[i]));
    }
    for (Metric metric : task.metrics) {
      absl::StatusOr<double> value = metric == Metric::kAccuracy              ? Accuracy(predicted, labels)
                                     : metric == Metric::kF1                  ? BinaryF1(predicted, labels)
                                     : metric == Metric::kMatthewsCorrelation ? MatthewsCorrelation(predicted, labels)
                                                                              : absl::InternalError("");
      out[MetricName(metric)] = value.ok() ? *value : std::nan("");
    }
    return out;
  }
  std::vector<double> predicted, labels;
  predicted.reserve(indices.size());
  labels.reserve(indices.size());
  for (int64_t i : indices) {
    predicted.push_back(e.predicted[i]);
    labels.push_back(e.gold[i]);
  }
  for (Metric metric : task.metrics) {
    absl::StatusOr<double> value = metric == Metric::kPearson    ? PearsonCorrelation(predicted, labels)
                                   : metric == Metric::kSpearman ? SpearmanCorrelation(predicted, labels)
                                                                 : absl::InternalError("");
    out[MetricName(metric)] = value.ok() ? *value : std::nan("");
  }
  return out;
}

std::vector<int64_t> AllIndices(int64_t n) {
  std::vector<int64_t> all(n);
  std::iota(all.begin(), all.end(), 0);
  return all;
}

// One predictions-file value as a Prediction of this task.
absl::StatusOr<Prediction> ParsePrediction(const TaskInfo& task, const std::string& value) {
  Prediction p;
  switch (task.kind) {
    case TaskKind::kClassification: {
      absl::StatusOr<int> index = task.LabelIndex(value);
      if (!index.ok()) return index.status();
      p.label = static_cast<float>(*index);
      return p;
    }
    case TaskKind::kRegression: {
      double v = 0;
      if (!absl::SimpleAtod(value, &v) || !std::isfinite(v)) {
        return absl::InvalidArgumentError(absl::StrFormat("'%s' is not a finite number", value));
      }
      p.label = static_cast<float>(v);
      return p;
    }
    case TaskKind::kSequenceToSequence:
      p.text = value;
      return p;
  }
  return p;
}

// (id, value) pairs with their line numbers, from either layout.
struct Row {
  int64_t line;
  std::string id;
  std::string value;
};

absl::StatusOr<std::vector<Row>> ReadRows(const std::string& path, const std::string& text) {
  const bool jsonl = absl::EndsWith(path, ".jsonl");
  std::vector<Row> rows;
  int64_t line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    auto bad = [&](const std::string& what) {
      return absl::InvalidArgumentError(absl::StrFormat("%s:%d: %s", path, line_no, what));
    };
    if (jsonl) {
      nlohmann::json j = nlohmann::json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
      if (!j.contains("id") || !j.contains("prediction")) return bad("expected {\"id\": ..., \"prediction\": ...}");
      const nlohmann::json& id = j["id"];
      const nlohmann::json& value = j["prediction"];
      if (!id.is_string() && !id.is_number_integer()) return bad("\"id\" must be a string or an integer");
      if (!value.is_string() && !value.is_number()) return bad("\"prediction\" must be a string or a number");
      rows.push_back({line_no, id.is_string() ? id.get<std::string>() : id.dump(),
                      value.is_string() ? value.get<std::string>() : value.dump()});
    } else {
      std::vector<std::string> cols = absl::StrSplit(line, '\t');
      if (cols.size() != 2) return bad(absl::StrFormat("expected 'index<TAB>prediction', got %d column(s)", cols.size()));
      if (rows.empty() && line_no == 1) {
        if ((cols[0] != "index" && cols[0] != "id") || cols[1] != "prediction") {
          return bad("the first line must be the header 'index<TAB>prediction'");
        }
        continue;
      }
      rows.push_back({line_no, cols[0], cols[1]});
    }
  }
  return rows;
}

}  // namespace

absl::StatusOr<ExampleScores> MakeExampleScores(const TaskInfo& task, const std::vector<TextExample>& gold,
                                                const std::vector<Prediction>& predictions) {
  if (absl::Status s = CheckLabels(task, gold, predictions); !s.ok()) return s;
  ExampleScores e;
  if (task.kind == TaskKind::kSequenceToSequence) {
    for (Metric metric : task.metrics) e.per_document[MetricName(metric)].reserve(gold.size());
    for (size_t i = 0; i < gold.size(); ++i) {
      const RougeScores r = ScoreRouge(gold[i].target, predictions[i].text);
      const std::map<Metric, double> all = {{Metric::kRouge1, r.rouge1.fmeasure},
                                            {Metric::kRouge2, r.rouge2.fmeasure},
                                            {Metric::kRougeL, r.rouge_l.fmeasure},
                                            {Metric::kRougeLsum, r.rouge_lsum.fmeasure}};
      for (Metric metric : task.metrics) e.per_document[MetricName(metric)].push_back(all.at(metric));
    }
    return e;
  }
  const int64_t classes = static_cast<int64_t>(task.label_names.size());
  for (size_t i = 0; i < gold.size(); ++i) {
    const float p = predictions[i].label;
    if (task.kind == TaskKind::kClassification && (!(p >= 0 && p < classes) || p != std::floor(p))) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: prediction %g for example %s is not a class index in [0, %d)", task.id, p, gold[i].id,
                          classes));
    }
    if (task.kind == TaskKind::kRegression && !std::isfinite(p)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: prediction %g for example %s is not a finite number", task.id, p, gold[i].id));
    }
    e.predicted.push_back(p);
    e.gold.push_back(gold[i].label);
  }
  return e;
}

int64_t ExampleScores::size() const {
  if (!per_document.empty()) return static_cast<int64_t>(per_document.begin()->second.size());
  return static_cast<int64_t>(predicted.size());
}

std::map<std::string, double> ScoreExamples(const TaskInfo& task, const ExampleScores& examples,
                                            const std::vector<int64_t>& indices) {
  if (task.kind != TaskKind::kSequenceToSequence) return ScoreValues(task, examples, indices);
  std::map<std::string, double> out;
  for (const auto& [name, scores] : examples.per_document) {
    double sum = 0;
    for (int64_t i : indices) sum += scores[i];
    out[name] = indices.empty() ? std::nan("") : sum / static_cast<double>(indices.size());
  }
  return out;
}

absl::StatusOr<Scores> ScorePredictions(const TaskInfo& task, const std::vector<TextExample>& gold,
                                        const std::vector<Prediction>& predictions) {
  absl::StatusOr<ExampleScores> examples = MakeExampleScores(task, gold, predictions);
  if (!examples.ok()) return examples.status();
  Scores scores;
  scores.count = examples->size();
  scores.metrics = ScoreExamples(task, *examples, AllIndices(scores.count));
  return scores;
}

absl::StatusOr<std::vector<Prediction>> ReadPredictions(const TaskInfo& task, const std::vector<TextExample>& gold,
                                                        const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<std::vector<Row>> rows = ReadRows(path, *text);
  if (!rows.ok()) return rows.status();
  std::unordered_map<std::string, size_t> position;
  for (size_t i = 0; i < gold.size(); ++i) position.emplace(gold[i].id, i);
  std::vector<Prediction> predictions(gold.size());
  std::vector<int64_t> seen_on(gold.size(), 0);
  for (const Row& row : *rows) {
    auto bad = [&](const std::string& what) {
      return absl::InvalidArgumentError(absl::StrFormat("%s:%d: %s", path, row.line, what));
    };
    auto it = position.find(row.id);
    if (it == position.end()) return bad(absl::StrFormat("id %s is not in the split (%d examples)", row.id, gold.size()));
    if (seen_on[it->second] != 0) {
      return bad(absl::StrFormat("duplicate id %s (first on line %d)", row.id, seen_on[it->second]));
    }
    seen_on[it->second] = row.line;
    absl::StatusOr<Prediction> p = ParsePrediction(task, row.value);
    if (!p.ok()) return bad(std::string(p.status().message()));
    predictions[it->second] = std::move(*p);
  }
  int64_t missing = 0;
  std::string first_missing;
  for (size_t i = 0; i < gold.size(); ++i) {
    if (seen_on[i] == 0 && missing++ == 0) first_missing = gold[i].id;
  }
  if (missing > 0) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: no prediction for id %s (%d of %d ids missing)", path,
                                                      first_missing, missing, gold.size()));
  }
  return predictions;
}

absl::StatusOr<std::map<std::string, BootstrapInterval>> BootstrapScores(const TaskInfo& task,
                                                                       const ExampleScores& examples,
                                                                       const BootstrapOptions& options) {
  std::vector<std::string> names;
  for (Metric metric : task.metrics) names.push_back(MetricName(metric));
  // Every metric from the same resamples, each resample scored once.
  const ResampledMetrics metrics = [&](const std::vector<int64_t>& indices) {
    const std::map<std::string, double> s = ScoreExamples(task, examples, indices);
    std::vector<double> values;
    for (const std::string& name : names) values.push_back(s.at(name));
    return values;
  };
  absl::StatusOr<std::vector<BootstrapInterval>> intervals = BootstrapEach(examples.size(), metrics, options);
  if (!intervals.ok()) return intervals.status();
  std::map<std::string, BootstrapInterval> out;
  for (size_t k = 0; k < names.size(); ++k) {
    const BootstrapInterval& b = (*intervals)[k];
    if (b.undefined == 0 && std::isfinite(b.estimate)) out[names[k]] = b;
  }
  return out;
}

absl::StatusOr<BootstrapInterval> PairedDelta(const TaskInfo& task, const std::vector<ScoredPair>& pairs,
                                              const std::string& metric, const BootstrapOptions& options) {
  if (pairs.empty()) return absl::InvalidArgumentError(absl::StrFormat("%s: no pairs to compare", task.id));
  bool known = false;
  for (Metric m : task.metrics) known = known || metric == MetricName(m);
  if (!known) return absl::InvalidArgumentError(absl::StrFormat("%s has no metric '%s'", task.id, metric));
  const int64_t n = pairs.front().base->size();
  for (const ScoredPair& p : pairs) {
    if (p.base->size() != n || p.head->size() != n) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: paired examples differ in number (%d, %d and %d): not the same evaluation examples", task.id, n,
          p.base->size(), p.head->size()));
    }
  }
  const ResampledMetric delta = [&](const std::vector<int64_t>& indices) {
    double sum = 0;
    for (const ScoredPair& p : pairs) {
      sum += ScoreExamples(task, *p.head, indices).at(metric) - ScoreExamples(task, *p.base, indices).at(metric);
    }
    return sum / static_cast<double>(pairs.size());
  };
  return Bootstrap(n, delta, options);
}

}  // namespace lrb
