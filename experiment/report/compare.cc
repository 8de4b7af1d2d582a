#include "experiment/report/compare.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "base/file.h"
#include "base/status.h"
#include "experiment/report/cells.h"
#include "tasks/score.h"
#include "tasks/task.h"

namespace lrb {
namespace {

using Json = nlohmann::json;

absl::StatusOr<double> NanosecondsPer(const std::string& unit) {
  if (unit == "ns") return 1.0;
  if (unit == "us") return 1e3;
  if (unit == "ms") return 1e6;
  if (unit == "s") return 1e9;
  return absl::InvalidArgumentError("unknown time_unit \"" + unit + "\" (ns, us, ms, s)");
}

// (table, row, task, eval split, profile): a cell; with the seed: a run.
using CellKey = std::tuple<std::string, std::string, std::string, std::string, std::string>;
using RunKey = std::pair<CellKey, int64_t>;  // the seed: RecordSeed (-1: the run trained nothing)

CellKey KeyOf(const RunRecord& r) { return {r.table, r.row, r.task, r.eval_split, r.profile}; }

std::string Describe(const RunKey& k) {
  const auto& [table, row, task, split, profile] = k.first;
  return absl::StrCat(table, " / ", row, " / ", task, " / ", split, " / ", profile.empty() ? "-" : profile,
                      k.second < 0 ? "" : absl::StrCat(" / seed ", k.second));
}

// Each run key of a side to its record; where two share a key, the newer by provenance date, then the larger
// run id (as RecordIndex picks a cell's record).
std::map<RunKey, size_t> IndexRuns(const CompareSide& side, const std::string& which, std::vector<std::string>* notes) {
  std::map<RunKey, size_t> index;
  for (size_t i = 0; i < side.records.size(); ++i) {
    const RunRecord& r = side.records[i];
    const RunKey key{KeyOf(r), RecordSeed(r)};
    auto [it, fresh] = index.emplace(key, i);
    if (fresh) continue;
    const RunRecord& earlier = side.records[it->second];
    const size_t kept =
        std::tie(earlier.provenance.date, earlier.run_id) >= std::tie(r.provenance.date, r.run_id) ? it->second : i;
    const size_t dropped = kept == i ? it->second : i;
    notes->push_back(absl::StrFormat("%s holds two records of %s: %s kept (newer), %s ignored", which,
                                     Describe(key), side.record_paths[kept], side.record_paths[dropped]));
    it->second = kept;
  }
  return index;
}

struct Pair {
  int64_t seed;
  size_t base, head;
};

// The judgement of a delta (points) with its interval (points) or without one.
Change JudgeDelta(double delta, const std::optional<double>& low, const std::optional<double>& high,
                  const CompareOptions& o) {
  if (!low || !high) return delta == 0 ? Change::kNone : Change::kNotJudged;
  if (*high < 0) return -delta > o.max_drop ? Change::kRegression : Change::kWorse;
  if (*low > 0) return Change::kBetter;
  return Change::kNone;
}

// The metrics of one cell over its paired seeds.
absl::Status CompareCell(const CellKey& cell, const std::vector<Pair>& pairs, const CompareSide& base,
                         const CompareSide& head, const CompareOptions& o, Comparison* out) {
  const std::string& task_id = std::get<2>(cell);
  auto blank = [&cell] {
    CellComparison c;
    std::tie(c.table, c.row, c.task, c.eval_split, c.profile) = cell;
    return c;
  };
  // Runs that did not measure on one side or both: no metric to compare.
  std::vector<Pair> measured;
  for (const Pair& p : pairs) {
    const RunRecord &b = base.records[p.base], &h = head.records[p.head];
    if (b.status == RunStatus::kOk && h.status == RunStatus::kOk) {
      measured.push_back(p);
      continue;
    }
    if (b.status != RunStatus::kOk && h.status != RunStatus::kOk) {
      ++out->unmeasured;
      continue;
    }
    CellComparison c = blank();
    c.metric = "(run)";
    c.seeds = {p.seed};
    c.change = b.status == RunStatus::kOk ? Change::kRegression : Change::kBetter;
    c.note = absl::StrFormat("base %s%s, head %s%s", RunStatusName(b.status), b.error.empty() ? "" : ": " + b.error,
                             RunStatusName(h.status), h.error.empty() ? "" : ": " + h.error);
    out->cells.push_back(std::move(c));
  }
  if (measured.empty()) return absl::OkStatus();
  for (const Pair& p : measured) {
    const RunRecord &b = base.records[p.base], &h = head.records[p.head];
    if (b.eval_count != h.eval_count) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: %s has %d evaluation examples, %s has %d: not the same examples, no paired comparison",
          Describe({cell, p.seed}), base.record_paths[p.base], b.eval_count, head.record_paths[p.head], h.eval_count));
    }
    if (b.params_after != h.params_after || b.linear_bits_after != h.linear_bits_after) {
      out->notes.push_back(absl::StrFormat("%s: parameters after compression %d -> %d, bits of the compressed linears "
                                           "%d -> %d (not judged)",
                                           Describe({cell, p.seed}), b.params_after, h.params_after,
                                           b.linear_bits_after, h.linear_bits_after));
    }
  }
  absl::StatusOr<const TaskInfo*> task = FindTask(task_id);
  if (!task.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(base.record_paths[measured[0].base], ": ", task.status().message()));
  }
  // The per-example scores of every record (none: the delta without an interval).
  std::vector<ExampleScores> base_scores, head_scores;
  std::string missing;
  for (const Pair& p : measured) {
    for (auto [side, index, scores] : {std::make_tuple(&base, p.base, &base_scores),
                                       std::make_tuple(&head, p.head, &head_scores)}) {
      absl::StatusOr<ExampleScores> s = RecordExampleScores(side->records[index]);
      if (s.ok()) {
        scores->push_back(std::move(*s));
      } else if (absl::IsFailedPrecondition(s.status()) || absl::IsNotFound(s.status())) {
        if (missing.empty()) missing = side->record_paths[index];
      } else {
        return absl::InvalidArgumentError(absl::StrCat(side->record_paths[index], ": ", s.status().message()));
      }
    }
  }
  std::vector<ScoredPair> scored;
  if (missing.empty()) {
    for (size_t i = 0; i < measured.size(); ++i) scored.push_back({&base_scores[i], &head_scores[i]});
  }
  std::set<std::string> metrics;
  for (const auto& [name, value] : base.records[measured[0].base].metrics) metrics.insert(name);
  for (const Pair& p : measured) {
    for (const RunRecord* r : {&base.records[p.base], &head.records[p.head]}) {
      for (auto it = metrics.begin(); it != metrics.end();) {
        if (r->metrics.count(*it)) {
          ++it;
          continue;
        }
        out->notes.push_back(absl::StrFormat("%s: metric %s is not in every record, not compared",
                                             Describe({cell, p.seed}), *it));
        it = metrics.erase(it);
      }
    }
  }
  for (const std::string& metric : metrics) {
    CellComparison c = blank();
    c.metric = metric;
    c.examples = base.records[measured[0].base].eval_count;
    for (const Pair& p : measured) {
      c.seeds.push_back(p.seed);
      c.base += base.records[p.base].metrics.at(metric) / measured.size();
      c.head += head.records[p.head].metrics.at(metric) / measured.size();
    }
    c.delta_points = (c.head - c.base) * 100;
    if (!std::isfinite(c.base) || !std::isfinite(c.head)) {
      c.note = "the metric is undefined on one side";
      c.change = Change::kNotJudged;
      out->cells.push_back(std::move(c));
      continue;
    }
    if (!missing.empty()) {
      c.note = "no per-example scores in " + missing + ": no interval";
    } else {
      absl::StatusOr<BootstrapInterval> d = PairedDelta(**task, scored, metric, o.bootstrap);
      if (!d.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(Describe({cell, measured[0].seed}), " ", metric, ": ",
                                                       d.status().message()));
      }
      if (d->undefined > 0) {
        c.note = absl::StrFormat("the metric is undefined on %d of %d resamples: no interval", d->undefined,
                                 o.bootstrap.resamples);
      } else {
        c.low_points = d->low * 100;
        c.high_points = d->high * 100;
      }
    }
    c.change = JudgeDelta(c.delta_points, c.low_points, c.high_points, o);
    out->cells.push_back(std::move(c));
  }
  return absl::OkStatus();
}

