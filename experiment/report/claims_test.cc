#include "experiment/report/claims.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "experiment/record.h"
#include "experiment/report/report.h"
#include "experiment/spec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lrb {
namespace {

using ::testing::HasSubstr;

// Two measured columns (RTE accuracy, SST-2 accuracy), a latency column, a published-only column, and four rows.
std::string SpecText(const std::string& claims) {
  return absl::StrCat(R"({
  "id": "tc", "title": "claims test", "source": "test", "setting": "test",
  "columns": [{"name": "RTE", "task": "glue/rte", "metric": "accuracy"},
              {"name": "SST-2", "task": "glue/sst2", "metric": "accuracy"},
              {"name": "ms", "task": "glue/sst2", "metric": "forward_ms", "scale": 1},
              {"name": "CoNLL"}],
  "grid": {
    "model": "m",
    "finetune_base": {"epochs": 1, "seed": 42},
    "rows": [
      {"label": "base"},
      {"label": "A", "method": "svd", "budget": {"param_ratio": 0.5}},
      {"label": "B", "method": "svd", "budget": {"param_ratio": 0.25}},
      {"label": "C", "method": "svd", "budget": {"param_ratio": 0.1}}
    ]
  },
  "profiles": {"two": {"rows": ["base", "A"]}, "rte": {"tasks": ["glue/rte"]}})",
                      claims.empty() ? "" : absl::StrCat(R"(, "claims": )", claims), "}");
}

TableSpec Spec(const std::string& claims) {
  absl::StatusOr<TableSpec> spec = ParseTableSpec(SpecText(claims), "tc.json");
  EXPECT_TRUE(spec.ok()) << spec.status();
  return spec.ok() ? *spec : TableSpec{};
}

constexpr int kExamples = 400;

std::vector<double> Gold() {
  std::vector<double> gold(kExamples);
  for (int i = 0; i < kExamples; ++i) gold[i] = (i * 7 + i / 3) % 2;
  return gold;
}

// A record of `row` on `task` for `seed` whose prediction is right exactly on the examples `right` says.
template <typename Right>
RunRecord Record(const std::string& row, const std::string& task, int seed, Right right, bool keep_scores = true) {
  RunRecord r;
  r.run_id = absl::StrCat(row, "-", task, "-", seed, keep_scores ? "" : "-old");
  r.table = "tc";
  r.row = row;
  r.task = task;
  r.profile = "default";
  r.spec_json = absl::StrFormat(R"({"finetune_base": {"seed": %d}})", seed);
  r.eval_count = kExamples;
  const std::vector<double> gold = Gold();
  int correct = 0;
  std::vector<double> predicted(kExamples);
  for (int i = 0; i < kExamples; ++i) {
    predicted[i] = right(i) ? gold[i] : 1 - gold[i];
    correct += right(i) ? 1 : 0;
  }
  r.metrics["accuracy"] = static_cast<double>(correct) / kExamples;
  if (keep_scores) {
    r.predicted_labels = predicted;
    r.reference_labels = gold;
  }
  return r;
}

auto FirstN(int n) {
  return [n](int i) { return i < n; };
}

const ClaimColumn& Column(const ClaimResult& r, const std::string& name) {
  for (const ClaimColumn& c : r.columns) {
    if (c.column == name) return c;
  }
  ADD_FAILURE() << "no column " << name;
  return r.columns.front();
}

constexpr char kAOverBase[] =
    R"([{"id": "a-beats-base", "text": "A beats base", "source": "paper", "better": "A", "than": "base"}])";

TEST(Claims, ClearWinReproducedAndLossContradicted) {
  const TableSpec spec = Spec(
      R"([{"id": "win", "text": "A beats base", "source": "paper", "better": "A", "than": "base",
           "columns": ["RTE"]},
          {"id": "loss", "text": "base beats A", "source": "paper", "better": "base", "than": "A",
           "columns": ["RTE"]}])");
  const std::vector<RunRecord> records = {Record("base", "glue/rte", 42, FirstN(200)),
                                          Record("A", "glue/rte", 42, FirstN(360))};
  const std::vector<ClaimResult> results = EvaluateClaims(spec, records, "");
  ASSERT_EQ(results.size(), 2u);
  const ClaimColumn& win = Column(results[0], "RTE");
  EXPECT_EQ(win.verdict, Verdict::kReproduced);
  EXPECT_NEAR(win.estimate, 40.0, 1e-9);  // (360 - 200) / 400 in table points
  EXPECT_GT(win.low, 0);
  EXPECT_LT(win.low, win.estimate);
  EXPECT_GT(win.high, win.estimate);
  EXPECT_EQ(win.pairs, 1);
  EXPECT_EQ(results[0].verdict, Verdict::kReproduced);
  const ClaimColumn& loss = Column(results[1], "RTE");
  EXPECT_EQ(loss.verdict, Verdict::kContradicted);
  EXPECT_NEAR(loss.estimate, -40.0, 1e-9);
  EXPECT_LT(loss.high, 0);
  EXPECT_EQ(results[1].verdict, Verdict::kContradicted);
}

