// Specs (parsing, validation, expansion) and the runner end to end on the embedded
// bert-mini with a few RTE examples: records, resumption, sharding, failed and no-data runs.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "base/file.h"
#include "experiment/provenance.h"
#include "experiment/record.h"
#include "experiment/runner.h"
#include "runtime/model/row_pruning.h"
#include "experiment/spec.h"
#include "experiment/stages/distill.h"
#include "experiment/stages/peft.h"
#include "methods/registry.h"
#include "tasks/task.h"

namespace lrb {
namespace {

using ::testing::HasSubstr;

std::string Runfiles() { return std::string(std::getenv("TEST_SRCDIR")) + "/lrbench"; }

const char kSpec[] = R"({
  "id": "tz", "title": "runner test", "source": "test", "setting": "test",
  "columns": [{"name": "RTE", "task": "glue/rte", "metric": "accuracy"},
              {"name": "MNLI-m", "task": "glue/mnli", "metric": "accuracy"},
              {"name": "MNLI-mm", "task": "glue/mnli", "metric": "accuracy", "split": "dev_mismatched"},
              {"name": "CoNLL"}],
  "published": [{"label": "BERT-base", "params": "110M", "values": {"RTE": 66.4}, "source": "x", "baseline": true}],
  "grid": {
    "model": "third_party/embedded/models/bert-mini-mlm",
    "finetune_base": {"epochs": 1, "lr": 1e-4, "batch_size": 16, "max_length": 32, "seed": 42},
    "linears": ["bert.encoder.layer.*.attention.self.query", "bert.encoder.layer.*.output.dense"],
    "statistics_examples": 16, "max_train_examples": 48, "max_eval_examples": 24,
    "rows": [
      {"label": "uncompressed"},
      {"label": "FWSVD", "method": "fwsvd", "budget": {"param_ratio": 0.25},
       "refinetune": {"epochs": 1, "lr": 1e-4, "batch_size": 16, "max_length": 32}, "speed": true},
      {"label": "broken", "method": "svd", "budget": {"rank": 100000}}
    ]
  },
  "profiles": {"rte": {"tasks": ["glue/rte"], "rows": ["uncompressed", "FWSVD"]}}
})";

