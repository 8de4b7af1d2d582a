// lrbench compare's library: records matched by key (not run id), paired deltas judged against the thresholds
// (an injected regression flagged, an identical rerun and a difference within noise not), records without
// per-example scores, failed runs, Google Benchmark ratios and spreads, and bad input named by file.
#include "experiment/report/compare.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "experiment/record.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lrb {
namespace {

using ::testing::HasSubstr;

constexpr int kExamples = 128;  // the smoke profile's evaluation examples

// Gold labels of an RTE-like split: alternating classes.
double Gold(int i) { return i % 2; }

// An RTE record whose predictions are right exactly where `right` says.
RunRecord Rte(const std::string& row, int seed, const std::vector<bool>& right, const std::string& id) {
  RunRecord r;
  r.run_id = id;
  r.table = "t1";
  r.row = row;
  r.task = "glue/rte";
  r.profile = "smoke";
  r.eval_split = "dev";
  r.spec_json = absl::StrCat(R"({"finetune_base":{"seed":)", seed, "}}");
  r.eval_count = right.size();
  int correct = 0;
  for (size_t i = 0; i < right.size(); ++i) {
    r.reference_labels.push_back(Gold(i));
    r.predicted_labels.push_back(right[i] ? Gold(i) : 1 - Gold(i));
    correct += right[i];
  }
  r.metrics["accuracy"] = static_cast<double>(correct) / right.size();
  r.provenance.date = "2026-12-08T00:00:00Z";
  return r;
}

// Right on the first `correct` examples of n.
std::vector<bool> RightOnFirst(int correct, int n = kExamples) {
  std::vector<bool> right(n, false);
  for (int i = 0; i < correct; ++i) right[i] = true;
  return right;
}

// An output directory of `lrbench reproduce` holding `records` (runs/<table>/<run id>.json).
std::string WriteOut(const std::string& name, const std::vector<RunRecord>& records) {
  const std::string dir = ::testing::TempDir() + "/" + name;
  std::filesystem::remove_all(dir);
  for (const RunRecord& r : records) {
    std::filesystem::create_directories(dir + "/runs/" + r.table);
    EXPECT_TRUE(WriteFileAtomically(dir + "/runs/" + r.table + "/" + r.run_id + ".json", RecordToJson(r), true).ok());
  }
  return dir;
}

absl::StatusOr<Comparison> CompareDirs(const std::string& base, const std::string& head,
                                       const CompareOptions& options = {}) {
  absl::StatusOr<CompareSide> b = ReadCompareSide(base, std::nullopt);
  if (!b.ok()) return b.status();
  absl::StatusOr<CompareSide> h = ReadCompareSide(head, std::nullopt);
  if (!h.ok()) return h.status();
  return Compare(*b, *h, options);
}

const CellComparison* Find(const Comparison& c, const std::string& row, const std::string& metric = "accuracy") {
  for (const CellComparison& x : c.cells) {
    if (x.row == row && x.metric == metric) return &x;
  }
  return nullptr;
}

TEST(CompareTest, AnIdenticalRerunUnderOtherRunIdsIsNoRegression) {
  const std::string base = WriteOut("same_base", {Rte("SVD", 42, RightOnFirst(80), "aaaa"),
                                                  Rte("FWSVD", 42, RightOnFirst(90), "bbbb")});
  const std::string head = WriteOut("same_head", {Rte("SVD", 42, RightOnFirst(80), "cccc"),
                                                  Rte("FWSVD", 42, RightOnFirst(90), "dddd")});
  absl::StatusOr<Comparison> c = CompareDirs(base, head);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->cells.size(), 2u);
  for (const CellComparison& x : c->cells) {
    EXPECT_EQ(x.delta_points, 0) << x.row;
    ASSERT_TRUE(x.low_points.has_value()) << x.row << ": " << x.note;
    EXPECT_EQ(*x.low_points, 0);
    EXPECT_EQ(*x.high_points, 0);
    EXPECT_EQ(x.change, Change::kNone);
    EXPECT_EQ(x.examples, kExamples);
  }
  EXPECT_NEAR(Find(*c, "SVD")->base, 80.0 / kExamples, 1e-12);
  EXPECT_EQ(c->Regressions(), 0);
  EXPECT_TRUE(c->base_only.empty());
  EXPECT_TRUE(c->head_only.empty());
  EXPECT_THAT(CompareMarkdown(*c, {}), HasSubstr("**No regression.**"));
}

