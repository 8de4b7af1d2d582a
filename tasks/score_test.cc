#include "tasks/score.h"

#include <cmath>
#include <map>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "base/file.h"
#include "tasks/data.h"
#include "tasks/task.h"

namespace lrb {
namespace {

using ::testing::HasSubstr;

const TaskInfo& Task(const std::string& id) { return **FindTask(id); }

TextExample Gold(const std::string& id, float label) {
  TextExample e;
  e.id = id;
  e.label = label;
  e.labeled = true;
  return e;
}

std::vector<Prediction> Labels(const std::vector<float>& labels) {
  std::vector<Prediction> out;
  for (float l : labels) out.push_back({l, ""});
  return out;
}

std::string WriteTemp(const std::string& name, const std::string& text) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  EXPECT_TRUE(WriteFileAtomically(path, text, /*overwrite=*/true).ok());
  return path;
}

// ---- The registry is consistent. ----

TEST(TaskRegistry, EveryTaskIsWellFormed) {
  std::set<std::string> ids;
  for (const TaskInfo& t : AllTasks()) {
    EXPECT_TRUE(ids.insert(t.id).second) << t.id;
    EXPECT_TRUE(t.Split(t.eval_split).ok()) << t.id;
    if (!t.train_split.empty()) {
      EXPECT_TRUE(t.Split(t.train_split).ok()) << t.id;
    }
    EXPECT_TRUE((**t.Split(t.eval_split)).labeled) << t.id << ": the evaluation split must have labels";
    EXPECT_NE(std::find(t.metrics.begin(), t.metrics.end(), t.table_metric), t.metrics.end()) << t.id;
    EXPECT_EQ(t.kind == TaskKind::kClassification, !t.label_names.empty()) << t.id;
    for (const SplitInfo& s : t.splits) EXPECT_FALSE(s.files.empty()) << t.id << " " << s.name;
  }
  for (const char* id : {"glue/cola", "glue/sst2", "glue/mrpc", "glue/stsb", "glue/qqp", "glue/mnli", "glue/qnli",
                         "glue/rte", "glue/wnli", "glue/ax", "imdb", "samsum"}) {
    EXPECT_TRUE(ids.count(id)) << id;
  }
}

TEST(TaskRegistry, LookupsNameWhatIsAvailable) {
  absl::StatusOr<const TaskInfo*> missing = FindTask("glue/sst3");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("glue/sst2"));
  EXPECT_THAT(Task("glue/mnli").Split("dev").status().message(), HasSubstr("dev_matched, dev_mismatched"));
  EXPECT_EQ(*Task("glue/rte").LabelIndex("not_entailment"), 1);
  EXPECT_EQ(*Task("glue/rte").LabelIndex("0"), 0);
  EXPECT_THAT(Task("glue/rte").LabelIndex("2").status().message(), HasSubstr("entailment, not_entailment"));
  EXPECT_FALSE(Task("glue/mnli").LabelIndex("-1").ok());
}

// ---- Metrics per task, hand-computed. ----

TEST(ScorePredictions, ClassificationMetricsByHand) {
  // MRPC: gold 1 1 0 0 1, predicted 1 0 0 1 1 -> accuracy 3/5; TP 2, FP 1, FN 1 -> F1 = 4/6.
  std::vector<TextExample> gold = {Gold("0", 1), Gold("1", 1), Gold("2", 0), Gold("3", 0), Gold("4", 1)};
  absl::StatusOr<Scores> s = ScorePredictions(Task("glue/mrpc"), gold, Labels({1, 0, 0, 1, 1}));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->count, 5);
  EXPECT_DOUBLE_EQ(s->metrics.at("accuracy"), 0.6);
  EXPECT_DOUBLE_EQ(s->metrics.at("f1"), 2.0 / 3.0);
  // CoLA: the same confusion (TP 2, TN 1, FP 1, FN 1): MCC = (2*1 - 1*1) / sqrt(3*3*2*2) = 1/6.
  s = ScorePredictions(Task("glue/cola"), gold, Labels({1, 0, 0, 1, 1}));
  ASSERT_TRUE(s.ok());
  EXPECT_NEAR(s->metrics.at("matthews_correlation"), 1.0 / 6.0, 1e-12);
  EXPECT_EQ(s->metrics.size(), 1u);
}