TEST(TableSpec, ParsesAndExpands) {
  absl::StatusOr<TableSpec> spec = ParseTableSpec(kSpec, "tz.json");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->columns[2].split, "dev_mismatched");
  EXPECT_TRUE(spec->published[0].baseline);
  EXPECT_TRUE(spec->grid->rows[0].baseline);
  EXPECT_FALSE(spec->grid->rows[1].baseline);
  // 3 rows x (RTE, MNLI matched, MNLI mismatched); the published-only column runs nothing.
  absl::StatusOr<std::vector<RunSpec>> runs = ExpandRuns(*spec, "default", "");
  ASSERT_TRUE(runs.ok()) << runs.status();
  ASSERT_EQ(runs->size(), 9u);
  EXPECT_EQ((*runs)[2].eval_split, "dev_mismatched");
  runs = ExpandRuns(*spec, "rte", "/models/x");
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[1].model, "/models/x");
  EXPECT_EQ((*runs)[1].model_label, "x");
  EXPECT_EQ(ModelLabel("/models/roberta-base/"), "roberta-base");  // a trailing slash still names the folder
  EXPECT_EQ(ModelLabel("roberta-base"), "roberta-base");
  EXPECT_EQ(ExpandRuns(*spec, "nope", "").status().code(), absl::StatusCode::kNotFound);
  // The run's JSON (its content hash) changes with what it computes.
  EXPECT_NE(RunSpecJson((*runs)[0]), RunSpecJson((*runs)[1]));
  // Only pruning rows carry a "pruning" key (the ids of other runs do not change); a row from the
  // checkpoint has no base fine-tuning.
  EXPECT_THAT(RunSpecJson((*runs)[1]), ::testing::Not(HasSubstr("pruning")));
  std::string text = kSpec;
  const std::string row = R"({"label": "broken", "method": "svd", "budget": {"rank": 100000}})";
  text.replace(text.find(row), row.size(),
               R"({"label": "LoSparse", "method": "losparse", "budget": {"param_ratio": 0.2}, "from_checkpoint": true,
                   "refinetune": {"epochs": 1, "lr": 1e-4}, "pruning": {"keep": 0.1, "delta_t": 5}})");
  spec = ParseTableSpec(text, "tz.json");
  ASSERT_TRUE(spec.ok()) << spec.status();
  runs = ExpandRuns(*spec, "default", "");
  ASSERT_TRUE(runs.ok());
  const RunSpec& pruned = runs->back();
  ASSERT_NE(FindStageUse(pruned.stages, "pruning"), nullptr);
  const RowPruningOptions& pruning = *FindStageUse(pruned.stages, "pruning")->As<RowPruningOptions>();
  EXPECT_EQ(pruning.delta_t, 5);
  EXPECT_DOUBLE_EQ(pruning.beta, 0.85);
  EXPECT_FALSE(pruned.finetune_base.has_value());
  EXPECT_THAT(RunSpecJson(pruned), HasSubstr(R"("pruning":{"beta":0.85,"delta_t":5)"));
  EXPECT_THAT(RunSpecJson(pruned), ::testing::Not(HasSubstr("distill")));
  // A distillation row keeps the base fine-tuning (its teacher); a profile's overrides reach the general
  // stage's recipe too.
  text = kSpec;
  text.replace(text.find(row), row.size(),
               R"({"label": "KD", "method": "kronecker", "budget": {"param_ratio": 0.2}, "refinetune": {"epochs": 2},
                   "distill": {"general": {"epochs": 3, "max_length": 64}, "general_examples": 100, "labels": 1}})");
  text.replace(text.find(R"("rows": ["uncompressed", "FWSVD"])"), 33, R"("rows": ["KD"], "finetune_base": {"epochs": 1})");
  spec = ParseTableSpec(text, "tz.json");
  ASSERT_TRUE(spec.ok()) << spec.status();
  runs = ExpandRuns(*spec, "rte", "");
  ASSERT_TRUE(runs.ok()) << runs.status();
  ASSERT_EQ(runs->size(), 1u);
  const RunSpec& kd = runs->front();
  ASSERT_NE(FindStageUse(kd.stages, "distill"), nullptr);
  const DistillSpec& distill = *FindStageUse(kd.stages, "distill")->As<DistillSpec>();
  ASSERT_TRUE(distill.general.has_value());
  EXPECT_TRUE(kd.finetune_base.has_value());
  EXPECT_EQ(distill.general->epochs, 1);
  EXPECT_EQ(distill.general->max_length, 64);
  EXPECT_TRUE(distill.task);
  EXPECT_THAT(RunSpecJson(kd), HasSubstr(R"("distill":{"general":{)"));
  EXPECT_THAT(RunSpecJson(kd), ::testing::Not(HasSubstr("peft")));
  EXPECT_THAT(RunSpecJson(kd), ::testing::Not(HasSubstr("embeddings")));
  // A row may compress the token embeddings too, with a method of their own.
  text = kSpec;
  text.replace(text.find(row), row.size(),
               R"({"label": "KE", "method": "kronecker", "budget": {"param_ratio": 0.2},
                   "embeddings": {"method": "kronecker", "budget": {"rank": 1}, "options": {"m2": "1", "n2": "8"}}})");
  spec = ParseTableSpec(text, "tz.json");
  ASSERT_TRUE(spec.ok()) << spec.status();
  runs = ExpandRuns(*spec, "default", "");
  ASSERT_TRUE(runs.ok());
  ASSERT_NE(FindStageUse(runs->back().stages, "embeddings"), nullptr);
  EXPECT_THAT(RunSpecJson(runs->back()),
              HasSubstr(R"("embeddings":{"budget":"rank=1","method":"kronecker","options":{"m2":"1","n2":"8"}})"));
  // A parameter-efficient row is not a baseline, trains the checkpoint (no base fine-tuning) and carries
  // its adapter in the run's JSON.
  text = kSpec;
  text.replace(text.find(row), row.size(),
               R"({"label": "LoRA", "refinetune": {"epochs": 2, "lr": 5e-4},
                   "peft": {"adapter": {"kind": "lora", "rank": 4, "tt_rank": 5}, "linears": ["**.query"], "train": ["classifier.**"]}})");
  spec = ParseTableSpec(text, "tz.json");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_FALSE(spec->grid->rows.back().baseline);
  runs = ExpandRuns(*spec, "default", "");
  ASSERT_TRUE(runs.ok());
  const RunSpec& lora = runs->back();
  ASSERT_NE(FindStageUse(lora.stages, "peft"), nullptr);
  const PeftSpec& peft = *FindStageUse(lora.stages, "peft")->As<PeftSpec>();
  ASSERT_TRUE(peft.adapter.has_value());
  EXPECT_FALSE(lora.finetune_base.has_value());
  EXPECT_EQ(peft.adapter->rank, 4);
  EXPECT_DOUBLE_EQ(peft.adapter->alpha, 16);
  EXPECT_THAT(RunSpecJson(lora), HasSubstr(R"("peft":{"adapter":{"alpha":16.0,"dropout":0.0,"kind":"lora","rank":4,"tt_order":3,"tt_rank":5},"linears":["**.query"],"train":["classifier.**"]})"));
}