TEST(CompareTest, AnInjectedRegressionIsFlagged) {
  // 20 of 80 right answers turned wrong: -15.6 points, every resample's delta negative.
  std::vector<bool> worse = RightOnFirst(80);
  for (int i = 0; i < 20; ++i) worse[i] = false;
  absl::StatusOr<Comparison> c = CompareDirs(WriteOut("reg_base", {Rte("SVD", 42, RightOnFirst(80), "aaaa")}),
                                             WriteOut("reg_head", {Rte("SVD", 42, worse, "bbbb")}));
  ASSERT_TRUE(c.ok()) << c.status();
  const CellComparison* x = Find(*c, "SVD");
  ASSERT_NE(x, nullptr);
  EXPECT_NEAR(x->delta_points, -2000.0 / kExamples, 1e-9);
  ASSERT_TRUE(x->high_points.has_value());
  EXPECT_LT(*x->high_points, 0);
  EXPECT_LE(*x->low_points, x->delta_points);
  EXPECT_EQ(x->change, Change::kRegression);
  EXPECT_EQ(c->Regressions(), 1);
  const std::string md = CompareMarkdown(*c, {});
  EXPECT_THAT(md, HasSubstr("**1 regression(s).**"));
  EXPECT_THAT(md, HasSubstr("| t1 | SVD | glue/rte | dev | smoke | accuracy | 42 | 128 | 62.50 | 46.88 | -15.62 |"));
  EXPECT_THAT(md, HasSubstr("**REGRESSION**"));

  // The same change the other way is an improvement: reported, not a failure.
  absl::StatusOr<Comparison> back = CompareDirs(::testing::TempDir() + "/reg_head", ::testing::TempDir() + "/reg_base");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(Find(*back, "SVD")->change, Change::kBetter);
  EXPECT_EQ(back->Regressions(), 0);
}

TEST(CompareTest, ADifferenceWithinNoiseIsNotFlagged) {
  // One example flipped (the known one-example difference between machines), and a shuffle of 3 wrong, 2 right.
  std::vector<bool> one = RightOnFirst(80), shuffled = RightOnFirst(80);
  one[5] = false;
  for (int i : {1, 2, 3}) shuffled[i] = false;
  for (int i : {100, 101}) shuffled[i] = true;
  absl::StatusOr<Comparison> c =
      CompareDirs(WriteOut("noise_base", {Rte("A", 42, RightOnFirst(80), "a1"), Rte("B", 42, RightOnFirst(80), "b1")}),
                  WriteOut("noise_head", {Rte("A", 42, one, "a2"), Rte("B", 42, shuffled, "b2")}));
  ASSERT_TRUE(c.ok()) << c.status();
  for (const std::string row : {"A", "B"}) {
    const CellComparison* x = Find(*c, row);
    ASSERT_NE(x, nullptr);
    EXPECT_NEAR(x->delta_points, -100.0 / kExamples, 1e-9) << row;
    ASSERT_TRUE(x->high_points.has_value()) << row;
    EXPECT_GE(*x->high_points, 0) << row;  // the interval reaches zero
    EXPECT_EQ(x->change, Change::kNone) << row;
  }
  EXPECT_EQ(c->Regressions(), 0);
}