TEST(ScorePredictions, RegressionAndRouge) {
  // Predictions a monotone but non-linear function of the gold scores: Spearman 1, Pearson below 1.
  std::vector<TextExample> gold = {Gold("0", 0), Gold("1", 1), Gold("2", 2), Gold("3", 3)};
  absl::StatusOr<Scores> s = ScorePredictions(Task("glue/stsb"), gold, Labels({0, 1, 4, 9}));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_NEAR(s->metrics.at("spearmanr"), 1.0, 1e-12);
  EXPECT_LT(s->metrics.at("pearson"), 0.99);
  EXPECT_GT(s->metrics.at("pearson"), 0.9);

  TextExample summary = Gold("a", 0);
  summary.target = "Amanda will text Larry.";
  std::vector<Prediction> same = {{0, "amanda will text larry"}}, none = {{0, ""}};
  s = ScorePredictions(Task("samsum"), {summary}, same);
  ASSERT_TRUE(s.ok()) << s.status();
  for (const char* m : {"rouge1", "rouge2", "rougeL", "rougeLsum"}) EXPECT_DOUBLE_EQ(s->metrics.at(m), 1.0) << m;
  s = ScorePredictions(Task("samsum"), {summary}, none);
  ASSERT_TRUE(s.ok());
  EXPECT_DOUBLE_EQ(s->metrics.at("rouge1"), 0.0);
}

TEST(ScorePredictions, RefusesWhatCannotBeScored) {
  std::vector<TextExample> gold = {Gold("0", 1), Gold("1", 0)};
  EXPECT_THAT(ScorePredictions(Task("glue/sst2"), gold, Labels({1})).status().message(), HasSubstr("1 predictions for 2"));
  EXPECT_THAT(ScorePredictions(Task("glue/sst2"), gold, Labels({1, 2})).status().message(), HasSubstr("not a class"));
  EXPECT_THAT(ScorePredictions(Task("glue/sst2"), gold, Labels({1, 0.5})).status().message(), HasSubstr("not a class"));
  gold[1].labeled = false;
  EXPECT_THAT(ScorePredictions(Task("glue/sst2"), gold, Labels({1, 0})).status().message(), HasSubstr("no gold label"));
  EXPECT_FALSE(ScorePredictions(Task("glue/sst2"), {}, {}).ok());
}

// ---- Rescoring subsets, bootstrap intervals and paired deltas. ----

TEST(ExampleScores, SubsetsScoreAsTheirExamplesDo) {
  std::vector<TextExample> gold = {Gold("0", 1), Gold("1", 1), Gold("2", 0), Gold("3", 0), Gold("4", 1)};
  const std::vector<Prediction> predicted = Labels({1, 0, 0, 1, 1});
  absl::StatusOr<ExampleScores> e = MakeExampleScores(Task("glue/mrpc"), gold, predicted);
  ASSERT_TRUE(e.ok()) << e.status();
  // Examples 0, 0, 2: all three right, the positive one twice -> accuracy 1, F1 1.
  std::map<std::string, double> sub = ScoreExamples(Task("glue/mrpc"), *e, {0, 0, 2});
  EXPECT_DOUBLE_EQ(sub.at("accuracy"), 1.0);
  EXPECT_DOUBLE_EQ(sub.at("f1"), 1.0);
  // Every subset: the same as ScorePredictions on those examples.
  const std::vector<int64_t> picked = {4, 1, 3, 3};
  std::vector<TextExample> g;
  std::vector<Prediction> p;
  for (int64_t i : picked) {
    g.push_back(gold[i]);
    p.push_back(predicted[i]);
  }
  EXPECT_EQ(ScoreExamples(Task("glue/mrpc"), *e, picked), ScorePredictions(Task("glue/mrpc"), g, p)->metrics);
  // Pearson of constant predictions is undefined there, not an error.
  absl::StatusOr<ExampleScores> r = MakeExampleScores(Task("glue/stsb"), gold, Labels({2, 2, 2, 2, 2}));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(std::isnan(ScoreExamples(Task("glue/stsb"), *r, {0, 1, 2}).at("pearson")));
  EXPECT_THAT(MakeExampleScores(Task("glue/mrpc"), gold, Labels({1, 0, 0, 1, 3})).status().message(),
              HasSubstr("not a class index"));
}

TEST(ExampleScores, RougeIsTheMeanOfItsDocuments) {
  std::vector<TextExample> gold;
  std::vector<Prediction> predicted;
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"Amanda will text Larry.", "amanda will text larry"},
      {"Tom and Ann meet at six at the cinema.", "tom meets ann"},
      {"Jo lost her keys.", "keys were lost by someone"}};
  for (const auto& [reference, prediction] : pairs) {
    TextExample e = Gold(std::to_string(gold.size()), 0);
    e.target = reference;
    gold.push_back(e);
    predicted.push_back({0, prediction});
  }
  absl::StatusOr<ExampleScores> e = MakeExampleScores(Task("samsum"), gold, predicted);
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->size(), 3);
  // All documents: exactly what ScorePredictions (rouge_score's mean F) gives.
  EXPECT_EQ(ScoreExamples(Task("samsum"), *e, {0, 1, 2}), ScorePredictions(Task("samsum"), gold, predicted)->metrics);
  // A resample with repeats weighs each document by its count: (2 * doc0 + doc2) / 3.
  const double expected = (2 * e->per_document.at("rouge1")[0] + e->per_document.at("rouge1")[2]) / 3;
  EXPECT_NEAR(ScoreExamples(Task("samsum"), *e, {0, 2, 0}).at("rouge1"), expected, 1e-15);
  absl::StatusOr<std::map<std::string, BootstrapInterval>> ci =
      BootstrapScores(Task("samsum"), *e, BootstrapOptions{});
  ASSERT_TRUE(ci.ok()) << ci.status();
  for (const char* m : {"rouge1", "rouge2", "rougeL", "rougeLsum"}) {
    ASSERT_TRUE(ci->count(m)) << m;
    EXPECT_LE(ci->at(m).low, ci->at(m).estimate) << m;
    EXPECT_GE(ci->at(m).high, ci->at(m).estimate) << m;
  }
}

