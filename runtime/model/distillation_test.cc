#include "runtime/model/distillation.h"

#include "gtest/gtest.h"
#include "runtime/model/model.h"
#include "runtime/model/model_impl.h"
#include "runtime/model/synthetic_task.h"
#include "runtime/model/training.h"
#include "methods/registry.h"

namespace lrb {
namespace {

const char kBert[] = "third_party/fixtures/hf-parity/bert_tiny_cls3";

TEST(DistillationTest, LogitsLossIsZeroAtAgreementAndPositiveOtherwise) {
  const torch::Tensor t = torch::randn({4, 3});
  EXPECT_LT(LogitsDistillationLoss(t, t, 2.0).item<double>(), 1e-6);
  const torch::Tensor s = torch::randn({4, 3}, torch::requires_grad());
  torch::Tensor loss = LogitsDistillationLoss(s, t, 2.0);
  EXPECT_GT(loss.item<double>(), 0);
  loss.backward();
  EXPECT_GT(s.grad().abs().sum().item<double>(), 0);
}

Batch FixtureBatch() {
  const torch::Tensor ids = torch::randint(3, 1000, {2, 9});
  torch::Tensor mask = torch::ones({2, 9}, torch::kLong);
  mask[1].slice(0, 6).zero_();
  return {ids, mask, {}, {}};
}

TEST(DistillationTest, AStudentEqualToItsTeacherHasZeroLossAndOutputsEveryLayer) {
  std::unique_ptr<Model> teacher = *Model::Load(kBert);
  std::unique_ptr<Model> student = *Model::Load(kBert);
  for (auto* m : {teacher.get(), student.get()}) m->internals().module->RecordIntermediates(true);
  const Batch batch = FixtureBatch();
  const NamedTensors t = teacher->internals().module->Forward(batch);
  const NamedTensors s = student->internals().module->Forward(batch);
  int scores = 0;
  for (const auto& [name, tensor] : s) {
    if (name.rfind("attention_scores.", 0) == 0) {
      ++scores;
      EXPECT_EQ(tensor.sizes(), (torch::IntArrayRef{2, 4, 9, 9}));
    }
  }
  EXPECT_EQ(scores, 2);  // two layers
  // Identical forward passes; the KL term differs from 0 only by float32 rounding of log(softmax) against
  // log_softmax (~1e-7 per class).
  EXPECT_LT(LayerwiseDistillationLoss(s, t, batch.attention_mask, {}).item<double>(), 1e-6);
}

// A perturbed student: the loss is positive, and a few gradient steps on it move the student back
// towards its teacher.
TEST(DistillationTest, MinimisingTheLossPullsTheStudentToItsTeacher) {
  std::unique_ptr<Model> teacher = *Model::Load(kBert);
  std::unique_ptr<Model> student = *Model::Load(kBert);
  auto& module = *student->internals().module;
  {
    torch::NoGradGuard no_grad;
    for (auto& p : module.parameters()) p.add_(0.05 * torch::randn_like(p));
  }
  teacher->internals().module->RecordIntermediates(true);
  module.RecordIntermediates(true);
  const Batch batch = FixtureBatch();
  const NamedTensors t = teacher->internals().module->Forward(batch);
  torch::optim::Adam adam(module.parameters(), torch::optim::AdamOptions(1e-3));
  double first = 0, last = 0;
  for (int step = 0; step < 30; ++step) {
    adam.zero_grad();
    torch::Tensor loss = LayerwiseDistillationLoss(module.Forward(batch), t, batch.attention_mask, {});
    loss.backward();
    adam.step();
    (step == 0 ? first : last) = loss.item<double>();
  }
  EXPECT_GT(first, 0);
  EXPECT_LT(last, 0.5 * first);
}

// KroneckerBERT's training step: a Kronecker-factored student of the untrained checkpoint learns the
// synthetic task from a fine-tuned teacher by distillation alone (no labels): the distillation loss
// falls and the student's predictions reach the teacher's accuracy region.
TEST(DistillTest, AKroneckerStudentLearnsTheTaskFromItsTeacher) {
  const std::vector<Example> train = SyntheticTask(192, 1);
  std::unique_ptr<Model> teacher = *Model::Load(kBert);
  FinetuneRecipe recipe;
  recipe.epochs = 12;
  recipe.learning_rate = 3e-3;
  recipe.batch_size = 16;
  recipe.log_every = 0;
  ASSERT_TRUE(Finetune(*teacher, train, {}, recipe, nullptr).ok());
  absl::StatusOr<Evaluation> taught = Evaluate(*teacher, train, 64);
  ASSERT_TRUE(taught.ok());
  ASSERT_GT(taught->accuracy, 0.9);

  std::unique_ptr<Model> student = *Model::Load(kBert);
  const Method* kronecker = *FindMethod("kronecker");
  ASSERT_TRUE(student
                  ->ReplaceLinears(
                      "bert.encoder.**",
                      [kronecker](const std::string&, const Matrix& w) -> absl::StatusOr<Factorization> {
                        absl::StatusOr<Compressed> c = kronecker->Compress({&w}, Budget::ParamRatio(0.25), {});
                        if (!c.ok()) return c.status();
                        return c->factorization;
                      },
                      /*trainable=*/true)
                  .ok());
  absl::StatusOr<Evaluation> before = Evaluate(*student, train, 64);
  ASSERT_TRUE(before.ok());
  absl::StatusOr<FinetuneReport> report = Distill(*student, *teacher, train, recipe, {}, nullptr);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_LT(report->epoch_train_loss.back(), 0.5 * report->epoch_train_loss.front());
  absl::StatusOr<Evaluation> after = Evaluate(*student, train, 64);
  ASSERT_TRUE(after.ok());
  EXPECT_GT(after->accuracy, before->accuracy + 0.2);
  EXPECT_GT(after->accuracy, 0.7);  // chance is 1/3
}

TEST(DistillTest, RefusesModelsThatDoNotMatchLayerByLayer) {
  std::unique_ptr<Model> bert = *Model::Load(kBert);
  std::unique_ptr<Model> t5 = *Model::Load("third_party/fixtures/hf-parity/t5_tiny_gated_untied");
  const std::vector<Example> train = SyntheticTask(8, 2);
  absl::StatusOr<FinetuneReport> r = Distill(*bert, *t5, train, {}, {}, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not T5"), std::string::npos) << r.status();
  LoadOptions bare;
  bare.head = HeadKind::kNone;
  absl::StatusOr<std::unique_ptr<Model>> encoder = Model::Load(kBert, bare);
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  r = Distill(*bert, **encoder, train, {}, {}, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("the same head"), std::string::npos) << r.status();
}

}  // namespace
}  // namespace lrb