TEST(CompareTest, ASignificantDropWithinTheThresholdIsWorseNotARegression) {
  // 2,000 examples, 16 right answers turned wrong: -0.8 points, significant, within --max_drop=1.
  std::vector<bool> worse = RightOnFirst(1400, 2000);
  for (int i = 0; i < 16; ++i) worse[i] = false;
  const std::string base = WriteOut("small_base", {Rte("SVD", 42, RightOnFirst(1400, 2000), "a")});
  const std::string head = WriteOut("small_head", {Rte("SVD", 42, worse, "b")});
  absl::StatusOr<Comparison> c = CompareDirs(base, head);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_LT(*Find(*c, "SVD")->high_points, 0);
  EXPECT_EQ(Find(*c, "SVD")->change, Change::kWorse);
  EXPECT_EQ(c->Regressions(), 0);
  CompareOptions strict;
  strict.max_drop = 0.5;
  c = CompareDirs(base, head, strict);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(Find(*c, "SVD")->change, Change::kRegression);
}

TEST(CompareTest, RecordsAreMatchedByTableRowTaskSplitProfileAndSeed) {
  RunRecord other_profile = Rte("SVD", 42, RightOnFirst(80), "p1");
  other_profile.profile = "fast";
  RunRecord older = Rte("SVD", 7, RightOnFirst(10), "old");
  older.provenance.date = "2026-01-01T00:00:00Z";
  const std::string base = WriteOut("key_base", {Rte("SVD", 42, RightOnFirst(80), "x1"), Rte("SVD", 7, RightOnFirst(70), "x2"),
                                                 Rte("Gone", 42, RightOnFirst(60), "x3")});
  const std::string head =
      WriteOut("key_head", {Rte("SVD", 7, RightOnFirst(70), "y2"), older, Rte("SVD", 42, RightOnFirst(80), "y1"),
                            Rte("New", 42, RightOnFirst(60), "y3"), other_profile});
  absl::StatusOr<Comparison> c = CompareDirs(base, head);
  ASSERT_TRUE(c.ok()) << c.status();
  // SVD's two seeds pair into one cell: the mean of 80 and 70 right on both sides.
  const CellComparison* svd = Find(*c, "SVD");
  ASSERT_NE(svd, nullptr);
  EXPECT_EQ(svd->seeds, (std::vector<int64_t>{7, 42}));
  EXPECT_NEAR(svd->base, 75.0 / kExamples, 1e-12);
  EXPECT_EQ(svd->delta_points, 0);  // the older head record of seed 7 (10 right) is not the one compared
  EXPECT_EQ(c->cells.size(), 1u);
  ASSERT_EQ(c->base_only.size(), 1u);
  EXPECT_THAT(c->base_only[0], HasSubstr("t1 / Gone / glue/rte / dev / smoke / seed 42"));
  EXPECT_THAT(c->base_only[0], HasSubstr("key_base/runs/t1/x3.json"));
  ASSERT_EQ(c->head_only.size(), 2u);
  EXPECT_THAT(c->head_only[0], HasSubstr("t1 / New / glue/rte / dev / smoke / seed 42"));
  EXPECT_THAT(c->head_only[1], HasSubstr("t1 / SVD / glue/rte / dev / fast / seed 42"));
  ASSERT_EQ(c->notes.size(), 1u);
  EXPECT_THAT(c->notes[0], HasSubstr("old.json ignored"));
  const std::string md = CompareMarkdown(*c, {});
  EXPECT_THAT(md, HasSubstr("## Without a counterpart"));
  EXPECT_THAT(md, HasSubstr("- only in head: t1 / New"));
}

TEST(CompareTest, ARecordWithoutPredictionsGetsTheDeltaWithoutInterval) {
  RunRecord old = Rte("SVD", 42, RightOnFirst(40), "b");
  old.predicted_labels.clear();
  old.reference_labels.clear();
  absl::StatusOr<Comparison> c =
      CompareDirs(WriteOut("old_base", {Rte("SVD", 42, RightOnFirst(80), "a")}), WriteOut("old_head", {old}));
  ASSERT_TRUE(c.ok()) << c.status();
  const CellComparison* x = Find(*c, "SVD");
  EXPECT_NEAR(x->delta_points, -4000.0 / kExamples, 1e-9);
  EXPECT_FALSE(x->low_points.has_value());
  EXPECT_EQ(x->change, Change::kNotJudged);
  EXPECT_THAT(x->note, HasSubstr("no per-example scores in"));
  EXPECT_THAT(x->note, HasSubstr("old_head/runs/t1/b.json"));
  EXPECT_THAT(CompareMarkdown(*c, {}), HasSubstr("not judged"));
}