TEST(PairedDelta, IdenticalSystemsGiveZeroAndAConstantShiftIsExact) {
  // 200 examples; the base is right on even indices; the head also on every index divisible by 5 -> head
  // gains exactly the odd multiples of 5 (20 of 200 = +0.1), and every resample moves by a non-negative amount.
  std::vector<TextExample> gold;
  std::vector<Prediction> base, head;
  for (int i = 0; i < 200; ++i) {
    gold.push_back(Gold(std::to_string(i), 1));
    base.push_back({i % 2 == 0 ? 1.f : 0.f, ""});
    head.push_back({(i % 2 == 0 || i % 5 == 0) ? 1.f : 0.f, ""});
  }
  const TaskInfo& sst2 = Task("glue/sst2");
  const ExampleScores b = *MakeExampleScores(sst2, gold, base), h = *MakeExampleScores(sst2, gold, head);
  absl::StatusOr<BootstrapInterval> same = PairedDelta(sst2, {{&b, &b}}, "accuracy", BootstrapOptions{});
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->estimate, 0);
  EXPECT_EQ(same->low, 0);
  EXPECT_EQ(same->high, 0);
  absl::StatusOr<BootstrapInterval> d = PairedDelta(sst2, {{&b, &h}}, "accuracy", BootstrapOptions{});
  ASSERT_TRUE(d.ok());
  EXPECT_NEAR(d->estimate, 0.1, 1e-12);
  EXPECT_GT(d->low, 0);  // the head never loses an example: the interval excludes zero
  EXPECT_LT(d->low, 0.1);
  EXPECT_GT(d->high, 0.1);
  // Two seeds: (0.1 + 0) / 2.
  absl::StatusOr<BootstrapInterval> two = PairedDelta(sst2, {{&b, &h}, {&b, &b}}, "accuracy", BootstrapOptions{});
  ASSERT_TRUE(two.ok());
  EXPECT_NEAR(two->estimate, 0.05, 1e-12);
  // Refusals name what is wrong.
  const ExampleScores short_one = *MakeExampleScores(sst2, {gold[0]}, {base[0]});
  EXPECT_THAT(PairedDelta(sst2, {{&b, &short_one}}, "accuracy", {}).status().message(), HasSubstr("differ in number"));
  EXPECT_THAT(PairedDelta(sst2, {{&b, &h}}, "f1", {}).status().message(), HasSubstr("no metric 'f1'"));
  EXPECT_FALSE(PairedDelta(sst2, {}, "accuracy", {}).ok());
}

// ---- Predictions files. ----

