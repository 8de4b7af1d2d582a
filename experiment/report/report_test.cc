#include "experiment/report/report.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include <nlohmann/json.hpp>
#include "tasks/score.h"
#include "tasks/task.h"
#include "experiment/report/exports.h"
#include "experiment/report/svg_plot.h"
#include "experiment/stages/peft.h"
#include "experiment/stages/registry.h"
#include "methods/budget.h"

namespace lrb {
namespace {

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + needle.size())) ++n;
  return n;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Two measured columns and one only the paper fills; two published rows; three grid rows.
TableSpec Spec() {
  TableSpec spec;
  spec.id = "t1";
  spec.title = "FWSVD vs SVD_x";
  spec.source = "Hsu et al. 2022, Table 1 & 2 (50% of #params)";
  spec.setting = "published: BERT-base; ours: bert-mini";
  spec.notes = {"Our model is smaller."};
  spec.columns = {{"CoLA", "glue/cola", "matthews_correlation", ""},
                  {"MRPC", "glue/mrpc", "f1", ""},
                  {"CoNLL", "", "", ""}};
  PublishedRow base;
  base.label = "BERT-base";
  base.model = "BERT-base";
  base.params = "110M";
  base.source = "Hsu 2022, Table 1";
  base.values = {{"CoLA", 56.8}, {"MRPC", 88.6}, {"CoNLL", 91.3}};
  base.baseline = true;
  PublishedRow svd;
  svd.label = "BERT+SVD";
  svd.model = "BERT-base";
  svd.params = "66.5M";
  svd.method = "svd";
  svd.source = "Hsu 2022, Table 1";
  svd.values = {{"CoLA", 2.7}, {"MRPC", 61.4}};
  svd.note = "rank 64";
  spec.published = {base, svd};

  GridSpec grid;
  grid.model = "third_party/embedded/models/bert-mini-mlm";
  grid.model_label = "bert-mini";
  RowSpec r0;
  r0.label = "uncompressed";
  r0.baseline = true;
  RowSpec r1;
  r1.label = "SVD";
  r1.method = "svd";
  r1.budget = Budget::ParamRatio(0.494);
  r1.stages = RowStages(r1, {});
  RowSpec r2 = r1;
  r2.label = "SVD + fine-tuning";
  r2.refinetune = RecipeSpec{};
  r2.stages = RowStages(r2, {});
  grid.rows = {r0, r1, r2};
  spec.grid = grid;
  ProfileSpec smoke;
  smoke.tasks = {"glue/cola"};
  smoke.rows = {"uncompressed", "SVD"};
  spec.profiles["smoke"] = smoke;
  return spec;
}

RunRecord Record(const std::string& row, const std::string& task, RunStatus status) {
  RunRecord r;
  r.table = "t1";
  r.row = row;
  r.task = task;
  r.profile = "default";
  r.status = status;
  r.run_id = row + "/" + task;
  return r;
}

RunRecord Ok(const std::string& row, const std::string& task, const std::string& metric, double value,
             int64_t before, int64_t after) {
  RunRecord r = Record(row, task, RunStatus::kOk);
  r.metrics[metric] = value;
  r.params_before = before;
  r.params_after = after;
  return r;
}

// ok, failed, no_data and a missing record (SVD + fine-tuning on MRPC).
std::vector<RunRecord> Records() {
  RunRecord failed = Record("SVD", "glue/mrpc", RunStatus::kFailed);
  failed.error = "out of memory";
  RunRecord no_data = Record("SVD + fine-tuning", "glue/cola", RunStatus::kNoData);
  no_data.error = "missing glue/cola/train.tsv";
  return {Ok("uncompressed", "glue/cola", "matthews_correlation", 0.5, 11200000, 11200000),
          Ok("uncompressed", "glue/mrpc", "f1", 0.81234, 11200000, 11200000),
          Ok("SVD", "glue/cola", "matthews_correlation", 0.4659, 11200000, 8300000),
          failed,
          no_data};
}

RenderContext Context() { return {"default", "abc1234", "ci-runner", "2024-05-01", "3m 12s"}; }