BenchmarkComparison CompareBenchmark(const BenchmarkCase& b, const BenchmarkCase& h, const CompareOptions& o) {
  BenchmarkComparison c;
  c.name = b.name;
  c.base = b;
  c.head = h;
  if (!b.error.empty() || !h.error.empty()) {
    c.change = Change::kNotJudged;
    c.note = !b.error.empty() ? "base: " + b.error : "head: " + h.error;
    return c;
  }
  if (!(b.mean_ns > 0) || !(h.mean_ns > 0)) {
    c.change = Change::kNotJudged;
    c.note = "a real time of 0";
    return c;
  }
  c.ratio = h.mean_ns / b.mean_ns;
  c.low = (h.mean_ns - h.stddev_ns) / (b.mean_ns + b.stddev_ns);
  c.high = b.mean_ns > b.stddev_ns ? (h.mean_ns + h.stddev_ns) / (b.mean_ns - b.stddev_ns)
                                   : std::numeric_limits<double>::infinity();
  if (b.repetitions < 2 || h.repetitions < 2) {
    c.change = Change::kNotJudged;
    c.note = "one repetition: no spread (run with --benchmark_repetitions=5)";
  } else if (c.low > 1) {
    c.change = c.ratio > o.max_slowdown ? Change::kRegression : Change::kWorse;
  } else if (c.high < 1) {
    c.change = Change::kBetter;
  }
  return c;
}

