#include "runtime/model/row_pruning.h"

#include <algorithm>
#include <cmath>

#include "gtest/gtest.h"
#include "runtime/model/synthetic_task.h"
#include "methods/registry.h"

namespace lrb {
namespace {

const char kBert[] = "third_party/fixtures/hf-parity/bert_tiny_cls3";
const char kEncoderLinears[] = "bert.encoder.**";

// The cubic schedule of the authors' Pruner: 1 through the initial warm-up, the final share through the
// final phase, keep + (1 - keep)(1 - t)^3 between, never increasing.
TEST(RowPruningTest, KeptShareFollowsTheCubicSchedule) {
  RowPruningOptions o;
  o.keep = 0.2;
  o.initial_warmup = 0.1;
  o.final_warmup = 0.3;
  const int64_t total = 1000;  // warm-up to step 100, final phase after step 700
  EXPECT_EQ(KeptShareAt(0, total, o), 1.0);
  EXPECT_EQ(KeptShareAt(100, total, o), 1.0);
  EXPECT_DOUBLE_EQ(KeptShareAt(400, total, o), 0.2 + 0.8 * 0.125);  // halfway: (1 - 1/2)^3
  EXPECT_DOUBLE_EQ(KeptShareAt(701, total, o), 0.2);
  EXPECT_DOUBLE_EQ(KeptShareAt(999, total, o), 0.2);
  for (int64_t s = 1; s < total; ++s) EXPECT_LE(KeptShareAt(s, total, o), KeptShareAt(s - 1, total, o)) << s;
}

// LoSparse's start: the ratio budget's rank for U V and every row of S, trainable.
absl::StatusOr<std::vector<LinearReplacement>> CompressForPruning(Model& model) {
  const Method* losparse = *FindMethod("losparse");
  return model.ReplaceLinears(
      kEncoderLinears,
      [losparse](const std::string&, const Matrix& w) -> absl::StatusOr<Factorization> {
        absl::StatusOr<Compressed> c = losparse->Compress(
            {&w}, Budget::ParamRatio(0.4), MethodOptions({{"lowrank_share", "0.25"}, {"keep_all_rows", "1"}}));
        if (!c.ok()) return c.status();
        return c->factorization;
      },
      /*trainable=*/true);
}

// On a task the tiny model must learn, fine-tuning with pruning lowers the loss, S ends at the kept share
// (within one row: the threshold is global over rows of whole entries), every layer then stores only
// its kept rows (the parameter counts are the closed forms), and the pruned model saved and reloaded
// predicts identically.
TEST(RowPruningTest, PrunesToTheKeptShareWhileLearningAndReloadsIdentically) {
  std::unique_ptr<Model> model = *Model::Load(kBert);
  const int64_t dense_params = model->ParameterCount();
  absl::StatusOr<std::vector<LinearReplacement>> replaced = CompressForPruning(*model);
  ASSERT_TRUE(replaced.ok()) << replaced.status();
  int64_t dense_linears = 0, initial_linears = 0, widest_row = 0;
  std::map<std::string, std::pair<int64_t, int64_t>> shapes;  // name -> (m, n)
  for (const LinearReplacement& r : *replaced) {
    // Rank floor(0.1 m n / (m + n)) for U V, plus all of S.
    const int64_t m = (r.name.find("intermediate") != std::string::npos) ? 128 : 64;
    const int64_t n = r.params_before / m;
    const int64_t rank = (m * n / 10) / (m + n);
    EXPECT_EQ(r.params_after, rank * (m + n) + m * n) << r.name;
    shapes[r.name] = {m, n};
    dense_linears += r.params_before;
    initial_linears += r.params_after;
    widest_row = std::max(widest_row, n);
  }
  EXPECT_EQ(model->ParameterCount(), dense_params - dense_linears + initial_linears);

  const std::vector<Example> train = SyntheticTask(192, 1);
  absl::StatusOr<Evaluation> before = Evaluate(*model, train, 64);
  ASSERT_TRUE(before.ok()) << before.status();
  FinetuneRecipe recipe;
  recipe.epochs = 12;
  recipe.learning_rate = 3e-3;
  recipe.batch_size = 16;
  recipe.log_every = 0;
  RowPruningOptions options;
  options.keep = 0.3;
  options.delta_t = 2;
  absl::StatusOr<RowPruningReport> report = FinetuneWithRowPruning(*model, train, {}, recipe, options, nullptr);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_GT(report->maskings, 0);
  const double kept = static_cast<double>(report->entries_kept) / report->entries_before;
  const double one_row = static_cast<double>(widest_row) / report->entries_before;
  EXPECT_NEAR(kept, 0.3, one_row) << report->entries_kept << " of " << report->entries_before;

  int64_t pruned_linears = 0;
  for (const PrunedLayer& l : report->layers) {
    const auto [m, n] = shapes.at(l.name);
    const int64_t rank = (m * n / 10) / (m + n);
    EXPECT_EQ(l.rows_before, m);
    EXPECT_EQ(l.params_after, rank * (m + n) + l.rows_kept * n) << l.name;
    EXPECT_EQ(l.bits_after, 32 * l.params_after + 32 * l.rows_kept) << l.name;  // values, and an index per row
    pruned_linears += l.params_after;
  }
  EXPECT_EQ(model->ParameterCount(), dense_params - dense_linears + pruned_linears);

  absl::StatusOr<Evaluation> after = Evaluate(*model, train, 64);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_LT(after->loss, 0.7 * before->loss);
  EXPECT_GT(after->accuracy, 0.6);  // chance is 1/3

  ExpectReloadsIdentically(*model, train, "pruned");
}

// Four steps, fewer than one default window of 10: the window shrinks to the warm-up, so scores exist
// when pruning starts and S still ends at the kept share.
TEST(RowPruningTest, ShortRunsStillPruneToTheKeptShare) {
  std::unique_ptr<Model> model = *Model::Load(kBert);
  ASSERT_TRUE(CompressForPruning(*model).ok());
  FinetuneRecipe recipe;
  recipe.epochs = 1;
  recipe.batch_size = 16;
  recipe.learning_rate = 1e-3;
  int64_t hooked = 0;  // the caller's own hook still runs after every step
  recipe.after_step = [&hooked](int64_t, int64_t) {
    ++hooked;
    return absl::OkStatus();
  };
  RowPruningOptions options;
  options.keep = 0.3;
  options.initial_warmup = 0.25;  // one step
  absl::StatusOr<RowPruningReport> report =
      FinetuneWithRowPruning(*model, SyntheticTask(64, 3), {}, recipe, options, nullptr);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_NEAR(static_cast<double>(report->entries_kept) / report->entries_before, 0.3,
              128.0 / report->entries_before);
  EXPECT_EQ(hooked, 4);
}

TEST(RowPruningTest, RefusesModelsWithoutSparsePartsAndBadOptions) {
  std::unique_ptr<Model> model = *Model::Load(kBert);
  const std::vector<Example> train = SyntheticTask(16, 2);
  FinetuneRecipe recipe;
  recipe.epochs = 1;
  absl::StatusOr<RowPruningReport> none = FinetuneWithRowPruning(*model, train, {}, recipe, {}, nullptr);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("low rank + sparse"), std::string::npos) << none.status();
  ASSERT_TRUE(CompressForPruning(*model).ok());
  RowPruningOptions bad;
  bad.keep = 1.5;
  EXPECT_NE(FinetuneWithRowPruning(*model, train, {}, recipe, bad, nullptr).status().message().find("keep 1.5"),
            std::string::npos);
  bad = {};
  bad.initial_warmup = 0.6;
  bad.final_warmup = 0.5;
  EXPECT_FALSE(FinetuneWithRowPruning(*model, train, {}, recipe, bad, nullptr).ok());
}

}  // namespace
}  // namespace lrb
