// A stage defined only in this file, registered at run time, runs through the whole experiment machinery:
// its section is parsed and checked by its own parser, enters the run's id, runs between the base model and
// the evaluation, writes the record, and describes itself in the rendered table. This is the contract
// docs/adding-a-method.md relies on: adding a training-based method touches its own folder and the registry.
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "experiment/report/report.h"
#include "experiment/runner.h"
#include "experiment/spec.h"
#include "experiment/stages/registry.h"
#include "experiment/stages/stage.h"

namespace lrb {
namespace {

using ::testing::HasSubstr;

// "head_only": {"train": [patterns]}: after the row's compression, fine-tunes only the classifier head (and
// the named parameters) with the row's recipe: a training stage no built-in stage knows of.
struct HeadOnlySpec {
  std::vector<std::string> train = {"classifier.**"};
};

class HeadOnlyStage : public Stage {
 public:
  std::string_view Key() const override { return "head_only"; }
  StagePhase Phase() const override { return StagePhase::kTrain; }

  absl::StatusOr<std::shared_ptr<const StageSettings>> Parse(const SpecReader& r, const nlohmann::json& j,
                                                             const std::string& where,
                                                             const RowCore& row) const override {
    LRB_RETURN_IF_ERROR(r.Keys(j, where, {"train"}));
    HeadOnlySpec spec;
    LRB_RETURN_IF_ERROR(r.Strings(j, "train", where, &spec.train));
    if (spec.train.empty()) return r.Error(where + ".train", "needs at least one pattern");
    if (!row.refinetune) return r.Error(where, "needs \"refinetune\" (its recipe)");
    return std::make_shared<SettingsOf<HeadOnlySpec>>(spec);
  }

  nlohmann::json ToJson(const StageSettings& settings) const override {
    return {{"train", SettingsAs<HeadOnlySpec>(&settings).train}};
  }

  absl::Status Run(const StageSettings* settings, StageContext& c) const override {
    const HeadOnlySpec& spec = SettingsAs<HeadOnlySpec>(settings);
    absl::StatusOr<int64_t> trainable = c.model->SetTrainable(spec.train);
    if (!trainable.ok()) return trainable.status();
    c.progress(absl::StrFormat("fine-tuning the head only (%d parameters)", *trainable));
    absl::StatusOr<FinetuneReport> report =
        Finetune(*c.model, c.data.train, {}, *c.row.refinetune, c.training_progress);
    if (!report.ok()) return report.status();
    c.record.method_info["head_only_trainable"] = static_cast<double>(*trainable);
    return absl::OkStatus();
  }

  std::string Describe(const StageSettings*, const RowCore&, const std::string& text) const override {
    return text + " + head-only fine-tuning";
  }
};

std::string Runfiles() { return std::string(std::getenv("TEST_SRCDIR")) + "/lrbench"; }

constexpr char kSpec[] = R"({
  "id": "ts", "title": "a stage from a test", "source": "test", "setting": "test",
  "columns": [{"name": "RTE", "task": "glue/rte", "metric": "accuracy"}],
  "grid": {
    "model": "third_party/embedded/models/bert-mini-mlm",
    "finetune_base": {"epochs": 1, "lr": 1e-4, "batch_size": 16, "max_length": 32, "seed": 42},
    "linears": ["bert.encoder.layer.*.attention.self.query"],
    "max_train_examples": 32, "max_eval_examples": 16,
    "rows": [
      {"label": "uncompressed"},
      {"label": "SVD + head", "method": "svd", "budget": {"rank": 8},
       "refinetune": {"epochs": 1, "lr": 1e-3, "batch_size": 16, "max_length": 32},
       "head_only": {"train": ["classifier.**"]}}
    ]
  }
})";

TEST(Stage, ATestDefinedStageRunsThroughTheGridAndTheReport) {
  ASSERT_TRUE(RegisterStage(std::make_unique<HeadOnlyStage>()).ok());
  EXPECT_FALSE(RegisterStage(std::make_unique<HeadOnlyStage>()).ok());  // keys are unique

  // Its own parser checks its section, naming the row and key.
  std::string bad = kSpec;
  bad.replace(bad.find(R"({"train": ["classifier.**"]})"), 28, R"({"train": []})");
  EXPECT_THAT(ParseTableSpec(bad, "ts.json").status().message(),
              HasSubstr("ts.json: grid.rows[1].head_only.train: needs at least one pattern"));
  // One training stage per row: the implied re-fine-tuning gives way to it, a second one is refused.
  bad = kSpec;
  bad.replace(bad.find(R"("head_only")"), 11, R"("peft": {"train": ["**.bias"]}, "head_only")");
  EXPECT_THAT(ParseTableSpec(bad, "ts.json").status().message(), HasSubstr("both train the model"));

  absl::StatusOr<TableSpec> spec = ParseTableSpec(kSpec, "ts.json");
  ASSERT_TRUE(spec.ok()) << spec.status();
  const RowSpec& row = spec->grid->rows[1];
  ASSERT_EQ(row.stages.size(), 2u);  // compress (implied by the method), then head_only
  EXPECT_EQ(row.stages[0].stage->Key(), "compress");
  EXPECT_EQ(row.stages[1].stage->Key(), "head_only");
  ASSERT_TRUE(ValidateTable(*spec).ok());
  absl::StatusOr<std::vector<RunSpec>> runs = ExpandRuns(*spec, "default", "");
  ASSERT_TRUE(runs.ok()) << runs.status();
  EXPECT_THAT(RunSpecJson(runs->back()), HasSubstr(R"("head_only":{"train":["classifier.**"]})"));

  RunnerOptions options;
  options.out_dir = std::string(std::getenv("TEST_TMPDIR")) + "/stage";
  std::filesystem::remove_all(options.out_dir);
  options.workspace = Runfiles();
  absl::StatusOr<RunnerSummary> summary = RunTables({*spec}, options);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->ran, 2);
  EXPECT_EQ(summary->failed, 0);
  absl::StatusOr<std::vector<RunRecord>> records = ReadRecords(options.out_dir + "/runs", "ts");
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 2u);
  for (const RunRecord& r : *records) {
    ASSERT_EQ(r.status, RunStatus::kOk) << r.row << ": " << r.error;
    if (r.row != "SVD + head") continue;
    EXPECT_EQ(r.compressed_linears, 4);                             // the compress stage ran first
    EXPECT_EQ(r.method_info.at("head_only_trainable"), 2 * 256 + 2);  // RTE's head: 2 x 256 weights, 2 biases
  }
  const RenderedTable table = RenderTable(*spec, *records, {});
  EXPECT_THAT(table.markdown, HasSubstr("svd rank=8 + head-only fine-tuning"));
}

}  // namespace
}  // namespace lrb