absl::Status AddBenchmarks(const std::string& path, std::vector<BenchmarkCase> cases, CompareSide* side) {
  for (BenchmarkCase& c : cases) {
    if (std::any_of(side->benchmarks.begin(), side->benchmarks.end(),
                    [&](const BenchmarkCase& other) { return other.name == c.name; })) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: benchmark %s is also in an earlier file of the same side", path, c.name));
    }
    side->benchmarks.push_back(std::move(c));
  }
  return absl::OkStatus();
}

std::string Points(double v) { return absl::StrFormat("%.2f", v); }
std::string Signed(double v) { return absl::StrFormat("%+.2f", v); }

std::string Cell(const std::string& text) { return absl::StrReplaceAll(text, {{"|", "\\|"}, {"\n", " "}}); }

std::string Time(double ns) {
  if (ns >= 1e9) return absl::StrFormat("%.3g s", ns / 1e9);
  if (ns >= 1e6) return absl::StrFormat("%.3g ms", ns / 1e6);
  if (ns >= 1e3) return absl::StrFormat("%.3g us", ns / 1e3);
  return absl::StrFormat("%.3g ns", ns);
}

std::string Seeds(const std::vector<int64_t>& seeds) {
  std::vector<std::string> out;
  for (int64_t s : seeds) out.push_back(s < 0 ? "-" : absl::StrCat(s));
  return absl::StrJoin(out, ", ");
}

std::string Ratio(double r) { return std::isfinite(r) ? absl::StrFormat("%.3f", r) : "inf"; }

}  // namespace

const char* ChangeName(Change change) {
  switch (change) {
    case Change::kNone: return "";
    case Change::kBetter: return "better";
    case Change::kWorse: return "worse (within threshold)";
    case Change::kRegression: return "**REGRESSION**";
    case Change::kNotJudged: return "not judged";
  }
  return "";
}

int Comparison::Regressions() const {
  int n = 0;
  for (const CellComparison& c : cells) n += c.change == Change::kRegression;
  for (const BenchmarkComparison& b : benchmarks) n += b.change == Change::kRegression;
  return n;
}