// Seeds repeat each run with the seed in every recipe; the seed-42 runs stay what they were (same ids), a
// single-seed task runs the first seed only, and a row that trains nothing is not repeated.
TEST(TableSpec, SeedsRepeatTheRunsThatTrain) {
  absl::StatusOr<TableSpec> plain = ParseTableSpec(kSpec, "tz.json");
  ASSERT_TRUE(plain.ok()) << plain.status();
  std::string text = kSpec;
  text.replace(text.find("\"rows\": ["), 0, R"("seeds": [42, 7], "single_seed_tasks": ["glue/mnli"], )");
  absl::StatusOr<TableSpec> spec = ParseTableSpec(text, "tz.json");
  ASSERT_TRUE(spec.ok()) << spec.status();
  const std::vector<RunSpec> before = *ExpandRuns(*plain, "default", "");
  const std::vector<RunSpec> runs = *ExpandRuns(*spec, "default", "");
  std::set<std::string> before_ids, ids;
  for (const RunSpec& r : before) before_ids.insert(RunSpecJson(r));
  int rte_seven = 0;
  for (const RunSpec& r : runs) {
    ids.insert(RunSpecJson(r));
    if (r.task == "glue/rte" && r.finetune_base->seed == 7) {
      ++rte_seven;
      if (r.refinetune) {
        EXPECT_EQ(r.refinetune->seed, 7u);
      }
    }
    if (r.task == "glue/mnli") {
      EXPECT_EQ(r.finetune_base->seed, 42u) << "single-seed task";
    }
  }
  EXPECT_EQ(rte_seven, 3);  // every row of RTE again with seed 7
  EXPECT_EQ(runs.size(), before.size() + 3);
  for (const std::string& id : before_ids) EXPECT_TRUE(ids.count(id)) << "a seed-42 run changed: " << id;
  // A profile's seeds replace the grid's.
  text.replace(text.find("\"profiles\": {") + 13, 0, R"("one": {"seeds": [5]}, )");
  spec = ParseTableSpec(text, "tz.json");
  ASSERT_TRUE(spec.ok()) << spec.status();
  const std::vector<RunSpec> one = *ExpandRuns(*spec, "one", "");
  EXPECT_EQ(one.size(), before.size());
  for (const RunSpec& r : one) EXPECT_EQ(r.finetune_base->seed, 5u);
  // Bad seed lists are refused by name.
  for (const auto& [seeds, message] : std::vector<std::pair<std::string, std::string>>{
           {"[]", "grid.seeds: expected a non-empty list"},
           {"[1, 1]", "seed 1 is listed twice"},
           {"[-1]", "-1 is not a seed"},
           {"[1.5]", "1.5 is not a seed"}}) {
    std::string bad = kSpec;
    bad.replace(bad.find("\"rows\": ["), 0, "\"seeds\": " + seeds + ", ");
    EXPECT_THAT(ParseTableSpec(bad, "tz.json").status().message(), HasSubstr(message)) << seeds;
  }
  std::string unknown = kSpec;
  unknown.replace(unknown.find("\"rows\": ["), 0, R"("seeds": [1], "single_seed_tasks": ["glue/sst2"], )");
  EXPECT_THAT(ParseTableSpec(unknown, "tz.json").status().message(), HasSubstr("'glue/sst2' is the task of no column"));
}

TEST(TableSpec, CommentsAreAllowed) {
  // The annotated format in results/README.md: // and /* */ comments, as its example shows them.
  std::string text = kSpec;
  text.replace(text.find("\"title\""), 0, "// the table's title\n  /* a block\n comment */ ");
  absl::StatusOr<TableSpec> spec = ParseTableSpec(text, "tz.json");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->title, "runner test");
  // A comment does not hide a syntax error.
  EXPECT_FALSE(ParseTableSpec(text + "}", "tz.json").ok());
}