TEST(Claims, IdenticalRowsInconclusive) {
  const TableSpec spec = Spec(kAOverBase);
  const std::vector<RunRecord> records = {Record("base", "glue/rte", 42, FirstN(250)),
                                          Record("A", "glue/rte", 42, FirstN(250))};
  const ClaimResult r = EvaluateClaims(spec, records, "").at(0);
  const ClaimColumn& rte = Column(r, "RTE");
  EXPECT_EQ(rte.verdict, Verdict::kInconclusive);
  EXPECT_EQ(rte.estimate, 0);
  EXPECT_LE(rte.low, 0);
  EXPECT_GE(rte.high, 0);
  // The default columns are the measured ones without latencies: RTE and SST-2 (no records: not measured).
  ASSERT_EQ(r.columns.size(), 2u);
  EXPECT_EQ(r.columns[1].column, "SST-2");
  EXPECT_EQ(r.columns[1].verdict, Verdict::kNotMeasured);
  EXPECT_THAT(r.columns[1].why, HasSubstr("no record of 'A'"));
  EXPECT_EQ(r.verdict, Verdict::kInconclusive);
}

TEST(Claims, RecordsWithoutPerExampleScoresAreNotMeasuredWithTheirMeanDifference) {
  const TableSpec spec = Spec(kAOverBase);
  const std::vector<RunRecord> records = {Record("base", "glue/rte", 42, FirstN(200), /*keep_scores=*/false),
                                          Record("A", "glue/rte", 42, FirstN(360), /*keep_scores=*/false)};
  const ClaimResult r = EvaluateClaims(spec, records, "").at(0);
  const ClaimColumn& rte = Column(r, "RTE");
  EXPECT_EQ(rte.verdict, Verdict::kNotMeasured);
  EXPECT_THAT(rte.why, HasSubstr("per-example scores"));
  ASSERT_TRUE(rte.mean_difference.has_value());
  EXPECT_NEAR(*rte.mean_difference, 40.0, 1e-9);
  EXPECT_EQ(r.verdict, Verdict::kNotMeasured);
  const std::string md = ClaimsMarkdown({r});
  EXPECT_THAT(md, HasSubstr("| RTE +40.00 (means only); not measured: RTE (records without per-example scores); "
                            "SST-2 (no record of 'A' yet) |"));
  EXPECT_THAT(md, HasSubstr("**not measured** (0 of 2 columns measured)"));
}

TEST(Claims, MarginsRespected) {
  // A is base with 4 of its 400 right answers made wrong: exactly 1 point worse, its interval below 0.
  auto a_right = [](int i) { return i < 200 && i % 50 != 0; };
  const std::vector<RunRecord> records = {Record("base", "glue/rte", 42, FirstN(200)),
                                          Record("A", "glue/rte", 42, a_right)};
  for (const auto& [margin, want] : {std::make_pair(0.0, Verdict::kContradicted),
                                     std::make_pair(3.0, Verdict::kReproduced)}) {
    const TableSpec spec = Spec(absl::StrFormat(
        R"([{"id": "m", "text": "A within M of base", "source": "paper", "better": "A", "than": "base",
             "columns": ["RTE"], "margin": %g}])",
        margin));
    const ClaimColumn c = Column(EvaluateClaims(spec, records, "").at(0), "RTE");
    EXPECT_NEAR(c.estimate, -1.0, 1e-9);
    EXPECT_LT(c.high, 0);     // 0 to 4 of the 4 flipped examples are drawn: the delta is never positive
    EXPECT_GT(c.low, -3.0);   // about 2 of them, rarely more than 4 (the bound of −3 points is 12 of them)
    EXPECT_EQ(c.verdict, want) << "margin " << margin;
  }
  // A margin inside the interval: inconclusive.
  const TableSpec spec = Spec(
      R"([{"id": "m", "text": "A within 1 of base", "source": "paper", "better": "A", "than": "base",
           "columns": ["RTE"], "margin": 1}])");
  EXPECT_EQ(Column(EvaluateClaims(spec, records, "").at(0), "RTE").verdict, Verdict::kInconclusive);
}