absl::StatusOr<std::vector<BenchmarkCase>> ParseBenchmarkJson(const std::string& text, const std::string& path) {
  const Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("benchmarks") || !j["benchmarks"].is_array()) {
    return absl::InvalidArgumentError(path + ": not Google Benchmark JSON (no \"benchmarks\" array)");
  }
  struct Times {
    std::vector<double> repetitions;  // ns
    std::optional<double> mean, stddev;
    int aggregate_repetitions = 0;
    std::string error;
  };
  std::vector<std::string> order;
  std::map<std::string, Times> by_name;
  const Json& entries = j["benchmarks"];
  for (size_t i = 0; i < entries.size(); ++i) {
    const Json& e = entries[i];
    auto bad = [&](const std::string& what) {
      return absl::InvalidArgumentError(absl::StrFormat("%s: benchmarks[%d]: %s", path, i, what));
    };
    if (!e.is_object() || !e.contains("name") || !e["name"].is_string()) return bad("no \"name\"");
    const std::string name = e.contains("run_name") && e["run_name"].is_string() ? e["run_name"].get<std::string>()
                                                                                  : e["name"].get<std::string>();
    if (!by_name.count(name)) order.push_back(name);
    Times& t = by_name[name];
    if (e.value("error_occurred", false)) {
      t.error = e.value("error_message", std::string("error_occurred"));
      continue;
    }
    if (!e.contains("real_time") || !e["real_time"].is_number() || !std::isfinite(e["real_time"].get<double>())) {
      return bad("no finite \"real_time\"");
    }
    absl::StatusOr<double> unit = NanosecondsPer(e.value("time_unit", std::string("ns")));
    if (!unit.ok()) return bad(std::string(unit.status().message()));
    const double ns = e["real_time"].get<double>() * *unit;
    if (e.value("run_type", std::string("iteration")) != "aggregate") {
      t.repetitions.push_back(ns);
      continue;
    }
    const std::string aggregate = e.value("aggregate_name", std::string());
    if (aggregate == "mean") {
      t.mean = ns;
      t.aggregate_repetitions = e.value("repetitions", 0);
    } else if (aggregate == "stddev") {
      t.stddev = ns;
    }  // median, cv, big O and the user's own aggregates: not used
  }
  std::vector<BenchmarkCase> cases;
  for (const std::string& name : order) {
    const Times& t = by_name[name];
    BenchmarkCase c;
    c.name = name;
    c.error = t.error;
    if (!t.repetitions.empty()) {
      const double n = t.repetitions.size();
      double sum = 0, squares = 0;
      for (double v : t.repetitions) sum += v;
      c.mean_ns = sum / n;
      for (double v : t.repetitions) squares += (v - c.mean_ns) * (v - c.mean_ns);
      c.stddev_ns = n > 1 ? std::sqrt(squares / (n - 1)) : 0;
      c.repetitions = static_cast<int>(n);
    } else if (t.mean) {
      c.mean_ns = *t.mean;
      c.stddev_ns = t.stddev.value_or(0);
      c.repetitions = t.stddev ? t.aggregate_repetitions : 1;
    } else if (c.error.empty()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: benchmark %s has neither repetitions nor a \"mean\" aggregate", path, name));
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