TEST(TableSpec, ErrorsNameTheFileAndTheKey) {
  struct Case {
    std::string text, message;
  };
  const std::string head = R"("id": "e", "title": "t", "columns": [{"name": "A", "task": "glue/rte", "metric": "accuracy"}])";
  for (const Case& c : std::vector<Case>{
           {"{" + head + R"(, "colour": 1})", "e.json: spec: unknown key 'colour'"},
           {"{" + head + R"(, "status": "measured"})", "a measured table needs a \"grid\""},
           {"{" + head + R"(, "published": [{"label": "x", "source": "s", "values": {"B": 1}}]})", "no column named 'B'"},
           {"{" + head + R"(, "published": [{"label": "x", "values": {"A": 1}}]})", "needs a label and a source"},
           {"{" + head + R"(, "grid": {"model": "m", "rows": [{"label": "r", "method": "svd"}]}})",
            "grid.rows[0]: a row with a method needs a budget"},
           {"{" + head + R"(, "grid": {"model": "m", "rows": [{"label": "r", "method": "svd", "budget": {"rank": 2, "bits": 4}}]}})",
            "grid.rows[0].budget: give exactly one of rank, param_ratio, bits"},
           {"{" + head + R"(, "grid": {"model": "m", "rows": [{"label": "r"}, {"label": "r"}]}})", "duplicate label 'r'"},
           {"{" + head + R"(, "grid": {"model": "m", "finetune_base": {"epochs": 0}, "rows": [{"label": "r"}]}})",
            "grid.finetune_base.epochs: expected an integer >= 1, got 0"},
           {"{" + head + R"(, "grid": {"model": "m", "finetune_base": {"warmup_ratio": 1.5}, "rows": [{"label": "r"}]}})",
            "grid.finetune_base.warmup_ratio: expected a number in [0, 1], got 1.5"},
           {"{" + head + R"(, "grid": {"model": "m", "rows": [{"label": "r"}]}, "profiles": {"p": {"finetune_base": {"lr": 0}}}})",
            "profiles.p.finetune_base.lr: expected a finite number > 0, got 0"},
           {"{" + head + R"(, "grid": {"model": "m", "rows": [{"label": "r", "method": "losparse", "budget": {"rank": 2}, "pruning": {}}]}})",
            "grid.rows[0].pruning: pruning happens while re-fine-tuning"},
           {"{" + head + R"(, "grid": {"model": "m", "rows": [{"label": "r", "method": "losparse", "budget": {"rank": 2}, "refinetune": {}, "pruning": {"keep": 2}}]}})",
            "grid.rows[0].pruning: needs keep in [0, 1]"},
           {"{" + head + R"(, "grid": {"model": "m", "rows": [{"label": "r", "method": "svd", "budget": {"rank": 2}, "from_checkpoint": true}]}})",
            "grid.rows[0].from_checkpoint: needs a method and \"refinetune\""},
           {"{" + head + R"(, "grid": {"model": "m", "rows": [{"label": "r", "method": "kronecker", "budget": {"rank": 2}, "distill": {}}]}})",
            "grid.rows[0].distill: needs a method and \"refinetune\""},
           {"{" + head + R"(, "grid": {"model": "m", "rows": [{"label": "r", "method": "kronecker", "budget": {"rank": 2}, "refinetune": {}, "distill": {"labels": -1}}]}})",
            "grid.rows[0].distill: needs general_examples >= 0 and labels >= 0"},
           {"{" + head + R"(, "grid": {"model": "m", "rows": [{"label": "r", "peft": {"train": ["**.bias"]}}]}})",
            "grid.rows[0].peft: needs \"refinetune\""},
           {"{" + head + R"(, "grid": {"model": "m", "rows": [{"label": "r", "refinetune": {}, "peft": {}}]}})",
            "grid.rows[0].peft: nothing would train"},
           {"{" + head + R"(, "grid": {"model": "m", "rows": [{"label": "r", "refinetune": {}, "peft": {"adapter": {"kind": "prefix"}, "linears": ["x"]}}]}})",
            "grid.rows[0].peft.adapter: adapter kind 'prefix': expected lora or bottleneck"},
           {"{" + head + R"(, "grid": {"model": "m", "rows": [{"label": "r", "refinetune": {}, "peft": {"adapter": {"rank": 0}, "linears": ["x"]}}]}})",
            "grid.rows[0].peft.adapter: adapter rank 0: expected >= 1"},
           {"{" + head + R"(, "grid": {"model": "m", "rows": [{"label": "r", "refinetune": {}, "peft": {"adapter": {}}}]}})",
            "grid.rows[0].peft.linears: an adapter needs the linears it goes on"},
           {"{" + head + R"(, "grid": {"model": "m", "rows": [{"label": "r", "embeddings": {"method": "svd", "budget": {"rank": 2}}}]}})",
            "grid.rows[0].embeddings: compresses alongside the row's linears"},
           {"{" + head + R"(, "grid": {"model": "m", "rows": [{"label": "r", "method": "svd", "budget": {"rank": 2}, "embeddings": {"method": "svd"}}]}})",
            "grid.rows[0].embeddings: needs a method and a budget"},
           {"{" + head + R"(, "grid": {"model": "m", "rows": [{"label": "r", "refinetune": {}, "peft": {"adapter": {"kind": "bottleneck", "alpha": 8}, "linears": ["x"]}}]}})",
            "grid.rows[0].peft.adapter: alpha and dropout are LoRA's"},
           {"[1, 2]", "e.json: spec: expected an object"},
           {"{", "e.json: not valid JSON"},
       }) {
    absl::StatusOr<TableSpec> spec = ParseTableSpec(c.text, "e.json");
    ASSERT_FALSE(spec.ok()) << c.text;
    EXPECT_THAT(spec.status().message(), HasSubstr(c.message)) << c.text;
  }
}

// Budgets and options a method cannot take are refused before any work starts, naming the table and row.
TEST(TableSpec, ValidateTableRefusesSettingsTheMethodCannotTake) {
  const std::string head = R"("id": "v", "title": "t", "columns": [{"name": "A", "task": "glue/rte", "metric": "accuracy"}])";
  const std::string grid = R"(, "grid": {"model": "m", "linears": ["x"], "rows": [)";
  struct Case {
    std::string row, message;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"label": "r", "method": "svd", "budget": {"bits": 4}})", "row r: method svd takes"},
           {R"({"label": "r", "method": "svd", "budget": {"rank": 4}, "options": {"colour": "red"}})",
            "row r: method svd has no option --colour"},
           {R"({"label": "r", "method": "kronecker", "budget": {"rank": 1}, "embeddings": {"method": "kashin", "budget": {"rank": 2}}})",
            "row r: embeddings: method kashin takes"},
       }) {
    absl::StatusOr<TableSpec> spec = ParseTableSpec("{" + head + grid + c.row + "]}}", "v.json");
    ASSERT_TRUE(spec.ok()) << spec.status();
    absl::Status s = ValidateTable(*spec);
    ASSERT_FALSE(s.ok()) << c.row;
    EXPECT_THAT(s.message(), HasSubstr("v.json: " + c.message)) << c.row;
  }
}

// Every committed paper table parses, names tasks, metrics and methods the suite has, and has a smoke profile.
TEST(TableSpec, PaperTablesAreConsistent) {
  absl::StatusOr<std::vector<TableSpec>> specs = ReadTableSpecs(Runfiles() + "/results/papers");
  ASSERT_TRUE(specs.ok()) << specs.status();
  ASSERT_EQ(specs->size(), 9u);
  for (const TableSpec& t : *specs) {
    for (const ColumnSpec& c : t.columns) {
      if (c.task.empty()) continue;
      absl::StatusOr<const TaskInfo*> task = FindTask(c.task);
      ASSERT_TRUE(task.ok()) << t.id << " " << c.name;
      absl::StatusOr<Metric> m = ParseMetric(c.metric);
      ASSERT_TRUE(m.ok()) << t.id << " " << c.name << ": " << m.status();
      const bool metric = std::count((*task)->metrics.begin(), (*task)->metrics.end(), *m) > 0 || IsLatencyMetric(*m);
      EXPECT_TRUE(metric) << t.id << " " << c.name << ": " << c.metric;
      if (!c.split.empty()) {
        EXPECT_TRUE((*task)->Split(c.split).ok()) << t.id << " " << c.name;
      }
    }
    for (const PublishedRow& p : t.published) EXPECT_FALSE(p.source.empty()) << t.id << " " << p.label;
    if (t.status != TableStatus::kMeasured) continue;
    EXPECT_TRUE(ValidateTable(t).ok()) << ValidateTable(t);
    EXPECT_TRUE(t.profiles.count("smoke")) << t.id;
    for (const RowSpec& row : t.grid->rows) {
      if (!row.method.empty()) {
        EXPECT_TRUE(FindMethod(row.method).ok()) << t.id << " " << row.label;
      }
    }
    for (const auto& [name, profile] : t.profiles) {
      EXPECT_TRUE(ExpandRuns(t, name, "").ok()) << t.id << " " << name;
    }
  }
}