TEST(Claims, SeedsArePaired) {
  const TableSpec spec = Spec(kAOverBase);
  // Each seed: A is right on 20 more examples than base, on the same examples otherwise; the two seeds are right
  // on opposite halves. Seed 7 has only an A record (no pair), and a disastrous one.
  const std::vector<RunRecord> records = {
      Record("base", "glue/rte", 1, FirstN(200)),
      Record("A", "glue/rte", 1, FirstN(220)),
      Record("base", "glue/rte", 2, [](int i) { return i >= 200; }),
      Record("A", "glue/rte", 2, [](int i) { return i >= 180; }),
      Record("A", "glue/rte", 7, [](int) { return false; }),
  };
  const ClaimColumn c = Column(EvaluateClaims(spec, records, "").at(0), "RTE");
  EXPECT_EQ(c.pairs, 2);
  EXPECT_NEAR(c.estimate, 5.0, 1e-9);
  EXPECT_EQ(c.verdict, Verdict::kReproduced);
  // Paired within each seed, the delta only moves with how many of the 20 changed examples a resample draws
  // (sd about 1.1 points); crossing the seeds (base of one, A of the other) would spread it to ±7 points.
  EXPECT_LT(c.high - c.low, 6.0);
  EXPECT_THAT(ClaimsMarkdown({EvaluateClaims(spec, records, "").at(0)}), HasSubstr("(2 seeds) reproduced"));
}

TEST(Claims, ProfilesAndFailedRunsLeaveColumnsNotMeasured) {
  const TableSpec spec = Spec(
      R"([{"id": "b", "text": "B beats base", "source": "paper", "better": "B", "than": "base"},
          {"id": "a", "text": "A beats base", "source": "paper", "better": "A", "than": "base"}])");
  std::vector<RunRecord> records = {Record("base", "glue/rte", 42, FirstN(200)),
                                    Record("A", "glue/rte", 42, FirstN(300)),
                                    Record("B", "glue/rte", 42, FirstN(300)),
                                    Record("base", "glue/sst2", 42, FirstN(200)),
                                    Record("A", "glue/sst2", 42, FirstN(300))};
  records.back().status = RunStatus::kFailed;
  records.back().metrics.clear();
  std::vector<ClaimResult> two = EvaluateClaims(spec, records, "two");
  EXPECT_EQ(two[0].verdict, Verdict::kNotMeasured);
  EXPECT_THAT(two[0].columns[0].why, HasSubstr("profile two leaves out 'B'"));
  EXPECT_EQ(Column(two[1], "RTE").verdict, Verdict::kReproduced);
  EXPECT_THAT(Column(two[1], "SST-2").why, HasSubstr("the run of 'A' failed"));
  EXPECT_EQ(two[1].verdict, Verdict::kReproduced);
  std::vector<ClaimResult> rte = EvaluateClaims(spec, records, "rte");
  EXPECT_THAT(Column(rte[1], "SST-2").why, HasSubstr("profile rte leaves out the task"));
  EXPECT_EQ(Column(rte[1], "RTE").verdict, Verdict::kReproduced);
}

TEST(Claims, OverallVerdictRule) {
  auto of = [](std::vector<Verdict> vs) {
    std::vector<ClaimColumn> cs;
    for (Verdict v : vs) cs.push_back(ClaimColumn{"c", v});
    return OverallVerdict(cs);
  };
  using V = Verdict;
  EXPECT_EQ(of({}), V::kNotMeasured);
  EXPECT_EQ(of({V::kNotMeasured, V::kNotMeasured}), V::kNotMeasured);
  EXPECT_EQ(of({V::kReproduced, V::kNotMeasured, V::kReproduced}), V::kReproduced);
  EXPECT_EQ(of({V::kContradicted, V::kNotMeasured}), V::kContradicted);
  EXPECT_EQ(of({V::kReproduced, V::kContradicted, V::kInconclusive}), V::kMixed);
  EXPECT_EQ(of({V::kReproduced, V::kInconclusive}), V::kInconclusive);
  EXPECT_EQ(of({V::kContradicted, V::kInconclusive}), V::kInconclusive);
}