TEST(ReportTest, MarkdownCellsDeltasAndStatuses) {
  const RenderedTable t = RenderTable(Spec(), Records(), Context());
  const std::string& md = t.markdown;
  EXPECT_EQ(md.rfind("## t1. FWSVD vs SVD_x\n\nSource: Hsu et al. 2022, Table 1 & 2 (50% of #params)\n\n"
                     "published: BERT-base; ours: bert-mini\n\n",
                     0),
            0u)
      << md;
  EXPECT_NE(md.find("| row | model | params | method | CoLA | MRPC | CoNLL | source |\n"
                    "|---|---|---|---|---:|---:|---:|---|\n"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| **published** |"), std::string::npos);
  EXPECT_NE(md.find("| BERT-base | BERT-base | 110M | — | 56.8 | 88.6 | 91.3 | Hsu 2022, Table 1 |\n"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| BERT+SVD | BERT-base | 66.5M | svd | 2.7 (−54.1) | 61.4 (−27.2) | — | Hsu 2022, Table 1 |\n"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| **measured, bert-mini, profile default** |"), std::string::npos) << md;
  EXPECT_NE(md.find("| uncompressed | bert-mini | 11.2M | — | 50.00 | 81.23 | — | lrbench |\n"), std::string::npos)
      << md;
  EXPECT_NE(md.find("| SVD | bert-mini | 8.3M (74 %) | svd param_ratio=0.494 | 46.59 (−3.41) | failed | — | lrbench |\n"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| SVD + fine-tuning | bert-mini |  | svd param_ratio=0.494 + fine-tuning | n/a | pending | — | "
                    "lrbench |\n"),
            std::string::npos)
      << md;
  // Published rows come before measured ones.
  EXPECT_LT(md.find("| BERT+SVD |"), md.find("| uncompressed |"));
  EXPECT_NE(md.find("- Our model is smaller.\n"), std::string::npos);
  EXPECT_NE(md.find("Footnotes:\n\n- [BERT+SVD]: rank 64\n- [SVD / glue/mrpc]: out of memory\n"
                    "- no data for glue/cola (give --data_dir)\n"),
            std::string::npos)
      << md;
  EXPECT_TRUE(EndsWith(md, "\nMeasured: profile default, commit abc1234, machine ci-runner, date 2024-05-01, "
                           "duration 3m 12s\n"))
      << md;
}

// A record of `row` on MRPC with seed `seed`, predictions right on the first `right` of 200 positive examples.
RunRecord Scored(const std::string& row, int64_t seed, int right, std::optional<MetricInterval> interval) {
  RunRecord r = Record(row, "glue/mrpc", RunStatus::kOk);
  r.run_id = absl::StrCat(row, "/", seed);
  r.spec_json = absl::StrCat(R"({"finetune_base": {"seed": )", seed, "}}");
  std::vector<TextExample> gold;
  std::vector<Prediction> predicted;
  for (int i = 0; i < 200; ++i) {
    TextExample e;
    e.id = std::to_string(i);
    e.label = 1;
    e.labeled = true;
    gold.push_back(e);
    predicted.push_back({i < right ? 1.f : 0.f, ""});
    r.predicted_labels.push_back(predicted.back().label);
    r.reference_labels.push_back(1);
  }
  r.metrics = ScorePredictions(**FindTask("glue/mrpc"), gold, predicted)->metrics;
  r.eval_count = 200;
  if (interval) r.intervals["f1"] = *interval;
  r.params_before = r.params_after = 100;
  return r;
}

TEST(ReportTest, IntervalsSeedsAndPairedDeltas) {
  TableSpec spec = Spec();
  // One seed: the interval in brackets; a paired delta whose interval excludes zero is starred.
  std::vector<RunRecord> records = {Scored("uncompressed", 42, 180, MetricInterval{0.9, 0.96, 0.01}),
                                    Scored("SVD", 42, 120, MetricInterval{0.7, 0.8, 0.02}),
                                    Scored("SVD + fine-tuning", 42, 179, MetricInterval{0.9, 0.96, 0.01})};
  std::string md = RenderTable(spec, records, Context()).markdown;
  const double base_f1 = records[0].metrics.at("f1") * 100, svd_f1 = records[1].metrics.at("f1") * 100;
  EXPECT_NE(md.find(absl::StrFormat("| %.2f [90.00, 96.00] |", base_f1)), std::string::npos) << md;
  EXPECT_NE(md.find(absl::StrFormat("| %.2f [70.00, 80.00] (−%.2f*) |", svd_f1, base_f1 - svd_f1)), std::string::npos)
      << md;
  // One example of 200 apart: not significant, no star.
  EXPECT_NE(md.find(absl::StrFormat("(−%.2f) |", base_f1 - records[2].metrics.at("f1") * 100)), std::string::npos)
      << md;
  EXPECT_NE(md.find("* marks a delta whose paired 95 % bootstrap interval excludes zero"), std::string::npos);
  // Two seeds: mean ± standard deviation; the delta pairs each seed with its own baseline.
  records.push_back(Scored("uncompressed", 43, 160, std::nullopt));
  records.push_back(Scored("SVD", 43, 100, std::nullopt));
  md = RenderTable(spec, records, Context()).markdown;
  const double b43 = records[3].metrics.at("f1") * 100, s43 = records[4].metrics.at("f1") * 100;
  const double mean = (base_f1 + b43) / 2, sd = std::fabs(base_f1 - b43) / std::sqrt(2.0);
  EXPECT_NE(md.find(absl::StrFormat("| %.2f ± %.2f (n=2) |", mean, sd)), std::string::npos) << md;
  EXPECT_NE(md.find(absl::StrFormat("(−%.2f*) |", ((base_f1 - svd_f1) + (b43 - s43)) / 2)), std::string::npos) << md;
  // When a shared seed's records predate per-example scores, the delta is the plain difference of the cells
  // (not a paired delta over the other seeds), unstarred.
  records[1].predicted_labels.clear();
  md = RenderTable(spec, records, Context()).markdown;
  EXPECT_EQ(md.find("*)"), std::string::npos) << md;
  EXPECT_NE(md.find(absl::StrFormat("(−%.2f) |", std::round(mean * 100) / 100 - std::round((svd_f1 + s43) / 2 * 100) / 100)),
            std::string::npos)
      << md;
  for (RunRecord& r : records) {
    r.predicted_labels.clear();
    r.reference_labels.clear();
  }
  md = RenderTable(spec, records, Context()).markdown;
  EXPECT_EQ(md.find("*)"), std::string::npos) << md;
}

// The aggregate JSON has lm-evaluation-harness's shape; the tidy CSV one line per (run, metric).
TEST(ExportsTest, HarnessJsonAndTidyCsv) {
  const TableSpec spec = Spec();
  std::vector<RunRecord> records = {Scored("uncompressed", 42, 180, MetricInterval{0.9, 0.96, 0.015}),
                                    Scored("SVD", 42, 120, std::nullopt), Scored("SVD", 43, 100, std::nullopt)};
  RunRecord failed = Record("SVD + fine-tuning", "glue/mrpc", RunStatus::kFailed);
  failed.error = "out of memory";
  records.push_back(failed);
  const std::vector<TableRecords> tables = {{&spec, records}};
  const nlohmann::json j = nlohmann::json::parse(ResultsJson(tables, "default"));
  const nlohmann::json& base = j.at("results").at("t1/uncompressed/glue/mrpc");
  EXPECT_DOUBLE_EQ(base.at("f1,none").get<double>(), records[0].metrics.at("f1"));
  EXPECT_DOUBLE_EQ(base.at("f1_stderr,none").get<double>(), 0.015);  // the record's bootstrap standard error
  const nlohmann::json& svd = j.at("results").at("t1/SVD/glue/mrpc");
  const double a = records[1].metrics.at("f1"), b = records[2].metrics.at("f1");
  EXPECT_DOUBLE_EQ(svd.at("f1,none").get<double>(), (a + b) / 2);
  // Two seeds: sd = |a - b| / sqrt(2); the standard error of their mean sd / sqrt(2).
  EXPECT_NEAR(svd.at("f1_seed_sd,none").get<double>(), std::fabs(a - b) / std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(svd.at("f1_stderr,none").get<double>(), std::fabs(a - b) / 2, 1e-12);
  EXPECT_EQ(j.at("seeds").at("t1/SVD/glue/mrpc"), nlohmann::json({42, 43}));
  EXPECT_EQ(j.at("n-samples").at("t1/SVD/glue/mrpc").at("effective"), 200);
  EXPECT_FALSE(j.at("results").contains("t1/SVD + fine-tuning/glue/mrpc"));  // failed runs have no results
  EXPECT_EQ(j.at("config").at("profile"), "default");

  const std::string csv = TidyCsv(tables);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "table,row,task,eval_split,seed,profile,status,metric,value,ci_low,ci_high,stderr,eval_count,params_before,"
            "params_after,run_id,git_sha,date");
  EXPECT_NE(csv.find("t1,uncompressed,glue/mrpc,,42,default,ok,f1,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",0.90000000000000002,0.95999999999999996,0.014999999999999999,200,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("t1,SVD,glue/mrpc,,43,default,ok,accuracy,0.5,,,,200,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("t1,SVD + fine-tuning,glue/mrpc,,,default,failed,,,,,,0,"), std::string::npos) << csv;
  // Lines: header + uncompressed (accuracy, f1) + two SVD seeds (2 each) + the failed run.
  EXPECT_EQ(Count(csv, "\n"), 1u + 2 + 4 + 1);
}

TEST(ReportTest, CsvExact) {
  const RenderedTable t = RenderTable(Spec(), Records(), Context());
  EXPECT_EQ(t.csv,
            "group,row,model,params,method,CoLA,MRPC,CoNLL,source\n"
            "published,BERT-base,BERT-base,110M,,56.8,88.6,91.3,\"Hsu 2022, Table 1\"\n"
            "published,BERT+SVD,BERT-base,66.5M,svd,2.7,61.4,,\"Hsu 2022, Table 1\"\n"
            "measured,uncompressed,bert-mini,11.2M,,50.00,81.23,,lrbench\n"
            "measured,SVD,bert-mini,8.3M (74 %),svd param_ratio=0.494,46.59,failed,,lrbench\n"
            "measured,SVD + fine-tuning,bert-mini,,svd param_ratio=0.494 + fine-tuning,n/a,,,lrbench\n");
}

TEST(ReportTest, LatexBooktabsAndEscaping) {
  const RenderedTable t = RenderTable(Spec(), Records(), Context());
  const std::string& tex = t.latex;
  EXPECT_EQ(Count(tex, "\\toprule"), 1u);
  EXPECT_EQ(Count(tex, "\\midrule"), 2u);  // before each group
  EXPECT_EQ(Count(tex, "\\bottomrule"), 1u);
  EXPECT_NE(tex.find("\\begin{tabular}{@{}llllrrrl@{}}"), std::string::npos) << tex;
  EXPECT_NE(tex.find("\\caption{FWSVD vs SVD\\_x}"), std::string::npos) << tex;
  EXPECT_NE(tex.find("Source: Hsu et al. 2022, Table 1 \\& 2 (50\\% of \\#params)\\par"), std::string::npos) << tex;
  EXPECT_NE(tex.find("row & model & params & method & CoLA & MRPC & CoNLL & source \\\\\n"), std::string::npos);
  EXPECT_NE(tex.find("\\multicolumn{8}{@{}l}{\\textit{published}} \\\\\n"), std::string::npos) << tex;
  EXPECT_NE(tex.find("BERT+SVD & BERT-base & 66.5M & svd & 2.7 ($-$54.1) & 61.4 ($-$27.2) & --- & Hsu 2022, Table 1 "
                     "\\\\\n"),
            std::string::npos)
      << tex;
  EXPECT_NE(tex.find("SVD & bert-mini & 8.3M (74 \\%) & svd param\\_ratio=0.494 & 46.59 ($-$3.41) & failed & --- & "
                     "lrbench \\\\\n"),
            std::string::npos)
      << tex;
  EXPECT_NE(tex.find("[SVD / glue/mrpc]: out of memory\\par"), std::string::npos) << tex;
  EXPECT_NE(tex.find("Measured: profile default, commit abc1234"), std::string::npos);
  // No unescaped specials outside the comment line and math: every '%' after the first line is escaped.
  const std::string body = tex.substr(tex.find('\n') + 1);
  for (size_t i = body.find('%'); i != std::string::npos; i = body.find('%', i + 1)) {
    ASSERT_GT(i, 0u);
    EXPECT_EQ(body[i - 1], '\\') << body.substr(i > 20 ? i - 20 : 0, 40);
  }
  for (size_t i = body.find('_'); i != std::string::npos; i = body.find('_', i + 1)) {
    EXPECT_EQ(body[i - 1], '\\') << body.substr(i > 20 ? i - 20 : 0, 40);
  }
}

TEST(ReportTest, SvgWellFormedAndDeterministic) {
  const std::vector<RunRecord> records = Records();
  const RenderedTable t = RenderTable(Spec(), records, Context());
  const std::string& svg = t.svg;
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_TRUE(EndsWith(svg, "</svg>\n"));
  EXPECT_NE(svg.find(">CoLA</text>"), std::string::npos);
  EXPECT_NE(svg.find(">MRPC</text>"), std::string::npos);
  EXPECT_EQ(svg.find(">CoNLL</text>"), std::string::npos);  // not measured: no panel
  // CoLA: one svd point; MRPC: only the baseline (SVD failed there).
  EXPECT_EQ(Count(svg, "<polyline"), 1u);
  EXPECT_EQ(Count(svg, "class=\"baseline\""), 2u);
  EXPECT_EQ(Count(svg, "<g"), Count(svg, "</g>"));
  EXPECT_EQ(Count(svg, "<text"), Count(svg, "</text>"));

  // Same inputs, same bytes, whatever the order of the records.
  std::vector<RunRecord> reversed(records.rbegin(), records.rend());
  const RenderedTable again = RenderTable(Spec(), reversed, Context());
  EXPECT_EQ(again.svg, t.svg);
  EXPECT_EQ(again.markdown, t.markdown);
  EXPECT_EQ(again.latex, t.latex);
  EXPECT_EQ(again.csv, t.csv);
}

TEST(ReportTest, SvgOnePolylinePerMethodPerPanel) {
  TableSpec spec = Spec();
  spec.columns.push_back({"SST-2", "glue/sst2", "accuracy", ""});  // no records: "no data"
  RowSpec svd_small = spec.grid->rows[1];
  svd_small.label = "SVD 25%";
  svd_small.budget = Budget::ParamRatio(0.25);
  RowSpec kashin;
  kashin.label = "Kashin 4-bit";
  kashin.method = "kashin";
  kashin.budget = Budget::Bits(4);
  spec.grid->rows.push_back(svd_small);
  spec.grid->rows.push_back(kashin);
  std::vector<RunRecord> records;
  const std::vector<std::pair<std::string, int64_t>> rows = {{"uncompressed", 11200000},
                                                             {"SVD", 8300000},
                                                             {"SVD + fine-tuning", 8300000},
                                                             {"SVD 25%", 6000000},
                                                             {"Kashin 4-bit", 4000000}};
  double v = 0.3;
  for (const auto& [row, params] : rows) {
    records.push_back(Ok(row, "glue/cola", "matthews_correlation", v, 11200000, params));
    records.push_back(Ok(row, "glue/mrpc", "f1", v + 0.4, 11200000, params));
    v += 0.05;
  }
  const std::string svg = RenderTable(spec, records, Context()).svg;
  // Methods: svd, svd + fine-tuning, kashin; on two panels.
  EXPECT_EQ(Count(svg, "<polyline"), 6u) << svg;
  EXPECT_EQ(Count(svg, ">no data</text>"), 1u);
  EXPECT_NE(svg.find(">SST-2</text>"), std::string::npos);
  // The legend names each method once, and the baseline.
  EXPECT_NE(svg.find(">svd + fine-tuning</text>"), std::string::npos);
  EXPECT_NE(svg.find(">kashin</text>"), std::string::npos);
  EXPECT_NE(svg.find(">uncompressed</text>"), std::string::npos);
  // The svd line joins its two budgets: two points in one polyline.
  const size_t first = svg.find("<polyline");
  const std::string line = svg.substr(first, svg.find("/>", first) - first);
  EXPECT_EQ(Count(line, ","), 2u) << line;
  EXPECT_EQ(RenderTable(spec, records, Context()).svg, svg);
}

// Row options show in the method cell; a switch (0/1) makes its own plot series, a numeric setting does not.
TEST(ReportTest, OptionsNameTheMethodAndSwitchesSplitTheSeries) {
  TableSpec spec = Spec();
  RowSpec base = spec.grid->rows[1];  // svd, no fine-tuning
  spec.grid->rows.clear();
  const std::vector<std::pair<std::string, std::map<std::string, std::string>>> rows = {
      {"a", {{"share", "0.25"}}}, {"b", {{"share", "0.5"}}}, {"c", {{"share", "0.5"}, {"variant", "1"}}}};
  std::vector<RunRecord> records;
  double v = 0.3;
  for (const auto& [label, options] : rows) {
    RowSpec r = base;
    r.label = label;
    r.options = options;
    spec.grid->rows.push_back(r);
    records.push_back(Ok(label, "glue/cola", "matthews_correlation", v, 11200000, 8000000 - 1000000 * static_cast<int64_t>(v * 10)));
    v += 0.1;
  }
  const RenderedTable t = RenderTable(spec, records, Context());
  EXPECT_NE(t.markdown.find("| svd param_ratio=0.494 share=0.5 variant=1 |"), std::string::npos) << t.markdown;
  EXPECT_NE(t.svg.find(">svd variant=1</text>"), std::string::npos);
  EXPECT_NE(t.svg.find(">svd</text>"), std::string::npos);
  EXPECT_EQ(Count(t.svg, "<polyline"), 2u) << t.svg;
}

TEST(ReportTest, SvgPlotDirect) {
  PlotSpec plot;
  plot.x_label = "x";
  PlotPanel a{"A", "acc", {{"m", {{1, 2, "p"}, {100, 3, "q"}}}}, PlotBaseline{4, 200.0, "base"}};
  plot.panels = {a, PlotPanel{"B", "", {}, std::nullopt}};
  const std::string svg = RenderSvgPlot(plot);
  EXPECT_NE(svg.find("x (log)"), std::string::npos);  // 1..200: log axis
  EXPECT_EQ(Count(svg, "<polyline"), 1u);
  EXPECT_EQ(Count(svg, ">no data</text>"), 1u);
  EXPECT_TRUE(EndsWith(RenderSvgPlot(PlotSpec{}), "no data</text>\n</g>\n</svg>\n"));
}

TEST(ReportTest, PendingSpec) {
  TableSpec spec = Spec();
  spec.status = TableStatus::kPending;
  spec.grid.reset();
  const RenderedTable t = RenderTable(spec, {}, Context());
  EXPECT_NE(t.markdown.find("| **measured, profile default** |"), std::string::npos) << t.markdown;
  EXPECT_NE(t.markdown.find("| pending (issue #7) |  |  |  | pending | pending | — |  |\n"), std::string::npos)
      << t.markdown;
  EXPECT_NE(t.csv.find("measured,pending (issue #7),,,,,,,\n"), std::string::npos) << t.csv;
  EXPECT_EQ(Count(t.svg, ">no data</text>"), 2u);
  EXPECT_NE(t.latex.find("pending (issue \\#7)"), std::string::npos);
}

// A table no run has produced yet says so instead of "commit unknown, machine unknown".
TEST(ReportTest, NoRecordsSayNoRunsYet) {
  TableSpec spec = Spec();
  spec.status = TableStatus::kPending;
  spec.grid.reset();
  const RenderedTable t = RenderTable(spec, {}, RenderContext{"default", "", "", "", ""});
  EXPECT_TRUE(EndsWith(t.markdown, "\nMeasured: no runs yet.\n")) << t.markdown;
}

// Quantized rows store as many numbers as the dense layers: the params cell adds the share of bits the
// compressed linears keep (other rows: the share of parameters) (4-bit codes of pairs plus centroids: about 4/32 = 12.5 % and a little more).
TEST(ReportTest, QuantizedRowsShowTheirBits) {
  std::vector<RunRecord> records = Records();
  RunRecord& svd = records[2];
  svd.linear_params_before = 3000000;
  svd.linear_params_after = 3000000;
  svd.linear_bits_after = 12000000;  // 4 bits per number
  const RenderedTable t = RenderTable(Spec(), records, Context());
  EXPECT_NE(t.markdown.find("| SVD | bert-mini | 8.3M (74 %; compressed linears at 12.5 % of their bits) |"),
            std::string::npos)
      << t.markdown;
  // A float factorization (32 bits per number) states the share of parameters the linears keep instead.
  svd.linear_params_after = 1500000;
  svd.linear_bits_after = 32 * svd.linear_params_after;
  EXPECT_NE(RenderTable(Spec(), records, Context())
                .markdown.find("| SVD | bert-mini | 8.3M (74 %; compressed linears at 50.0 % of their parameters) |"),
            std::string::npos);
}

// A parameter-efficient row counts what trained (the papers' "params"), says what its adapters are, and
// its plot point sits at that count on an axis that says so.
TEST(ReportTest, ParameterEfficientRowsShowTheirTrainableCount) {
  TableSpec spec = Spec();
  RowSpec lora;
  lora.label = "LoRA r=8";
  lora.refinetune = RecipeSpec{};
  AdapterOptions a;
  a.rank = 8;
  a.tt_rank = 5;
  lora.stages = RowStages(lora, {{*FindStage("peft"), std::make_shared<SettingsOf<PeftSpec>>(
                                                             PeftSpec{a, {"**.query"}, {"classifier.**"}})}});
  spec.grid->rows.push_back(lora);
  std::vector<RunRecord> records = Records();
  RunRecord r = Ok("LoRA r=8", "glue/cola", "matthews_correlation", 0.3, 11200000, 11232768);
  r.trainable_params = 33282;
  records.push_back(r);
  const RenderedTable t = RenderTable(spec, records, Context());
  EXPECT_NE(t.markdown.find("| LoRA r=8 | bert-mini | 33.3K trainable (0.30 % of 11.2M) | LoRA r=8 (alpha 16), "
                            "tensor-train rank 5; trains the adapters, classifier.** | 30.00 (−20.00) |"),
            std::string::npos)
      << t.markdown;
  EXPECT_NE(t.svg.find("trainable parameters (M)"), std::string::npos);
}

TEST(ReportTest, ProfileRestrictsRowsAndTasksAndPicksItsRecords) {
  std::vector<RunRecord> records = Records();
  RunRecord smoke = Ok("SVD", "glue/cola", "matthews_correlation", 0.41, 11200000, 8300000);
  smoke.profile = "smoke";
  smoke.run_id = "zzz-but-other-profile-wins";
  records.push_back(smoke);
  RenderContext context = Context();
  context.profile = "smoke";
  RenderedTable t = RenderTable(Spec(), records, context);
  EXPECT_NE(t.markdown.find("| SVD | bert-mini | 8.3M (74 %) | svd param_ratio=0.494 | 41.00 (−9.00) | — | — | "),
            std::string::npos)
      << t.markdown;
  EXPECT_EQ(t.markdown.find("| SVD + fine-tuning |"), std::string::npos);
  EXPECT_EQ(t.markdown.find("out of memory"), std::string::npos);  // MRPC is not in the profile
  EXPECT_NE(t.markdown.find("profile smoke"), std::string::npos);

  // The default profile prefers its own record over the smoke one.
  t = RenderTable(Spec(), records, Context());
  EXPECT_NE(t.markdown.find("46.59 (−3.41)"), std::string::npos);
}

TEST(ReportTest, ColumnsWithSplits) {
  TableSpec spec = Spec();
  spec.columns = {{"MNLI-m", "glue/mnli", "accuracy", ""}, {"MNLI-mm", "glue/mnli", "accuracy", "dev_mismatched"}};
  spec.published.clear();
  RunRecord m = Ok("uncompressed", "glue/mnli", "accuracy", 0.7, 10, 10);
  m.eval_split = "dev_matched";
  RunRecord mm = Ok("uncompressed", "glue/mnli", "accuracy", 0.6, 10, 10);
  mm.eval_split = "dev_mismatched";
  const RenderedTable t = RenderTable(spec, {mm, m}, Context());
  EXPECT_NE(t.markdown.find("| uncompressed | bert-mini | 10 | — | 70.00 | 60.00 | lrbench |"), std::string::npos)
      << t.markdown;
  EXPECT_EQ(t.markdown.find("**published**"), std::string::npos);
}

TEST(ReportTest, FormatParams) {
  EXPECT_EQ(FormatParams(8300000), "8.3M");
  EXPECT_EQ(FormatParams(110000000), "110M");
  EXPECT_EQ(FormatParams(1200000000), "1.2B");
  EXPECT_EQ(FormatParams(950000), "950K");
  EXPECT_EQ(FormatParams(999), "999");
}

}  // namespace
}  // namespace lrb