TEST(CompareTest, AHeadRunThatFailedWhereTheBaseMeasuredIsARegression) {
  RunRecord failed = Rte("SVD", 42, {}, "b");
  failed.status = RunStatus::kFailed;
  failed.error = "out of memory";
  failed.metrics.clear();
  absl::StatusOr<Comparison> c =
      CompareDirs(WriteOut("fail_base", {Rte("SVD", 42, RightOnFirst(80), "a")}), WriteOut("fail_head", {failed}));
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->cells.size(), 1u);
  EXPECT_EQ(c->cells[0].change, Change::kRegression);
  EXPECT_THAT(c->cells[0].note, HasSubstr("head failed: out of memory"));
  // Failed on both sides: nothing to compare, counted in the notes.
  c = CompareDirs(::testing::TempDir() + "/fail_head", ::testing::TempDir() + "/fail_head");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->cells.empty());
  EXPECT_EQ(c->unmeasured, 1);
  EXPECT_EQ(c->Regressions(), 0);
  EXPECT_THAT(CompareMarkdown(*c, {}), HasSubstr("1 run(s) measured on neither side"));
}

TEST(CompareTest, AChangedParameterCountIsNotedNotJudged) {
  RunRecord base = Rte("SVD", 42, RightOnFirst(80), "a"), head = Rte("SVD", 42, RightOnFirst(80), "b");
  base.params_after = 100;
  head.params_after = 90;
  absl::StatusOr<Comparison> c = CompareDirs(WriteOut("params_base", {base}), WriteOut("params_head", {head}));
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->notes.size(), 1u);
  EXPECT_THAT(c->notes[0], HasSubstr("t1 / SVD / glue/rte / dev / smoke / seed 42: parameters after compression 100 -> 90"));
  EXPECT_EQ(c->Regressions(), 0);
}

TEST(CompareTest, MatchedRecordsOfDifferentExampleCountsAreRefusedNamingBoth) {
  absl::StatusOr<Comparison> c = CompareDirs(WriteOut("count_base", {Rte("SVD", 42, RightOnFirst(80), "a")}),
                                             WriteOut("count_head", {Rte("SVD", 42, RightOnFirst(80, 127), "b")}));
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("count_base/runs/t1/a.json has 128 evaluation examples"));
  EXPECT_THAT(c.status().message(), HasSubstr("count_head/runs/t1/b.json has 127"));
}

TEST(CompareTest, BadInputIsNamed) {
  const std::string dir = ::testing::TempDir() + "/bad_inputs";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir + "/noruns");
  std::filesystem::create_directories(dir + "/out/runs/t1");
  std::ofstream(dir + "/out/runs/t1/broken.json") << "{not json";
  std::ofstream(dir + "/other.json") << R"({"hello": 1})";
  std::filesystem::create_directories(dir + "/empty/runs");
  for (const auto& [path, message] : std::vector<std::pair<std::string, std::string>>{
           {dir + "/missing", dir + "/missing: no such file or directory"},
           {dir + "/noruns", dir + "/noruns: no runs/ folder"},
           {dir + "/empty", dir + "/empty/runs: no run records"},
           {dir + "/out", dir + "/out/runs/t1/broken.json"},
           {dir + "/other.json", dir + "/other.json: neither a run record nor Google Benchmark JSON"},
       }) {
    absl::StatusOr<CompareSide> side = ReadCompareSide(path, std::nullopt);
    ASSERT_FALSE(side.ok()) << path;
    EXPECT_THAT(side.status().message(), HasSubstr(message));
  }
  absl::StatusOr<CompareSide> side = ReadCompareSide(std::nullopt, dir + "/other.json");
  ASSERT_FALSE(side.ok());
  EXPECT_THAT(side.status().message(), HasSubstr(dir + "/other.json: not Google Benchmark JSON"));
}

