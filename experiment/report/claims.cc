#include "experiment/report/claims.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "experiment/report/cells.h"
#include "tasks/metric.h"

namespace lrb {
namespace {

// Why a row's cell has no value to compare (its records are those of the column, one per seed).
std::string NoValueReason(const std::string& row, const std::vector<const RunRecord*>& records) {
  if (records.empty()) return absl::StrCat("no record of '", row, "' yet");
  for (const RunRecord* r : records) {
    if (r->status == RunStatus::kNoData) return "no data for the task";
  }
  for (const RunRecord* r : records) {
    if (r->status == RunStatus::kFailed) return absl::StrCat("the run of '", row, "' failed");
  }
  return absl::StrCat("'", row, "' has no finite value of the metric");
}

ClaimColumn EvaluateColumn(const TableSpec& spec, const RecordIndex& index, const ClaimSpec& claim,
                           const ColumnSpec& column) {
  ClaimColumn out;
  out.column = column.name;
  const double scale = column.scale.value_or(spec.scale);
  const std::vector<const RunRecord*> base = index.Find(claim.than, column);
  const std::vector<const RunRecord*> head = index.Find(claim.better, column);
  const CellValue b = CellOf(base, column.metric), h = CellOf(head, column.metric);
  if (h.n == 0 || b.n == 0) {
    out.why = h.n == 0 ? NoValueReason(claim.better, head) : NoValueReason(claim.than, base);
    return out;
  }
  out.mean_difference = (h.mean - b.mean) * scale;
  absl::StatusOr<CellDelta> delta = PairedCellDelta(column, base, head);
  if (!delta.ok()) {
    out.why = absl::IsFailedPrecondition(delta.status()) ? "records without per-example scores"
              : absl::IsNotFound(delta.status())          ? "no seed in both rows"
                                                          : std::string(delta.status().message());
    return out;
  }
  if (delta->interval.undefined > 0) {
    out.why = "the metric is undefined on some resamples (constant predictions): no interval";
    return out;
  }
  out.mean_difference.reset();
  out.estimate = delta->interval.estimate * scale;
  out.low = delta->interval.low * scale;
  out.high = delta->interval.high * scale;
  out.pairs = delta->pairs;
  out.verdict = out.low > -claim.margin    ? Verdict::kReproduced
                : out.high < -claim.margin ? Verdict::kContradicted
                                           : Verdict::kInconclusive;
  return out;
}

// Table points as the tables print deltas: 2 decimals, a real minus sign, "+" on positive values.
std::string Points(double v) {
  std::string s = absl::StrFormat("%.2f", std::fabs(v));
  if (s.find_first_not_of("0.") == std::string::npos) return s;
  return absl::StrCat(v < 0 ? "−" : "+", s);
}

std::string Escape(const std::string& text) {
  return absl::StrReplaceAll(text, {{"|", "\\|"}, {"\n", " "}, {"\r", " "}});
}

// A claim's evidence: the measured columns' deltas with their intervals and verdicts, the other columns'
// differences of means marked as such, then the columns not measured grouped by why.
std::string EvidenceText(const ClaimResult& r) {
  std::vector<std::string> parts;
  std::vector<std::pair<std::string, std::vector<std::string>>> not_measured;  // why -> columns, first-seen order
  for (const ClaimColumn& c : r.columns) {
    if (c.verdict != Verdict::kNotMeasured) {
      parts.push_back(absl::StrCat(c.column, " ", Points(c.estimate), " [", Points(c.low), ", ", Points(c.high), "]",
                                   c.pairs > 1 ? absl::StrCat(" (", c.pairs, " seeds)") : "", " ",
                                   VerdictName(c.verdict)));
      continue;
    }
    if (c.mean_difference) parts.push_back(absl::StrCat(c.column, " ", Points(*c.mean_difference), " (means only)"));
    auto it = std::find_if(not_measured.begin(), not_measured.end(), [&](const auto& g) { return g.first == c.why; });
    if (it == not_measured.end()) it = not_measured.insert(not_measured.end(), {c.why, {}});
    it->second.push_back(c.column);
  }
  std::string text = absl::StrJoin(parts, "; ");
  if (!not_measured.empty()) {
    std::vector<std::string> groups;
    for (const auto& [why, columns] : not_measured) {
      groups.push_back(absl::StrCat(absl::StrJoin(columns, ", "), " (", why, ")"));
    }
    absl::StrAppend(&text, text.empty() ? "" : "; ", "not measured: ", absl::StrJoin(groups, "; "));
  }
  return Escape(text);
}

int MeasuredCount(const ClaimResult& r) {
  return static_cast<int>(std::count_if(r.columns.begin(), r.columns.end(),
                                        [](const ClaimColumn& c) { return c.verdict != Verdict::kNotMeasured; }));
}

std::string VerdictText(const ClaimResult& r) {
  return absl::StrCat("**", VerdictName(r.verdict), "** (", MeasuredCount(r), " of ", r.columns.size(),
                      " columns measured)");
}

std::string ClaimText(const ClaimSpec& c) {
  return absl::StrCat(Escape(c.text), " (`", c.id, "`: ", Escape(c.better), " vs ", Escape(c.than),
                      c.margin > 0 ? absl::StrFormat(", margin %g", c.margin) : "", ")");
}

}  // namespace

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kReproduced: return "reproduced";
    case Verdict::kContradicted: return "contradicted";
    case Verdict::kInconclusive: return "inconclusive";
    case Verdict::kMixed: return "mixed";
    case Verdict::kNotMeasured: break;
  }
  return "not measured";
}