TEST(RunRecord, JsonRoundTrip) {
  RunRecord r;
  r.run_id = "abc";
  r.table = "t1";
  r.row = "SVD";
  r.task = "glue/rte";
  r.status = RunStatus::kOk;
  r.spec_json = R"({"a":1})";
  r.metrics = {{"accuracy", 0.625}};
  r.params_before = 10;
  r.params_after = 7;
  r.forward_ms = 12.5;
  r.intervals["accuracy"] = {0.5, 0.75, 0.0625};
  r.predicted_labels = {1, 0, 1};
  r.provenance.files["train"] = {"/x/train.tsv", "ff", 3};
  // Without references the record cannot be rescored, and says which run it is.
  EXPECT_THAT(RecordExampleScores(r).status().message(), HasSubstr("run abc (t1 / SVD / glue/rte) has no per-example"));
  r.reference_labels = {1, 1, 1};
  r.eval_count = 3;
  absl::StatusOr<RunRecord> back = RecordFromJson(RecordToJson(r), "r.json");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(RecordToJson(*back), RecordToJson(r));
  absl::StatusOr<ExampleScores> examples = RecordExampleScores(*back);
  ASSERT_TRUE(examples.ok()) << examples.status();
  EXPECT_EQ(examples->predicted, r.predicted_labels);
  EXPECT_EQ(examples->gold, r.reference_labels);
  r.eval_count = 4;
  EXPECT_THAT(RecordExampleScores(r).status().message(), HasSubstr("3 per-example scores for eval_count 4"));
  RunRecord t5 = r;
  t5.predicted_labels.clear();
  t5.reference_labels.clear();
  t5.eval_count = 2;
  t5.document_scores = {{"rouge1", {0.5, 1.0}}, {"rouge2", {0.0}}};
  EXPECT_THAT(RecordExampleScores(t5).status().message(), HasSubstr("document_scores of rouge2 has 1 entries"));
  t5.document_scores["rouge2"] = {0.0, 0.25};
  back = RecordFromJson(RecordToJson(t5), "t5.json");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(RecordExampleScores(*back)->per_document, t5.document_scores);
  EXPECT_THAT(RecordFromJson(R"({"schema": 2})", "r.json").status().message(), HasSubstr("r.json: schema 2"));
  EXPECT_THAT(RecordFromJson(R"({"schema": 1})", "r.json").status().message(), HasSubstr("r.json: malformed"));
}

// The status keeps its JSON spelling both ways; a record with another is refused naming the file and the value.
TEST(RunRecord, StatusIsOneOfThreeSpellings) {
  RunRecord r;
  for (const auto& [status, name] : std::vector<std::pair<RunStatus, std::string>>{
           {RunStatus::kOk, "ok"}, {RunStatus::kFailed, "failed"}, {RunStatus::kNoData, "no_data"}}) {
    EXPECT_EQ(RunStatusName(status), name);
    r.status = status;
    const std::string json = RecordToJson(r);
    EXPECT_THAT(json, HasSubstr("\"status\": \"" + name + "\""));
    absl::StatusOr<RunRecord> back = RecordFromJson(json, "r.json");
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->status, status);
  }
  std::string json = RecordToJson(r);
  json.replace(json.find("\"no_data\""), 9, "\"done\"");
  EXPECT_EQ(RecordFromJson(json, "runs/t1/x.json").status().message(),
            "runs/t1/x.json: unknown run status \"done\" (ok, failed, no_data)");
}

// A split stored as a directory tree (aclImdb/train) hashes by its file list and sizes.
TEST(Provenance, DirectoriesHashByTheirFiles) {
  const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/tree";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir + "/pos");
  ASSERT_TRUE(WriteFileAtomically(dir + "/pos/1_7.txt", "good", false).ok());
  absl::StatusOr<FileHash> a = HashFile(dir);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->sha256.size(), 64u);
  ASSERT_TRUE(WriteFileAtomically(dir + "/pos/2_9.txt", "great", false).ok());
  std::filesystem::last_write_time(dir, std::filesystem::file_time_type::clock::now() + std::chrono::seconds(5));
  absl::StatusOr<FileHash> b = HashFile(dir);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_NE(a->sha256, b->sha256);
}