TEST(Claims, MarkdownAndSummary) {
  const TableSpec spec = Spec(kAOverBase);
  const std::vector<RunRecord> records = {Record("base", "glue/rte", 42, FirstN(200)),
                                          Record("A", "glue/rte", 42, FirstN(360))};
  const std::vector<ClaimResult> results = EvaluateClaims(spec, records, "");
  const std::string md = ClaimsMarkdown(results);
  EXPECT_THAT(md, HasSubstr("| A beats base (`a-beats-base`: A vs base) | RTE, SST-2 | RTE +40.00 ["));
  EXPECT_THAT(md, HasSubstr("] reproduced; not measured: SST-2 (no record of 'A' yet) | **reproduced** (1 of 2 "
                            "columns measured) | paper |"));
  EXPECT_EQ(ClaimsMarkdown({}), "");
  const std::string summary = ClaimsSummaryMarkdown({{"tc", results}, {"other", {}}});
  EXPECT_THAT(summary, HasSubstr("## Claims of the papers"));
  EXPECT_THAT(summary, HasSubstr(": 1 reproduced.\n"));
  EXPECT_THAT(summary, HasSubstr("| tc | A beats base (`a-beats-base`: A vs base) | **reproduced** (1 of 2 columns "
                                 "measured) | paper |\n"));
  EXPECT_EQ(ClaimsSummaryMarkdown({{"other", {}}}), "");
}

TEST(Claims, TheTableMarkdownOpensWithThem) {
  const std::vector<RunRecord> records = {Record("base", "glue/rte", 42, FirstN(200)),
                                          Record("A", "glue/rte", 42, FirstN(360))};
  const std::string md = RenderTable(Spec(kAOverBase), records, RenderContext{}).markdown;
  const size_t source = md.find("Source: test"), claims = md.find("Claims of the paper"), setting = md.find("\ntest\n");
  ASSERT_NE(claims, std::string::npos);
  EXPECT_LT(source, claims);
  EXPECT_LT(claims, setting);
  EXPECT_THAT(md, HasSubstr("**reproduced** (1 of 2 columns measured)"));
  EXPECT_EQ(RenderTable(Spec(""), records, RenderContext{}).markdown.find("Claims of the paper"), std::string::npos);
}

TEST(Claims, SpecErrorsNameTheFileAndKey) {
  struct Case {
    std::string claims, want;
  };
  const std::vector<Case> cases = {
      {R"([{"id": "x", "text": "t", "source": "s", "better": "Z", "than": "base"}])",
       "tc.json: claims[0].better: no grid row labelled 'Z'"},
      {R"([{"id": "x", "text": "t", "source": "s", "better": "A", "than": "nope"}])",
       "tc.json: claims[0].than: no grid row labelled 'nope'"},
      {R"([{"id": "x", "text": "t", "source": "s", "better": "A", "than": "base", "columns": ["QQP"]}])",
       "claims[0].columns: no column named 'QQP'"},
      {R"([{"id": "x", "text": "t", "source": "s", "better": "A", "than": "base", "columns": ["CoNLL"]}])",
       "column 'CoNLL' has no task"},
      {R"([{"id": "x", "text": "t", "source": "s", "better": "A", "than": "base", "columns": ["ms"]}])",
       "column 'ms' is a latency"},
      {R"([{"id": "x", "text": "t", "source": "s", "better": "A", "than": "base", "bigger": 1}])", "claims[0]"},
      {R"([{"id": "x", "text": "t", "source": "s", "better": "A", "than": "base", "margin": -1}])",
       "claims[0].margin: expected a number >= 0"},
      {R"([{"id": "x", "text": "t", "source": "s", "better": "A", "than": "A"}])", "name the same row"},
      {R"([{"id": "x", "text": "t", "better": "A", "than": "base"}])", "claims[0]: needs a \"source\""},
      {R"([{"id": "x", "text": "t", "source": "s", "better": "A", "than": "base"},
           {"id": "x", "text": "t", "source": "s", "better": "B", "than": "base"}])",
       "claims[1].id: duplicate claim 'x'"},
      {R"({"id": "x"})", "claims: expected a list"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<TableSpec> spec = ParseTableSpec(SpecText(c.claims), "tc.json");
    ASSERT_FALSE(spec.ok()) << c.claims;
    EXPECT_THAT(std::string(spec.status().message()), HasSubstr(c.want)) << c.claims;
    EXPECT_THAT(std::string(spec.status().message()), HasSubstr("tc.json")) << c.claims;
  }
  // The unknown key is named.
  absl::StatusOr<TableSpec> spec = ParseTableSpec(SpecText(cases[5].claims), "tc.json");
  EXPECT_THAT(std::string(spec.status().message()), HasSubstr("bigger"));
}

TEST(Claims, AreNotPartOfRunIds) {
  const TableSpec without = Spec("");
  const TableSpec with = Spec(kAOverBase);
  for (const std::string profile : {"default", "two"}) {
    absl::StatusOr<std::vector<RunSpec>> a = ExpandRuns(without, profile, ""), b = ExpandRuns(with, profile, "");
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(a->size(), b->size());
    for (size_t i = 0; i < a->size(); ++i) EXPECT_EQ(RunSpecJson((*a)[i]), RunSpecJson((*b)[i]));
  }
}

}  // namespace
}  // namespace lrb