absl::StatusOr<CompareSide> ReadCompareSide(const std::optional<std::string>& path,
                                            const std::optional<std::string>& bench_path) {
  CompareSide side;
  std::vector<std::string> labels;
  if (path) {
    labels.push_back(*path);
    if (IsDirectory(*path)) {
      const std::string runs = *path + "/runs";
      if (!IsDirectory(runs)) {
        return absl::NotFoundError(*path + ": no runs/ folder (not an output directory of lrbench reproduce)");
      }
      absl::StatusOr<std::vector<RunRecord>> records = ReadRecords(runs, "");
      if (!records.ok()) return records.status();
      if (records->empty()) return absl::NotFoundError(runs + ": no run records");
      side.records = std::move(*records);
      for (const RunRecord& r : side.records) {
        side.record_paths.push_back(absl::StrCat(runs, "/", r.table, "/", r.run_id, ".json"));
      }
    } else if (IsRegularFile(*path)) {
      absl::StatusOr<std::string> text = ReadFile(*path);
      if (!text.ok()) return text.status();
      const Json j = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
      if (j.is_object() && j.contains("benchmarks")) {
        absl::StatusOr<std::vector<BenchmarkCase>> cases = ParseBenchmarkJson(*text, *path);
        if (!cases.ok()) return cases.status();
        LRB_RETURN_IF_ERROR(AddBenchmarks(*path, std::move(*cases), &side));
      } else if (j.is_object() && j.contains("run_id")) {
        absl::StatusOr<RunRecord> record = RecordFromJson(*text, *path);
        if (!record.ok()) return record.status();
        side.records.push_back(std::move(*record));
        side.record_paths.push_back(*path);
      } else {
        return absl::InvalidArgumentError(*path + ": neither a run record nor Google Benchmark JSON");
      }
    } else {
      return absl::NotFoundError(*path + ": no such file or directory");
    }
  }
  if (bench_path) {
    labels.push_back(*bench_path);
    absl::StatusOr<std::string> text = ReadFile(*bench_path);
    if (!text.ok()) return text.status();
    absl::StatusOr<std::vector<BenchmarkCase>> cases = ParseBenchmarkJson(*text, *bench_path);
    if (!cases.ok()) return cases.status();
    LRB_RETURN_IF_ERROR(AddBenchmarks(*bench_path, std::move(*cases), &side));
  }
  side.label = absl::StrJoin(labels, " + ");
  return side;
}

absl::StatusOr<Comparison> Compare(const CompareSide& base, const CompareSide& head, const CompareOptions& o) {
  Comparison out;
  out.base_label = base.label;
  out.head_label = head.label;
  out.base_records = base.records.size();
  out.head_records = head.records.size();
  out.base_benchmarks = base.benchmarks.size();
  out.head_benchmarks = head.benchmarks.size();
  const std::map<RunKey, size_t> base_runs = IndexRuns(base, "base", &out.notes);
  const std::map<RunKey, size_t> head_runs = IndexRuns(head, "head", &out.notes);
  std::map<CellKey, std::vector<Pair>> cells;
  for (const auto& [key, index] : base_runs) {
    auto it = head_runs.find(key);
    if (it == head_runs.end()) {
      out.base_only.push_back(absl::StrCat(Describe(key), " (", base.record_paths[index], ")"));
    } else {
      cells[key.first].push_back({key.second, index, it->second});
    }
  }
  for (const auto& [key, index] : head_runs) {
    if (!base_runs.count(key)) out.head_only.push_back(absl::StrCat(Describe(key), " (", head.record_paths[index], ")"));
  }
  for (const auto& [cell, pairs] : cells) LRB_RETURN_IF_ERROR(CompareCell(cell, pairs, base, head, o, &out));

  for (const BenchmarkCase& b : base.benchmarks) {
    auto it = std::find_if(head.benchmarks.begin(), head.benchmarks.end(),
                           [&](const BenchmarkCase& h) { return h.name == b.name; });
    if (it == head.benchmarks.end()) {
      out.base_only.push_back("benchmark " + b.name);
    } else {
      out.benchmarks.push_back(CompareBenchmark(b, *it, o));
    }
  }
  for (const BenchmarkCase& h : head.benchmarks) {
    if (std::none_of(base.benchmarks.begin(), base.benchmarks.end(),
                     [&](const BenchmarkCase& b) { return b.name == h.name; })) {
      out.head_only.push_back("benchmark " + h.name);
    }
  }
  return out;
}