// --tasks keeps only the runs on the named tasks (here MNLI, matched and mismatched: no data ships, so nothing
// trains), and refuses a task that no column has.
TEST(Runner, TasksRunOnlyTheNamedTasks) {
  TableSpec spec = *ParseTableSpec(kSpec, "tz.json");
  RunnerOptions options;
  options.out_dir = std::string(std::getenv("TEST_TMPDIR")) + "/runner_tasks";
  std::filesystem::remove_all(options.out_dir);
  options.workspace = Runfiles();
  options.tasks = {"glue/mnli"};
  absl::StatusOr<RunnerSummary> s = RunTables({spec}, options);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->total, 6);
  EXPECT_EQ(s->no_data, 6);
  absl::StatusOr<std::vector<RunRecord>> records = ReadRecords(options.out_dir + "/runs", "tz");
  ASSERT_TRUE(records.ok()) << records.status();
  EXPECT_EQ(records->size(), 6u);
  for (const RunRecord& r : *records) EXPECT_EQ(r.task, "glue/mnli");
  options.tasks = {"glue/mnli", "glue/cola"};
  EXPECT_EQ(RunTables({spec}, options).status().message(),
            "--tasks: glue/cola is the task of no column of the measured tables run");
}

TEST(Runner, RecordsResumesShardsAndRecordsFailures) {
  TableSpec spec = *ParseTableSpec(kSpec, "tz.json");
  const std::string out = std::string(std::getenv("TEST_TMPDIR")) + "/runner";
  std::filesystem::remove_all(out);
  RunnerOptions options;
  options.out_dir = out;
  options.workspace = Runfiles();
  std::vector<std::string> lines;
  options.progress = [&lines](const std::string& line) { lines.push_back(line); };

  // Two shards cover the 9 runs between them.
  options.shard_count = 2;
  options.shard_index = 1;
  absl::StatusOr<RunnerSummary> first = RunTables({spec}, options);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->total, 4);
  options.shard_index = 0;
  absl::StatusOr<RunnerSummary> second = RunTables({spec}, options);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->total, 5);
  EXPECT_EQ(first->no_data + second->no_data, 6);  // every MNLI run: no MNLI data ships with the suite
  EXPECT_EQ(first->failed + second->failed, 1);    // rank 100000 does not fit a 256x256 weight

  absl::StatusOr<std::vector<RunRecord>> records = ReadRecords(out + "/runs", "tz");
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 9u);
  std::set<std::string> ids;
  int fine_tuned = 0;  // the base model is fine-tuned once, by whichever RTE run came first; the rest load it
  for (const RunRecord& r : *records) {
    ids.insert(r.run_id);
    if (r.task == "glue/rte" && r.status == RunStatus::kOk && !r.base_cached) ++fine_tuned;
    if (r.task == "glue/mnli") {
      EXPECT_EQ(r.status, RunStatus::kNoData) << r.row;
      EXPECT_THAT(r.error, HasSubstr("no data for glue/mnli"));
      EXPECT_FALSE(r.eval_split.empty());
    } else if (r.row == "broken") {
      EXPECT_EQ(r.status, RunStatus::kFailed);
      EXPECT_THAT(r.error, HasSubstr("bert.encoder.layer.0.attention.self.query"));
    } else {
      EXPECT_EQ(r.status, RunStatus::kOk) << r.row << ": " << r.error;
      EXPECT_EQ(r.eval_count, 24);
      EXPECT_EQ(r.train_count, 48);
      EXPECT_GE(r.metrics.at("accuracy"), 0.0);
      // The per-example predictions are kept, and the accuracy's bootstrap interval brackets it.
      EXPECT_EQ(r.predicted_labels.size(), 24u);
      ASSERT_TRUE(r.intervals.count("accuracy")) << r.row;
      EXPECT_LE(r.intervals.at("accuracy").low, r.metrics.at("accuracy"));
      EXPECT_GE(r.intervals.at("accuracy").high, r.metrics.at("accuracy"));
      EXPECT_GT(r.intervals.at("accuracy").standard_error, 0);
      // With its references the record rescores to its own metrics.
      absl::StatusOr<ExampleScores> examples = RecordExampleScores(r);
      ASSERT_TRUE(examples.ok()) << examples.status();
      std::vector<int64_t> all(24);
      std::iota(all.begin(), all.end(), 0);
      EXPECT_DOUBLE_EQ(ScoreExamples(**FindTask(r.task), *examples, all).at("accuracy"), r.metrics.at("accuracy"));
      EXPECT_EQ(r.provenance.files.at("train").sha256.size(), 64u);
      EXPECT_EQ(r.provenance.files.at("checkpoint").sha256.size(), 64u);
      EXPECT_FALSE(r.provenance.date.empty());
      if (r.row == "FWSVD") {
        EXPECT_EQ(r.compressed_linears, 8);  // 4 query + 4 output.dense linears
        EXPECT_LE(r.linear_params_after, r.linear_params_before / 4);
        EXPECT_EQ(r.params_before - r.params_after, r.linear_params_before - r.linear_params_after);
        EXPECT_EQ(r.linear_bits_after, 32 * r.linear_params_after);  // float factors
        EXPECT_EQ(r.backend, "onednn-cpu");
        EXPECT_GT(r.statistics_seconds, 0);
        EXPECT_GT(r.refinetune_seconds, 0);  // trains the factors after the Fisher pass
        ASSERT_TRUE(r.forward_ms.has_value() && r.base_forward_ms.has_value());
        EXPECT_GT(*r.forward_ms, 0);
      }
    }
  }
  EXPECT_EQ(ids.size(), 9u);
  EXPECT_EQ(fine_tuned, 1);

  // A second pass finds every finished record and runs only what failed.
  options.shard_count = 1;
  options.shard_index = 0;
  absl::StatusOr<RunnerSummary> again = RunTables({spec}, options);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->done, 2);
  EXPECT_EQ(again->ran, 7);
  EXPECT_EQ(ReadRecords(out + "/runs", "tz")->size(), 9u);  // re-runs replace their records

  // A record from before records kept per-example scores counts as done, unless --rerun_unscored.
  std::string unscored;
  const absl::StatusOr<std::vector<RunRecord>> recorded = ReadRecords(out + "/runs", "tz");
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  for (const RunRecord& r : *recorded) {
    if (r.status != RunStatus::kOk || !unscored.empty()) continue;
    RunRecord old = r;
    old.predicted_labels.clear();
    old.reference_labels.clear();
    old.intervals.clear();
    unscored = out + "/runs/tz/" + r.run_id + ".json";
    ASSERT_TRUE(WriteFileAtomically(unscored, RecordToJson(old), /*overwrite=*/true).ok());
  }
  ASSERT_FALSE(unscored.empty());
  absl::StatusOr<RunnerSummary> kept = RunTables({spec}, options);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->done, 2);
  options.rerun_unscored = true;
  lines.clear();
  absl::StatusOr<RunnerSummary> rescored = RunTables({spec}, options);
  options.rerun_unscored = false;
  ASSERT_TRUE(rescored.ok());
  EXPECT_EQ(rescored->done, 1) << unscored << "\n" << absl::StrJoin(lines, "\n");
  EXPECT_TRUE(RecordExampleScores(*RecordFromJson(*ReadFile(unscored), unscored)).ok());

  // A run another process is running (its lock held) is skipped, not run twice.
  std::string broken;
  records = ReadRecords(out + "/runs", "tz");
  ASSERT_TRUE(records.ok()) << records.status();
  for (const RunRecord& r : *records) {
    if (r.row == "broken" && r.task == "glue/rte") broken = out + "/runs/tz/" + r.run_id + ".json.lock";
  }
  ASSERT_FALSE(broken.empty());
  const int fd = ::open(broken.c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  absl::StatusOr<RunnerSummary> locked = RunTables({spec}, options);
  ::close(fd);
  ASSERT_TRUE(locked.ok()) << locked.status();
  EXPECT_EQ(locked->busy, 1);
  EXPECT_EQ(locked->ran, 6);
  EXPECT_TRUE(std::any_of(lines.begin(), lines.end(),
                          [](const std::string& l) { return absl::StrContains(l, "running in another process"); }));
  // A run that another process recorded after this call started, failed or not, is not run again: here
  // the "other process" rewrites the failed record while this call reports on an earlier run.
  const std::string broken_record = broken.substr(0, broken.size() - std::string(".lock").size());
  options.progress = [&](const std::string& line) {
    lines.push_back(line);
    if (absl::StrContains(line, "uncompressed · glue/rte")) {
      std::filesystem::last_write_time(broken_record, std::filesystem::file_time_type::clock::now());
    }
  };
  absl::StatusOr<RunnerSummary> raced = RunTables({spec}, options);
  ASSERT_TRUE(raced.ok()) << raced.status();
  EXPECT_EQ(raced->busy, 1);
  EXPECT_EQ(raced->ran, 6);
  EXPECT_TRUE(std::any_of(lines.begin(), lines.end(),
                          [](const std::string& l) { return absl::StrContains(l, "ran in another process"); }));
  options.shard_index = 2;
  EXPECT_FALSE(RunTables({spec}, options).ok());
}