TEST(ReadPredictions, TsvWithNamesOrIndicesAndJsonl) {
  std::vector<TextExample> gold = {Gold("0", 0), Gold("1", 1), Gold("2", 1)};
  absl::StatusOr<std::vector<Prediction>> p = ReadPredictions(
      Task("glue/rte"), gold, WriteTemp("rte.tsv", "index\tprediction\n2\tnot_entailment\n0\tentailment\n1\t0\n"));
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->size(), 3u);
  EXPECT_EQ((*p)[0].label, 0);
  EXPECT_EQ((*p)[1].label, 0);
  EXPECT_EQ((*p)[2].label, 1);

  p = ReadPredictions(Task("glue/stsb"), gold, WriteTemp("stsb.tsv", "index\tprediction\r\n0\t4.5\r\n1\t0\r\n2\t3e0\r\n"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_FLOAT_EQ((*p)[0].label, 4.5f);
  EXPECT_FLOAT_EQ((*p)[2].label, 3.0f);

  std::vector<TextExample> dialogues = {Gold("13862856", 0), Gold("x7", 0)};
  p = ReadPredictions(Task("samsum"), dialogues,
                      WriteTemp("s.jsonl", "{\"id\": \"x7\", \"prediction\": \"b\"}\n{\"id\": 13862856, \"prediction\": \"a\\nb\"}\n"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)[0].text, "a\nb");
  EXPECT_EQ((*p)[1].text, "b");
}

TEST(ReadPredictions, ErrorsNameTheFirstOffendingLine) {
  std::vector<TextExample> gold = {Gold("0", 0), Gold("1", 1), Gold("2", 1)};
  const TaskInfo& rte = Task("glue/rte");
  struct Case {
    std::string name, text, message;
  };
  for (const Case& c : std::vector<Case>{
           {"missing.tsv", "index\tprediction\n0\t1\n", "missing.tsv: no prediction for id 1 (2 of 3 ids missing)"},
           {"extra.tsv", "index\tprediction\n0\t1\n7\t1\n", "extra.tsv:3: id 7 is not in the split"},
           {"dup.tsv", "index\tprediction\n0\t1\n1\t1\n0\t0\n", "dup.tsv:4: duplicate id 0 (first on line 2)"},
           {"label.tsv", "index\tprediction\n0\t1\n1\tmaybe\n", "label.tsv:3: 'maybe' is not a glue/rte label"},
           {"header.tsv", "0\t1\n1\t1\n2\t1\n", "header.tsv:1: the first line must be the header"},
           {"label_header.tsv", "index\tlabel\n0\t1\n", "label_header.tsv:1: the first line must be the header"},
           {"cols.tsv", "index\tprediction\n0\t1\textra\n", "cols.tsv:2: expected 'index<TAB>prediction', got 3"},
           {"bad.jsonl", "{\"id\": \"0\", \"prediction\": 1}\n{\"id\": \"1\"\n", "bad.jsonl:2: not a JSON object"},
           {"field.jsonl", "{\"id\": \"0\", \"label\": 1}\n", "field.jsonl:1: expected {\"id\""},
       }) {
    absl::StatusOr<std::vector<Prediction>> p = ReadPredictions(rte, gold, WriteTemp(c.name, c.text));
    ASSERT_FALSE(p.ok()) << c.name;
    EXPECT_THAT(p.status().message(), HasSubstr(c.message)) << c.name;
  }
  EXPECT_EQ(ReadPredictions(rte, gold, "/nonexistent/p.tsv").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(ReadPredictions(Task("glue/stsb"), gold, WriteTemp("nan.tsv", "index\tprediction\n0\tnan\n"))
                  .status()
                  .message(),
              HasSubstr("nan.tsv:2: 'nan' is not a finite number"));
}

// ---- The embedded default is found and scores end to end. ----

TEST(DataRoots, EmbeddedDefaultServesEveryTaskItHolds) {
  const std::vector<std::string> roots = DataRoots(std::nullopt);
  ASSERT_FALSE(roots.empty());
  for (const char* id : {"glue/cola", "glue/sst2", "glue/mrpc", "glue/stsb", "glue/qnli", "glue/rte", "glue/wnli"}) {
    const TaskInfo& task = Task(id);
    absl::StatusOr<ReadResult> dev = ReadSplit(task, task.eval_split, roots, {});
    ASSERT_TRUE(dev.ok()) << id << ": " << dev.status();
    std::vector<Prediction> oracle;
    for (const TextExample& e : dev->examples) oracle.push_back({e.label, ""});
    absl::StatusOr<Scores> s = ScorePredictions(task, dev->examples, oracle);
    ASSERT_TRUE(s.ok()) << id << ": " << s.status();
    EXPECT_NEAR(s->metrics.at(MetricName(task.table_metric)), 1.0, 1e-12) << id;
  }
  absl::StatusOr<ReadResult> imdb = ReadSplit(Task("imdb"), "test_2500", roots, {});
  ASSERT_TRUE(imdb.ok()) << imdb.status();
  EXPECT_EQ(imdb->examples.size(), 2500u);
  absl::StatusOr<ReadResult> samsum = ReadSplit(Task("samsum"), "test", roots, {});
  ASSERT_TRUE(samsum.ok()) << samsum.status();
  EXPECT_EQ(samsum->examples.size(), 819u);
}

TEST(DataRoots, MissingDataListsWhereItLooked) {
  const std::vector<std::string> roots = DataRoots(std::nullopt);
  absl::StatusOr<ReadResult> mnli = ReadSplit(Task("glue/mnli"), "dev_matched", roots, {});
  if (mnli.ok()) GTEST_SKIP() << "MNLI is present under " << mnli->path;
  EXPECT_EQ(mnli.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(mnli.status().message(), HasSubstr("no data for glue/mnli split dev_matched: tried "));
  EXPECT_THAT(mnli.status().message(), HasSubstr("glue/MNLI/dev_matched.tsv"));
  EXPECT_THAT(mnli.status().message(), HasSubstr("--data_dir"));
  EXPECT_FALSE(CheckDataDir("/nonexistent/lrbench-data").ok());
}

}  // namespace
}  // namespace lrb