std::string CompareMarkdown(const Comparison& c, const CompareOptions& o) {
  std::string md = "# lrbench compare\n\n";
  absl::StrAppend(&md, absl::StrFormat("Base: `%s` (%d run records, %d benchmarks). Head: `%s` (%d run records, %d "
                                       "benchmarks).\n\n",
                                       c.base_label, c.base_records, c.base_benchmarks, c.head_label,
                                       c.head_records, c.head_benchmarks));
  const int regressions = c.Regressions();
  absl::StrAppend(&md, regressions == 0 ? "**No regression.**" : absl::StrFormat("**%d regression(s).**", regressions),
                  absl::StrFormat(
                      " A regression is an accuracy drop larger than %.2f points (metric x 100) whose paired %g %% "
                      "bootstrap interval lies below zero, or a real-time ratio head/base above %.2f whose spread "
                      "lies above 1; a failed run where the base measured is one too. Improvements are reported, "
                      "never failures.\n",
                      o.max_drop, o.bootstrap.confidence * 100, o.max_slowdown));
  if (!c.cells.empty()) {
    absl::StrAppend(
        &md, "\n## Accuracy\n\n",
        absl::StrFormat(
            "Points (metric x 100), the mean over the paired seeds. Delta: head - base; interval: paired "
            "bootstrap over the evaluation examples (%d resamples, seed %d; one draw of examples scores every "
            "seed's pair), flagged where it excludes zero.\n\n",
            o.bootstrap.resamples, o.bootstrap.seed),
        "| table | row | task | split | profile | metric | seeds | examples | base | head | delta | interval | "
        "change |\n|---|---|---|---|---|---|---|---:|---:|---:|---:|---|---|\n");
    for (const CellComparison& x : c.cells) {
      const bool run_only = x.metric == "(run)";
      std::string interval = x.low_points ? absl::StrFormat("[%s, %s]", Signed(*x.low_points), Signed(*x.high_points))
                                          : x.note;
      if (x.low_points && !x.note.empty()) absl::StrAppend(&interval, "; ", x.note);
      absl::StrAppend(&md, absl::StrFormat("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                                           Cell(x.table), Cell(x.row), Cell(x.task), Cell(x.eval_split),
                                           Cell(x.profile), Cell(x.metric), Cell(Seeds(x.seeds)),
                                           run_only ? "" : absl::StrCat(x.examples),
                                           run_only ? "" : Points(x.base * 100), run_only ? "" : Points(x.head * 100),
                                           run_only ? "" : Signed(x.delta_points), Cell(interval),
                                           ChangeName(x.change)));
    }
  }
  if (!c.benchmarks.empty()) {
    absl::StrAppend(&md, "\n## Speed\n\n",
                    "Google Benchmark real time, mean over the repetitions (± their standard deviation). Ratio: "
                    "head / base; spread: the extreme ratios of mean -/+ one standard deviation on each side, "
                    "flagged where it excludes 1.\n\n",
                    "| benchmark | base | head | repetitions | ratio | spread | change |\n"
                    "|---|---:|---:|---|---:|---|---|\n");
    for (const BenchmarkComparison& b : c.benchmarks) {
      const bool timed = b.base.error.empty() && b.head.error.empty();
      std::string spread = b.ratio > 0 ? absl::StrFormat("[%s, %s]", Ratio(b.low), Ratio(b.high)) : "";
      if (!b.note.empty()) spread = spread.empty() ? b.note : spread + "; " + b.note;
      absl::StrAppend(
          &md, absl::StrFormat("| %s | %s | %s | %d / %d | %s | %s | %s |\n", Cell(b.name),
                               timed ? Time(b.base.mean_ns) + " ± " + Time(b.base.stddev_ns) : "",
                               timed ? Time(b.head.mean_ns) + " ± " + Time(b.head.stddev_ns) : "",
                               b.base.repetitions, b.head.repetitions, b.ratio > 0 ? Ratio(b.ratio) : "", Cell(spread),
                               ChangeName(b.change)));
    }
  }
  if (!c.base_only.empty() || !c.head_only.empty()) {
    absl::StrAppend(&md, "\n## Without a counterpart\n\n");
    for (const std::string& s : c.base_only) absl::StrAppend(&md, "- only in base: ", s, "\n");
    for (const std::string& s : c.head_only) absl::StrAppend(&md, "- only in head: ", s, "\n");
  }
  if (!c.notes.empty() || c.unmeasured > 0) {
    absl::StrAppend(&md, "\n## Notes\n\n");
    if (c.unmeasured > 0) {
      absl::StrAppend(&md, absl::StrFormat("- %d run(s) measured on neither side (failed or without data on both), "
                                           "not compared\n",
                                           c.unmeasured));
    }
    for (const std::string& s : c.notes) absl::StrAppend(&md, "- ", s, "\n");
  }
  return md;
}

}  // namespace lrb