// KroneckerBERT's general stage does not depend on the task, so the second row with the same compression
// and general recipe copies the cached backbone; a row that computes it cold gets the same result.
TEST(Runner, TheGeneralDistillationIsCachedAndTheCacheChangesNothing) {
  std::string text = kSpec;
  const std::string rows_start = R"("rows": [)";
  const size_t from = text.find(rows_start);
  const size_t to = text.find("]\n  },", from);
  const std::string recipe = R"({"epochs": 1, "lr": 1e-4, "batch_size": 16, "max_length": 32})";
  text.replace(from, to - from + 1,
               R"("rows": [{"label": "uncompressed"},
                  {"label": "KD", "method": "kronecker", "budget": {"param_ratio": 0.25}, "refinetune": )" + recipe +
                   R"(, "distill": {"general": )" + recipe + R"(, "general_examples": 32, "labels": 1}},
                  {"label": "general KD only", "method": "kronecker", "budget": {"param_ratio": 0.25}, "refinetune": )" +
                   recipe + R"(, "distill": {"general": )" + recipe + R"(, "general_examples": 32, "task": false}}])");
  text.replace(text.find(R"("rows": ["uncompressed", "FWSVD"])"), 33, R"("rows": ["uncompressed", "KD", "general KD only"])");
  absl::StatusOr<TableSpec> spec = ParseTableSpec(text, "tz.json");
  ASSERT_TRUE(spec.ok()) << spec.status();
  RunnerOptions options;
  options.workspace = Runfiles();
  options.profile = "rte";
  auto run = [&](const std::string& out, const TableSpec& table) -> std::vector<RunRecord> {
    options.out_dir = std::string(std::getenv("TEST_TMPDIR")) + "/" + out;
    std::filesystem::remove_all(options.out_dir);
    absl::StatusOr<RunnerSummary> summary = RunTables({table}, options);
    EXPECT_TRUE(summary.ok()) << summary.status();
    return *ReadRecords(options.out_dir + "/runs", "tz");
  };
  std::map<std::string, RunRecord> warm;
  for (const RunRecord& r : run("general_warm", *spec)) warm[r.row] = r;
  ASSERT_EQ(warm.size(), 3u);
  for (const char* row : {"KD", "general KD only"}) {
    ASSERT_EQ(warm[row].status, RunStatus::kOk) << row << ": " << warm[row].error;
    EXPECT_EQ(warm[row].method_info.at("general_examples"), 32);
  }
  EXPECT_EQ(warm["KD"].method_info.at("general_cached"), 0);
  EXPECT_EQ(warm["general KD only"].method_info.at("general_cached"), 1);
  // The second row alone, cold: it distils the general stage itself and ends where the cached copy did.
  TableSpec alone = *spec;
  alone.profiles["rte"].rows = {"uncompressed", "general KD only"};
  std::map<std::string, RunRecord> cold;
  for (const RunRecord& r : run("general_cold", alone)) cold[r.row] = r;
  ASSERT_EQ(cold["general KD only"].status, RunStatus::kOk) << cold["general KD only"].error;
  EXPECT_EQ(cold["general KD only"].method_info.at("general_cached"), 0);
  EXPECT_EQ(cold["general KD only"].metrics, warm["general KD only"].metrics);
}

