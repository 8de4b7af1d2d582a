#include "harness/model/distillation.h"

#include "gtest/gtest.h"
#include "harness/model/model.h"
#include "harness/model/model_impl.h"

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

}  // namespace
}  // namespace lrb
