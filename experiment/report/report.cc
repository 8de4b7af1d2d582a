#include "experiment/report/report.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "experiment/report/cells.h"
#include "experiment/report/claims.h"
#include "experiment/report/svg_plot.h"
#include "experiment/stages/registry.h"
#include "methods/budget.h"
#include "tasks/metric.h"

namespace lrb {
namespace {

constexpr const char* kPendingIssue = "pending (issue #7)";

enum class CellKind { kValue, kDash, kFailed, kNoData, kPending };

struct Cell {
  CellKind kind = CellKind::kDash;
  double value = 0;  // measured: the mean over seeds
  int decimals = 2;
  std::optional<double> delta;  // to the row's baseline, printed with `decimals`
  // Measured cells: one seed's 95 % bootstrap interval over the evaluation examples, or the standard deviation
  // over `seeds` seeds; whether the delta's paired interval excludes zero.
  std::optional<std::pair<double, double>> interval;
  std::optional<double> sd;
  int seeds = 1;
  bool delta_significant = false;
};

struct Row {
  std::string label, model, params, method, source;
  std::vector<Cell> cells;  // one per spec column
};

struct Group {
  std::string heading;  // printed as a row spanning the table
  std::string csv_group;
  std::vector<Row> rows;
};

struct TableModel {
  std::vector<Group> groups;
  std::vector<std::string> footnotes;  // in table order, without duplicates
  PlotSpec plot;
  std::string claims;  // the claims block the markdown opens with (experiment/report/claims.h)
};

double Round(double v, int decimals) {
  const double f = std::pow(10.0, decimals);
  const double r = std::round(v * f) / f;
  return r == 0 ? 0.0 : r;  // no "-0.00"
}

// Digits after the point a published number needs (at most 4): 61.4 -> 1, 80 -> 0.
int Decimals(double v) {
  for (int d = 0; d < 4; ++d) {
    const double f = std::pow(10.0, d);
    if (std::fabs(std::round(v * f) - v * f) < 1e-6) return d;
  }
  return 4;
}

void AddFootnote(TableModel& model, const std::string& text) {
  for (const std::string& f : model.footnotes) {
    if (f == text) return;
  }
  model.footnotes.push_back(text);
}

std::string ProfileName(const RenderContext& context) {
  return context.profile.empty() ? "default" : context.profile;
}

std::string TaskLabel(const ColumnSpec& column) {
  return column.split.empty() ? column.task : absl::StrCat(column.task, ", split ", column.split);
}

std::string ScaleSuffix(double scale) {
  return scale == 1 ? "" : absl::StrFormat(" × %g", scale);
}

// ---- published rows ----

const PublishedRow* PublishedBaseline(const TableSpec& spec, const PublishedRow& row) {
  const PublishedRow* first = nullptr;
  for (const PublishedRow& p : spec.published) {
    if (!p.baseline) continue;
    if (p.model == row.model) return &p;
    if (first == nullptr) first = &p;
  }
  return first;
}

Group PublishedGroup(const TableSpec& spec, TableModel& model) {
  Group group{"published", "published", {}};
  for (const PublishedRow& p : spec.published) {
    Row row{p.label, p.model, p.params, p.method.empty() ? "—" : p.method, p.source, {}};
    const PublishedRow* base = p.baseline ? nullptr : PublishedBaseline(spec, p);
    for (const ColumnSpec& column : spec.columns) {
      Cell cell;
      auto it = p.values.find(column.name);
      if (it != p.values.end()) {
        cell.kind = CellKind::kValue;
        cell.value = it->second;
        cell.decimals = Decimals(it->second);
        if (base != nullptr) {
          auto b = base->values.find(column.name);
          if (b != base->values.end()) {
            cell.decimals = std::max(cell.decimals, Decimals(b->second));
            cell.delta = Round(it->second - b->second, cell.decimals);
          }
        }
      }
      row.cells.push_back(cell);
    }
    if (!p.note.empty()) AddFootnote(model, absl::StrCat("[", p.label, "]: ", p.note));
    group.rows.push_back(std::move(row));
  }
  return group;
}

// ---- measured rows ----

// The cell of a (row, column)'s records, one per seed (no delta yet); footnotes go to `model` when given. A
// cell with some seeds failed shows the others, the failures in footnotes.
Cell RecordCell(const TableSpec& spec, const std::string& row_label, const ColumnSpec& column,
                const std::vector<const RunRecord*>& records, TableModel* model) {
  Cell cell;
  if (records.empty()) {
    cell.kind = CellKind::kPending;
    return cell;
  }
  const std::string where = absl::StrCat("[", row_label, " / ", TaskLabel(column), "]: ");
  const CellValue value = CellOf(records, column.metric);
  for (const RunRecord* r : records) {
    if (model == nullptr || r->status == RunStatus::kOk) continue;
    const std::string seed = records.size() > 1 ? absl::StrCat("seed ", RecordSeed(*r), ": ") : "";
    if (r->status == RunStatus::kNoData) {
      AddFootnote(*model, absl::StrCat("no data for ", column.task, " (give --data_dir)"));
    } else {
      AddFootnote(*model, where + seed + (r->error.empty() ? "(no error message)" : r->error));
    }
  }
  if (value.n > 0) {
    const double scale = column.scale.value_or(spec.scale);
    cell.kind = CellKind::kValue;
    cell.value = Round(value.mean * scale, 2);
    cell.decimals = 2;
    cell.seeds = value.n;
    if (value.n >= 2) cell.sd = Round(value.sd * scale, 2);
    if (value.interval) cell.interval = {Round(value.interval->low * scale, 2), Round(value.interval->high * scale, 2)};
    return cell;
  }
  const bool any_ok = std::any_of(records.begin(), records.end(),
                                  [](const RunRecord* r) { return r->status == RunStatus::kOk; });
  if (any_ok) {  // ran, but the metric is missing or undefined
    cell.kind = CellKind::kNoData;
    const RunRecord* ok = *std::find_if(records.begin(), records.end(),
                                        [](const RunRecord* r) { return r->status == RunStatus::kOk; });
    if (model != nullptr) {
      AddFootnote(*model, ok->metrics.count(column.metric)
                              ? absl::StrCat(where, column.metric, " is undefined (constant predictions)")
                              : absl::StrCat(where, "the record has no metric \"", column.metric, "\""));
    }
    return cell;
  }
  cell.kind = std::all_of(records.begin(), records.end(),
                          [](const RunRecord* r) { return r->status == RunStatus::kNoData; })
                  ? CellKind::kNoData
                  : CellKind::kFailed;
  return cell;
}

std::string MethodText(const RowSpec& row) { return DescribeStages(row.stages, row); }

// The plot's series of a row: its method with its switches (options set to 0 or 1 name a variant, such
// as ADA-Tucker's shared_core=1; numeric settings do not split a series), and whether it is fine-tuned after
// compression.
std::string SeriesName(const RowSpec& row) {
  if (TrainsASubset(row.stages)) return row.label;  // one point per task: the rows differ in kind, not in budget
  std::string name = row.method;
  for (const auto& [k, v] : row.options) {
    if (v == "0" || v == "1") absl::StrAppend(&name, " ", k, "=", v);
  }
  return row.refinetune ? absl::StrCat(name, " + fine-tuning") : name;
}

void AddMeasured(const TableSpec& spec, const std::vector<RunRecord>& records, const RenderContext& context,
                 TableModel& model) {
  const std::string profile = ProfileName(context);
  std::vector<PlotPanel>& panels = model.plot.panels;

  if (spec.status == TableStatus::kPending || !spec.grid) {
    Group group{absl::StrCat("measured, profile ", profile), "measured", {}};
    if (spec.grid && !spec.grid->model_label.empty()) {
      group.heading = absl::StrCat("measured, ", spec.grid->model_label, ", profile ", profile);
    }
    Row row{kPendingIssue, spec.grid ? spec.grid->model_label : "", "", "", "", {}};
    for (const ColumnSpec& column : spec.columns) {
      Cell cell;
      cell.kind = column.task.empty() ? CellKind::kDash : CellKind::kPending;
      row.cells.push_back(cell);
      if (!column.task.empty()) panels.push_back(PlotPanel{column.name, "", {}, std::nullopt});
    }
    group.rows.push_back(std::move(row));
    model.groups.push_back(std::move(group));
    return;
  }

  const GridSpec& grid = *spec.grid;
  std::set<std::string> rows_filter, tasks_filter;
  auto prof = spec.profiles.find(profile);
  if (prof != spec.profiles.end()) {
    rows_filter.insert(prof->second.rows.begin(), prof->second.rows.end());
    tasks_filter.insert(prof->second.tasks.begin(), prof->second.tasks.end());
  }
  auto measured_column = [&](const ColumnSpec& c) {
    return !c.task.empty() && (tasks_filter.empty() || tasks_filter.count(c.task) > 0);
  };

  const RowSpec* baseline = nullptr;
  for (const RowSpec& r : grid.rows) {
    if (r.baseline) {
      baseline = &r;
      break;
    }
  }
  if (baseline == nullptr) {
    for (const RowSpec& r : grid.rows) {
      if (r.method.empty()) {
        baseline = &r;
        break;
      }
    }
  }

  const RecordIndex index(spec, records, context.profile);
  Group group{absl::StrCat("measured, ", grid.model_label, ", profile ", profile), "measured", {}};

  // Plot panels: one per measured column; series in grid-row order.
  std::vector<int> panel_of(spec.columns.size(), -1);
  for (size_t c = 0; c < spec.columns.size(); ++c) {
    const ColumnSpec& column = spec.columns[c];
    if (!measured_column(column)) continue;
    panel_of[c] = static_cast<int>(panels.size());
    PlotPanel panel{column.name, absl::StrCat(column.metric, ScaleSuffix(column.scale.value_or(spec.scale))), {},
                    std::nullopt};
    if (baseline != nullptr) {
      const std::vector<const RunRecord*> rs = index.Find(baseline->label, column);
      const Cell cell = RecordCell(spec, baseline->label, column, rs, nullptr);
      if (cell.kind == CellKind::kValue) {
        PlotBaseline b;
        b.y = cell.value;
        if (rs.front()->params_after > 0) b.x = static_cast<double>(rs.front()->params_after) / 1e6;
        b.label = baseline->label;
        panel.baseline = b;
      }
    }
    panels.push_back(std::move(panel));
  }

  for (const RowSpec& rs : grid.rows) {
    if (!rows_filter.empty() && rows_filter.count(rs.label) == 0) continue;
    const bool is_baseline = &rs == baseline;
    Row row{rs.label, grid.model_label, "", MethodText(rs), "lrbench", {}};
    const RunRecord* params_record = nullptr;
    for (size_t c = 0; c < spec.columns.size(); ++c) {
      const ColumnSpec& column = spec.columns[c];
      if (!measured_column(column)) {
        row.cells.push_back(Cell{});
        continue;
      }
      const std::vector<const RunRecord*> records_of_cell = index.Find(rs.label, column);
      Cell cell = RecordCell(spec, rs.label, column, records_of_cell, &model);
      if (cell.kind == CellKind::kValue) {
        const RunRecord* r = *std::find_if(records_of_cell.begin(), records_of_cell.end(),
                                           [](const RunRecord* x) { return x->status == RunStatus::kOk; });
        if (params_record == nullptr) params_record = r;
        if (!is_baseline && baseline != nullptr) {
          const std::vector<const RunRecord*> base_records = index.Find(baseline->label, column);
          const Cell base = RecordCell(spec, baseline->label, column, base_records, nullptr);
          if (base.kind == CellKind::kValue) {
            // The paired delta over the seeds both rows have, when their records keep per-example scores;
            // else the difference of the cells.
            absl::StatusOr<CellDelta> paired = PairedCellDelta(column, base_records, records_of_cell);
            if (paired.ok()) {
              cell.delta = Round(paired->interval.estimate * column.scale.value_or(spec.scale), 2);
              cell.delta_significant = paired->Significant();
            } else {
              cell.delta = Round(cell.value - base.value, 2);
            }
          }
        }
        if (!is_baseline && panel_of[c] >= 0 && r->params_after > 0) {
          PlotPanel& panel = panels[panel_of[c]];
          const std::string name = SeriesName(rs);
          PlotSeries* series = nullptr;
          for (PlotSeries& s : panel.series) {
            if (s.name == name) series = &s;
          }
          if (series == nullptr) {
            panel.series.push_back(PlotSeries{name, {}});
            series = &panel.series.back();
          }
          const int64_t x = r->trainable_params > 0 ? r->trainable_params : r->params_after;
          series->points.push_back(PlotPoint{static_cast<double>(x) / 1e6, cell.value, rs.label});
        }
      }
      row.cells.push_back(cell);
    }
    if (params_record != nullptr && params_record->trainable_params > 0) {
      // Parameter-efficient rows: what trained, as the papers count it, and the model it trained in.
      row.params = absl::StrFormat("%s trainable (%.2f %% of %s)", FormatParams(params_record->trainable_params),
                                   100.0 * static_cast<double>(params_record->trainable_params) /
                                       static_cast<double>(params_record->params_after),
                                   FormatParams(params_record->params_after));
    } else if (params_record != nullptr) {
      row.params = FormatParams(params_record->params_after);
      std::vector<std::string> notes;
      if (!is_baseline && params_record->params_before > 0) {
        notes.push_back(absl::StrCat(std::llround(100.0 * static_cast<double>(params_record->params_after) /
                                                  static_cast<double>(params_record->params_before)),
                                     " %"));
      }
      // Quantized layers store as many numbers but fewer bits: say how many bits the compressed linears keep.
      if (!is_baseline && params_record->linear_bits_after > 0 &&
          params_record->linear_bits_after < 32 * params_record->linear_params_after) {
        notes.push_back(absl::StrFormat("compressed linears at %.1f %% of their bits",
                                        100.0 * static_cast<double>(params_record->linear_bits_after) /
                                            (32.0 * static_cast<double>(params_record->linear_params_before))));
      }
      // Otherwise the share of their dense parameters the compressed linears keep (what LoSparse's "20 %"
      // and ADA-Tucker's compression ratio count; after pruning known only once training ends).
      else if (!is_baseline && params_record->linear_params_before > 0) {
        notes.push_back(absl::StrFormat("compressed linears at %.1f %% of their parameters",
                                        100.0 * static_cast<double>(params_record->linear_params_after) /
                                            static_cast<double>(params_record->linear_params_before)));
      }
      if (!notes.empty()) absl::StrAppend(&row.params, " (", absl::StrJoin(notes, "; "), ")");
    }
    group.rows.push_back(std::move(row));
  }
  model.groups.push_back(std::move(group));
}

TableModel BuildModel(const TableSpec& spec, const std::vector<RunRecord>& records, const RenderContext& context) {
  TableModel model;
  if (!spec.published.empty()) model.groups.push_back(PublishedGroup(spec, model));
  AddMeasured(spec, records, context, model);
  model.claims = ClaimsMarkdown(EvaluateClaims(spec, records, context.profile));
  model.plot.title = spec.id.empty() ? spec.title : absl::StrCat(spec.id, ". ", spec.title);
  const bool peft = spec.grid && std::any_of(spec.grid->rows.begin(), spec.grid->rows.end(),
                                            [](const RowSpec& r) { return TrainsASubset(r.stages); });
  model.plot.x_label = peft ? "trainable parameters (M); the baseline trains all" : "stored parameters (M)";
  return model;
}

// ---- formats ----

struct Style {
  std::string minus, plus_minus, dash;
  std::string (*escape)(const std::string&);
};

std::string Number(double v, int decimals, const std::string& minus) {
  std::string s = absl::StrFormat("%.*f", decimals, std::fabs(v));
  const bool zero = s.find_first_not_of("0.") == std::string::npos;
  return (v < 0 && !zero) ? minus + s : s;
}

std::string CellText(const Cell& cell, const Style& style) {
  switch (cell.kind) {
    case CellKind::kDash: return style.dash;
    case CellKind::kFailed: return "failed";
    case CellKind::kNoData: return "n/a";
    case CellKind::kPending: return "pending";
    case CellKind::kValue: break;
  }
  std::string text = Number(cell.value, cell.decimals, style.minus);
  if (cell.sd) {
    absl::StrAppend(&text, " ", style.plus_minus, " ", Number(*cell.sd, cell.decimals, style.minus), " (n=", cell.seeds,
                    ")");
  } else if (cell.interval) {
    absl::StrAppend(&text, " [", Number(cell.interval->first, cell.decimals, style.minus), ", ",
                    Number(cell.interval->second, cell.decimals, style.minus), "]");
  }
  if (cell.delta) {
    const std::string magnitude = absl::StrFormat("%.*f", cell.decimals, std::fabs(*cell.delta));
    const bool zero = magnitude.find_first_not_of("0.") == std::string::npos;
    const std::string sign = zero ? style.plus_minus : (*cell.delta < 0 ? style.minus : "+");
    absl::StrAppend(&text, " (", sign, magnitude, cell.delta_significant ? "*" : "", ")");
  }
  return text;
}

std::string MarkdownEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string LatexEscape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (c) {
      case '\\': out += "\\textbackslash{}"; continue;
      case '%': case '_': case '&': case '#': case '$': case '{': case '}':
        out += '\\';
        out += c;
        continue;
      case '~': out += "\\textasciitilde{}"; continue;
      case '^': out += "\\textasciicircum{}"; continue;
      case '\n': case '\r': out += ' '; continue;
      default: break;
    }
    // The few non-ASCII symbols the tables themselves use.
    static const std::pair<const char*, const char*> kSymbols[] = {
        {"—", "---"}, {"–", "--"}, {"−", "$-$"}, {"±", "$\\pm$"}, {"×", "$\\times$"}, {"≈", "$\\approx$"}};
    bool replaced = false;
    for (const auto& [utf8, latex] : kSymbols) {
      const size_t n = std::char_traits<char>::length(utf8);
      if (text.compare(i, n, utf8) == 0) {
        out += latex;
        i += n - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) out += c;
  }
  return out;
}


std::string Or(const std::string& text, const std::string& fallback) { return text.empty() ? fallback : text; }

std::string MeasuredLine(const RenderContext& context) {
  if (context.commit.empty() && context.date.empty()) return "Measured: no runs yet.";
  return absl::StrCat("Measured: profile ", ProfileName(context), ", commit ", Or(context.commit, "unknown"),
                      ", machine ", Or(context.machine, "unknown"), ", date ", Or(context.date, "unknown"),
                      ", duration ", Or(context.duration, "unknown"));
}

std::vector<std::string> Header(const TableSpec& spec) {
  std::vector<std::string> h = {"row", "model", "params", "method"};
  for (const ColumnSpec& c : spec.columns) h.push_back(c.name);
  h.push_back("source");
  return h;
}

std::vector<std::string> RowTexts(const Row& row, const Style& style) {
  std::vector<std::string> t = {row.label, row.model, row.params, row.method};
  for (const Cell& c : row.cells) t.push_back(CellText(c, style));
  t.push_back(row.source);
  for (std::string& s : t) {
    if (s == "—") s = style.dash;
  }
  return t;
}

constexpr const char* kUncertaintyLegend =
    "Measured cells: one seed shows its 95 % bootstrap interval over the evaluation examples in brackets "
    "(1,000 resamples; ROUGE over documents); several seeds show mean ± standard deviation (n seeds). "
    "The delta in parentheses is to the row's own baseline, paired by seed on the same examples; * marks a delta "
    "whose paired 95 % bootstrap interval excludes zero.";

bool HasUncertainty(const TableModel& model) {
  for (const Group& g : model.groups) {
    for (const Row& r : g.rows) {
      for (const Cell& c : r.cells) {
        if (c.interval || c.sd || c.delta_significant) return true;
      }
    }
  }
  return false;
}

std::string Markdown(const TableSpec& spec, const TableModel& model, const RenderContext& context) {
  static const Style kStyle{"−", "±", "—", &MarkdownEscape};
  std::string out = absl::StrCat("## ", spec.id.empty() ? "" : absl::StrCat(spec.id, ". "), MarkdownEscape(spec.title),
                                 "\n\n");
  if (!spec.source.empty()) absl::StrAppend(&out, "Source: ", spec.source, "\n\n");
  out += model.claims;
  if (!spec.setting.empty()) absl::StrAppend(&out, spec.setting, "\n\n");

  const std::vector<std::string> header = Header(spec);
  std::vector<std::string> cells;
  for (const std::string& h : header) cells.push_back(MarkdownEscape(h));
  absl::StrAppend(&out, "| ", absl::StrJoin(cells, " | "), " |\n|");
  for (size_t i = 0; i < header.size(); ++i) {
    const bool numeric = i >= 4 && i < 4 + spec.columns.size();
    absl::StrAppend(&out, numeric ? "---:|" : "---|");
  }
  out += "\n";
  for (const Group& g : model.groups) {
    absl::StrAppend(&out, "| **", MarkdownEscape(g.heading), "** |");
    for (size_t i = 1; i < header.size(); ++i) out += "  |";
    out += "\n";
    for (const Row& r : g.rows) {
      cells.clear();
      for (const std::string& t : RowTexts(r, kStyle)) cells.push_back(MarkdownEscape(t));
      absl::StrAppend(&out, "| ", absl::StrJoin(cells, " | "), " |\n");
    }
  }
  out += "\n";
  if (!spec.notes.empty()) {
    for (const std::string& n : spec.notes) absl::StrAppend(&out, "- ", n, "\n");
    out += "\n";
  }
  if (HasUncertainty(model)) absl::StrAppend(&out, kUncertaintyLegend, "\n\n");
  if (!model.footnotes.empty()) {
    out += "Footnotes:\n\n";
    for (const std::string& f : model.footnotes) absl::StrAppend(&out, "- ", f, "\n");
    out += "\n";
  }
  absl::StrAppend(&out, MeasuredLine(context), "\n");
  return out;
}

std::string Latex(const TableSpec& spec, const TableModel& model, const RenderContext& context) {
  static const Style kStyle{"$-$", "$\\pm$", "---", &LatexEscape};
  const std::vector<std::string> header = Header(spec);
  std::string align = "@{}llll";
  align.append(spec.columns.size(), 'r');
  align += "l@{}";

  std::string out = absl::StrCat("% ", spec.id.empty() ? "" : absl::StrCat(spec.id, ". "), spec.title,
                                 " (generated by lrbench; requires \\usepackage{booktabs})\n");
  // A title or id with a newline would end the comment early.
  for (size_t i = 0; i + 1 < out.size(); ++i) {
    if (out[i] == '\n' || out[i] == '\r') out[i] = ' ';
  }
  out += "\\begin{table}[htbp]\n\\centering\n\\small\n";
  absl::StrAppend(&out, "\\caption{", LatexEscape(spec.title), "}\n");
  if (!spec.id.empty()) absl::StrAppend(&out, "\\label{tab:", LatexEscape(spec.id), "}\n");
  absl::StrAppend(&out, "\\begin{tabular}{", align, "}\n\\toprule\n");
  std::vector<std::string> cells;
  for (const std::string& h : header) cells.push_back(LatexEscape(h));
  absl::StrAppend(&out, absl::StrJoin(cells, " & "), " \\\\\n");
  for (const Group& g : model.groups) {
    absl::StrAppend(&out, "\\midrule\n\\multicolumn{", header.size(), "}{@{}l}{\\textit{", LatexEscape(g.heading),
                    "}} \\\\\n");
    for (const Row& r : g.rows) {
      std::vector<std::string> texts = RowTexts(r, kStyle);
      cells.clear();
      for (size_t i = 0; i < texts.size(); ++i) {
        const bool cell_column = i >= 4 && i < 4 + r.cells.size();
        // Cell texts carry LaTeX math already; escape only their plain parts (digits, words).
        cells.push_back(cell_column ? texts[i] : LatexEscape(texts[i]));
      }
      absl::StrAppend(&out, absl::StrJoin(cells, " & "), " \\\\\n");
    }
  }
  out += "\\bottomrule\n\\end{tabular}\n";
  std::vector<std::string> below;
  if (!spec.source.empty()) below.push_back(absl::StrCat("Source: ", LatexEscape(spec.source)));
  if (!spec.setting.empty()) below.push_back(LatexEscape(spec.setting));
  for (const std::string& n : spec.notes) below.push_back(LatexEscape(n));
  for (const std::string& f : model.footnotes) below.push_back(LatexEscape(f));
  below.push_back(LatexEscape(MeasuredLine(context)));
  out += "\\par\\smallskip\n{\\footnotesize\n";
  for (const std::string& b : below) absl::StrAppend(&out, b, "\\par\n");
  out += "}\n\\end{table}\n";
  return out;
}

std::string Csv(const TableSpec& spec, const TableModel& model) {
  std::vector<std::string> fields = {"group"};
  for (const std::string& h : Header(spec)) fields.push_back(CsvField(h));
  std::string out = absl::StrCat(absl::StrJoin(fields, ","), "\n");
  for (const Group& g : model.groups) {
    for (const Row& r : g.rows) {
      fields = {g.csv_group, CsvField(r.label), CsvField(r.model), CsvField(r.params),
                CsvField(r.method == "—" ? "" : r.method)};
      for (const Cell& c : r.cells) {
        switch (c.kind) {
          case CellKind::kValue: fields.push_back(Number(c.value, c.decimals, "-")); break;
          case CellKind::kFailed: fields.push_back("failed"); break;
          case CellKind::kNoData: fields.push_back("n/a"); break;
          case CellKind::kDash:
          case CellKind::kPending: fields.push_back(""); break;
        }
      }
      fields.push_back(CsvField(r.source));
      absl::StrAppend(&out, absl::StrJoin(fields, ","), "\n");
    }
  }
  return out;
}

}  // namespace

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string FormatParams(int64_t params) {
  const double p = static_cast<double>(params);
  auto fmt = [](double v, const char* unit) {
    return v >= 100 ? absl::StrFormat("%.0f%s", v, unit) : absl::StrFormat("%.1f%s", v, unit);
  };
  if (params >= 999'950'000) return fmt(p / 1e9, "B");
  if (params >= 999'950) return fmt(p / 1e6, "M");
  if (params >= 1000) return fmt(p / 1e3, "K");
  return absl::StrCat(params);
}

namespace {

// The latency metrics of "speed" rows, as columns can name them: "forward_ms" (median ms per batch) and
// "speedup" (the uncompressed model's latency over the compressed one's, both measured in the same run).
std::vector<RunRecord> WithLatencyMetrics(const std::vector<RunRecord>& records) {
  std::vector<RunRecord> out = records;
  for (RunRecord& r : out) {
    if (!r.forward_ms || r.status != RunStatus::kOk) continue;
    r.metrics[MetricName(Metric::kForwardMs)] = *r.forward_ms;
    if (r.base_forward_ms && *r.forward_ms > 0) {
      r.metrics[MetricName(Metric::kSpeedup)] = *r.base_forward_ms / *r.forward_ms;
    }
  }
  return out;
}

}  // namespace

RenderedTable RenderTable(const TableSpec& spec, const std::vector<RunRecord>& records,
                          const RenderContext& context) {
  const TableModel model = BuildModel(spec, WithLatencyMetrics(records), context);
  RenderedTable out;
  out.markdown = Markdown(spec, model, context);
  out.latex = Latex(spec, model, context);
  out.csv = Csv(spec, model);
  out.svg = RenderSvgPlot(model.plot);
  return out;
}

}  // namespace lrb