// SCADA-Tucker compresses the row's linears together and ties their cores: the record counts the core once,
// and the model's own parameter count agrees with the record's.
TEST(Runner, SharedTuckerCoreIsCountedOnce) {
  std::string text = kSpec;
  const size_t from = text.find(R"("rows": [)");
  const size_t to = text.find("]\n  },", from);
  text.replace(from, to - from + 1, R"("rows": [{"label": "uncompressed"},
      {"label": "ADA-Tucker", "method": "ada_tucker", "budget": {"rank": 3}, "options": {"order": "4"}},
      {"label": "SCADA-Tucker", "method": "ada_tucker", "budget": {"rank": 3}, "options": {"order": "4", "shared_core": "1"}}])");
  text.replace(text.find(R"("rows": ["uncompressed", "FWSVD"])"), 33, R"("rows": ["ADA-Tucker", "SCADA-Tucker"])");
  absl::StatusOr<TableSpec> spec = ParseTableSpec(text, "tz.json");
  ASSERT_TRUE(spec.ok()) << spec.status();
  RunnerOptions options;
  options.workspace = Runfiles();
  options.profile = "rte";
  options.out_dir = std::string(std::getenv("TEST_TMPDIR")) + "/shared_core";
  std::filesystem::remove_all(options.out_dir);
  absl::StatusOr<RunnerSummary> summary = RunTables({*spec}, options);
  ASSERT_TRUE(summary.ok()) << summary.status();
  absl::StatusOr<std::vector<RunRecord>> read = ReadRecords(options.out_dir + "/runs", "tz");
  ASSERT_TRUE(read.ok()) << read.status();
  std::map<std::string, RunRecord> records;
  for (const RunRecord& r : *read) records[r.row] = r;
  const RunRecord& separate = records["ADA-Tucker"];
  const RunRecord& shared = records["SCADA-Tucker"];
  ASSERT_EQ(separate.status, RunStatus::kOk) << separate.error;
  ASSERT_EQ(shared.status, RunStatus::kOk) << shared.error;
  // 8 linears ([16,16,16,16] and [16,16,32,32] at order 4), ranks 3: cores of 3^4 = 81, stored once when shared.
  EXPECT_EQ(shared.compressed_linears, 8);
  EXPECT_EQ(shared.method_info.at("shared_core_params"), 81);
  EXPECT_EQ(separate.linear_params_after - shared.linear_params_after, 7 * 81);
  EXPECT_EQ(shared.linear_bits_after, 32 * shared.linear_params_after);
  for (const RunRecord* r : {&separate, &shared}) {
    EXPECT_EQ(r->params_before - r->params_after, r->linear_params_before - r->linear_params_after) << r->row;
  }
}

// A checkpoint held as pytorch_model.bin (what Model::Load reads when there is no safetensors file) counts
// in the checkpoint's identity: run ids change with its weights.
TEST(ProvenanceTest, APytorchModelBinIsPartOfTheCheckpointHash) {
  const std::string src = "third_party/fixtures/layouts/bert-base-uncased-bin";
  const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/bin_checkpoint";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(src + "/config.json", dir + "/config.json");
  absl::StatusOr<FileHash> config_only = HashCheckpoint(dir);
  ASSERT_TRUE(config_only.ok()) << config_only.status();
  std::filesystem::copy_file(src + "/pytorch_model.bin", dir + "/pytorch_model.bin");
  absl::StatusOr<FileHash> with_bin = HashCheckpoint(dir);
  ASSERT_TRUE(with_bin.ok()) << with_bin.status();
  EXPECT_NE(with_bin->sha256, config_only->sha256);
  EXPECT_EQ(with_bin->bytes, config_only->bytes + static_cast<int64_t>(std::filesystem::file_size(dir + "/pytorch_model.bin")));
}

}  // namespace
}  // namespace lrb