// Google Benchmark 1.7.1's JSON (--benchmark_format=json --benchmark_repetitions=3), trimmed to what matters.
std::string BenchmarkJson(const std::string& unit, const std::vector<double>& times, const std::string& name = "BM_x/64") {
  std::string entries;
  for (size_t i = 0; i < times.size(); ++i) {
    absl::StrAppend(&entries, i ? "," : "", R"({"name": ")", name, R"(", "run_name": ")", name,
                    R"(", "run_type": "iteration", "repetitions": )", times.size(), R"(, "repetition_index": )", i,
                    R"(, "threads": 1, "iterations": 1000, "real_time": )", times[i], R"(, "cpu_time": )", times[i],
                    R"(, "time_unit": ")", unit, R"("})");
  }
  absl::StrAppend(&entries, R"(, {"name": ")", name, R"(_mean", "run_name": ")", name,
                  R"(", "run_type": "aggregate", "repetitions": 3, "aggregate_name": "mean", "aggregate_unit": "time",
                  "real_time": 1, "cpu_time": 1, "time_unit": "ns"})");
  return absl::StrCat(R"({"context": {"date": "2026-12-08", "num_cpus": 2}, "benchmarks": [)", entries, "]}");
}

TEST(CompareBenchmarkTest, ReadsRepetitionsInNanoseconds) {
  absl::StatusOr<std::vector<BenchmarkCase>> cases = ParseBenchmarkJson(BenchmarkJson("us", {1, 2, 3}), "b.json");
  ASSERT_TRUE(cases.ok()) << cases.status();
  ASSERT_EQ(cases->size(), 1u);
  EXPECT_EQ((*cases)[0].name, "BM_x/64");
  EXPECT_EQ((*cases)[0].repetitions, 3);
  EXPECT_DOUBLE_EQ((*cases)[0].mean_ns, 2000);
  EXPECT_DOUBLE_EQ((*cases)[0].stddev_ns, 1000);  // sample standard deviation, as Google Benchmark's stddev
  // --benchmark_report_aggregates_only: mean and stddev aggregates only.
  cases = ParseBenchmarkJson(R"({"benchmarks": [
      {"name": "BM_y_mean", "run_name": "BM_y", "run_type": "aggregate", "repetitions": 5, "aggregate_name": "mean",
       "real_time": 4, "time_unit": "ms"},
      {"name": "BM_y_median", "run_name": "BM_y", "run_type": "aggregate", "repetitions": 5, "aggregate_name": "median",
       "real_time": 9, "time_unit": "ms"},
      {"name": "BM_y_stddev", "run_name": "BM_y", "run_type": "aggregate", "repetitions": 5, "aggregate_name": "stddev",
       "real_time": 0.5, "time_unit": "ms"}]})",
                             "agg.json");
  ASSERT_TRUE(cases.ok()) << cases.status();
  EXPECT_EQ((*cases)[0].repetitions, 5);
  EXPECT_DOUBLE_EQ((*cases)[0].mean_ns, 4e6);
  EXPECT_DOUBLE_EQ((*cases)[0].stddev_ns, 5e5);
  for (const auto& [text, message] : std::vector<std::pair<std::string, std::string>>{
           {"[1, 2]", "x.json: not Google Benchmark JSON"},
           {R"({"benchmarks": [{"name": "a", "real_time": 1, "time_unit": "min"}]})",
            "x.json: benchmarks[0]: unknown time_unit \"min\""},
           {R"({"benchmarks": [{"name": "a", "time_unit": "ns"}]})", "x.json: benchmarks[0]: no finite \"real_time\""},
       }) {
    EXPECT_THAT(ParseBenchmarkJson(text, "x.json").status().message(), HasSubstr(message)) << text;
  }
}