Verdict OverallVerdict(const std::vector<ClaimColumn>& columns) {
  int measured = 0, reproduced = 0, contradicted = 0;
  for (const ClaimColumn& c : columns) {
    if (c.verdict == Verdict::kNotMeasured) continue;
    ++measured;
    reproduced += c.verdict == Verdict::kReproduced;
    contradicted += c.verdict == Verdict::kContradicted;
  }
  if (measured == 0) return Verdict::kNotMeasured;
  if (reproduced == measured) return Verdict::kReproduced;
  if (contradicted == measured) return Verdict::kContradicted;
  if (reproduced > 0 && contradicted > 0) return Verdict::kMixed;
  return Verdict::kInconclusive;
}

std::vector<ClaimResult> EvaluateClaims(const TableSpec& spec, const std::vector<RunRecord>& records,
                                        const std::string& profile) {
  std::vector<ClaimResult> results;
  if (spec.claims.empty() || !spec.grid) return results;
  const std::string profile_name = profile.empty() ? "default" : profile;
  std::set<std::string> rows_filter, tasks_filter;
  if (auto p = spec.profiles.find(profile_name); p != spec.profiles.end()) {
    rows_filter.insert(p->second.rows.begin(), p->second.rows.end());
    tasks_filter.insert(p->second.tasks.begin(), p->second.tasks.end());
  }
  const RecordIndex index(spec, records, profile);
  for (const ClaimSpec& claim : spec.claims) {
    ClaimResult result;
    result.claim = claim;
    std::vector<const ColumnSpec*> columns;
    for (const ColumnSpec& c : spec.columns) {
      const bool named = std::find(claim.columns.begin(), claim.columns.end(), c.name) != claim.columns.end();
      if (claim.columns.empty() ? !c.task.empty() : named) columns.push_back(&c);
    }
    if (claim.columns.empty()) {  // every measured column but the latencies (no per-example scores)
      columns.erase(std::remove_if(columns.begin(), columns.end(),
                                   [](const ColumnSpec* c) {
                                     absl::StatusOr<Metric> m = ParseMetric(c->metric);
                                     return m.ok() && IsLatencyMetric(*m);
                                   }),
                    columns.end());
    } else {  // in the claim's order
      std::sort(columns.begin(), columns.end(), [&](const ColumnSpec* a, const ColumnSpec* b) {
        return std::find(claim.columns.begin(), claim.columns.end(), a->name) <
               std::find(claim.columns.begin(), claim.columns.end(), b->name);
      });
    }
    for (const ColumnSpec* column : columns) {
      std::string left_out;
      for (const std::string* row : {&claim.better, &claim.than}) {
        if (left_out.empty() && !rows_filter.empty() && !rows_filter.count(*row)) {
          left_out = absl::StrCat("profile ", profile_name, " leaves out '", *row, "'");
        }
      }
      if (left_out.empty() && !tasks_filter.empty() && !tasks_filter.count(column->task)) {
        left_out = absl::StrCat("profile ", profile_name, " leaves out the task");  // one group for all such columns
      }
      if (!left_out.empty()) {
        ClaimColumn c;
        c.column = column->name;
        c.why = left_out;
        result.columns.push_back(std::move(c));
        continue;
      }
      result.columns.push_back(EvaluateColumn(spec, index, claim, *column));
    }
    result.verdict = OverallVerdict(result.columns);
    results.push_back(std::move(result));
  }
  return results;
}

std::string ClaimsMarkdown(const std::vector<ClaimResult>& results) {
  if (results.empty()) return "";
  std::string out =
      "Claims of the paper, tested on the measured rows:\n\n"
      "| claim | columns | our delta [95 % interval] | verdict | source |\n|---|---|---|---|---|\n";
  for (const ClaimResult& r : results) {
    std::vector<std::string> names;
    for (const ClaimColumn& c : r.columns) names.push_back(Escape(c.column));
    absl::StrAppend(&out, "| ", ClaimText(r.claim), " | ", absl::StrJoin(names, ", "), " | ", EvidenceText(r), " | ",
                    VerdictText(r), " | ", Escape(r.claim.source), " |\n");
  }
  out +=
      "\nOur delta: the first row minus the second in table points, averaged over the seeds both rows have, with "
      "its paired 95 % bootstrap interval over the same evaluation examples. A column is reproduced when the "
      "interval lies above −margin, contradicted when it lies below, inconclusive when it contains it; a claim is "
      "reproduced (contradicted) when every measured column is, mixed when columns go both ways, otherwise "
      "inconclusive. Columns without paired per-example scores get no verdict and show the difference of the "
      "cells' means only (results/README.md, \"Claims and verdicts\").\n\n";
  return out;
}

std::string ClaimsSummaryMarkdown(const std::vector<TableClaims>& tables) {
  std::string rows;
  std::map<Verdict, int> counts;
  for (const TableClaims& t : tables) {
    for (const ClaimResult& r : t.results) {
      ++counts[r.verdict];
      absl::StrAppend(&rows, "| ", Escape(t.table_id), " | ", ClaimText(r.claim), " | ", VerdictText(r), " | ",
                      Escape(r.claim.source), " |\n");
    }
  }
  if (rows.empty()) return "";
  std::vector<std::string> tally;
  for (Verdict v : {Verdict::kReproduced, Verdict::kContradicted, Verdict::kMixed, Verdict::kInconclusive,
                    Verdict::kNotMeasured}) {
    if (counts[v] > 0) tally.push_back(absl::StrCat(counts[v], " ", VerdictName(v)));
  }
  return absl::StrCat(
      "## Claims of the papers\n\nThe published findings each table's grid can test, with our verdict (the numbers "
      "behind each, per column, open the table's section; the rule is stated there): ",
      absl::StrJoin(tally, ", "), ".\n\n| table | claim | verdict | source |\n|---|---|---|---|\n", rows, "\n");
}

}  // namespace lrb