absl::StatusOr<Comparison> CompareBenchmarks(const std::string& base_json, const std::string& head_json,
                                             const CompareOptions& options = {}) {
  const std::string dir = ::testing::TempDir();
  EXPECT_TRUE(WriteFileAtomically(dir + "/base_bench.json", base_json, true).ok());
  EXPECT_TRUE(WriteFileAtomically(dir + "/head_bench.json", head_json, true).ok());
  absl::StatusOr<CompareSide> b = ReadCompareSide(dir + "/base_bench.json", std::nullopt);  // detected by content
  if (!b.ok()) return b.status();
  absl::StatusOr<CompareSide> h = ReadCompareSide(std::nullopt, dir + "/head_bench.json");
  if (!h.ok()) return h.status();
  return Compare(*b, *h, options);
}

TEST(CompareBenchmarkTest, RatioOfMeansWithTheSpreadOfTheRepetitions) {
  // Base 10, 11, 12 ns (mean 11, sd 1); head 0.020, 0.022, 0.024 us (mean 22 ns, sd 2): ratio 2, spread
  // [(22 - 2) / (11 + 1), (22 + 2) / (11 - 1)] = [1.667, 2.4].
  absl::StatusOr<Comparison> c =
      CompareBenchmarks(BenchmarkJson("ns", {10, 11, 12}), BenchmarkJson("us", {0.020, 0.022, 0.024}));
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->benchmarks.size(), 1u);
  const BenchmarkComparison& b = c->benchmarks[0];
  EXPECT_NEAR(b.ratio, 2, 1e-12);
  EXPECT_NEAR(b.low, 20.0 / 12, 1e-12);
  EXPECT_NEAR(b.high, 2.4, 1e-12);
  EXPECT_EQ(b.change, Change::kRegression);
  EXPECT_EQ(c->Regressions(), 1);
  EXPECT_THAT(CompareMarkdown(*c, {}), HasSubstr("| BM_x/64 | 11 ns ± 1 ns | 22 ns ± 2 ns | 3 / 3 | 2.000 | [1.667, 2.400] |"));
  // The other way: twice as fast, better.
  c = CompareBenchmarks(BenchmarkJson("us", {0.020, 0.022, 0.024}), BenchmarkJson("ns", {10, 11, 12}));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->benchmarks[0].change, Change::kBetter);
  EXPECT_EQ(c->Regressions(), 0);
}

TEST(CompareBenchmarkTest, SlowdownsWithinTheSpreadOrTheThresholdAreNotRegressions) {
  // Within the spread: head 10.5 to 12.5 ns against base 10 to 12 ns.
  absl::StatusOr<Comparison> c =
      CompareBenchmarks(BenchmarkJson("ns", {10, 11, 12}), BenchmarkJson("ns", {10.5, 12.5, 11}));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->benchmarks[0].change, Change::kNone);
  // Beyond the spread but within --max_slowdown (1.05 < 1.10): worse, not a failure.
  c = CompareBenchmarks(BenchmarkJson("ns", {100, 100.1, 100.2}), BenchmarkJson("ns", {105, 105.1, 105.2}));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->benchmarks[0].change, Change::kWorse);
  EXPECT_EQ(c->Regressions(), 0);
  // One repetition: no spread, not judged however large the ratio.
  c = CompareBenchmarks(BenchmarkJson("ns", {10}), BenchmarkJson("ns", {30}));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_NEAR(c->benchmarks[0].ratio, 3, 1e-12);
  EXPECT_EQ(c->benchmarks[0].change, Change::kNotJudged);
  EXPECT_THAT(c->benchmarks[0].note, HasSubstr("one repetition"));
  // Cases on one side only are listed.
  c = CompareBenchmarks(BenchmarkJson("ns", {10, 11}, "BM_a"), BenchmarkJson("ns", {10, 11}, "BM_b"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->benchmarks.empty());
  EXPECT_EQ(c->base_only, (std::vector<std::string>{"benchmark BM_a"}));
  EXPECT_EQ(c->head_only, (std::vector<std::string>{"benchmark BM_b"}));
}

}  // namespace
}  // namespace lrb
