#include "runtime/model/distillation.h"

#include <map>

namespace lrb {

torch::Tensor LogitsDistillationLoss(const torch::Tensor& student, const torch::Tensor& teacher, double temperature) {
  const torch::Tensor log_p_student = torch::log_softmax(student / temperature, -1);
  const torch::Tensor p_teacher = torch::softmax(teacher.detach() / temperature, -1);
  // KL(p_t || p_s) = sum p_t (log p_t - log p_s); the p_t log p_t term carries no gradient but makes the
  // loss zero at agreement.
  const torch::Tensor kl = (p_teacher * (torch::log(p_teacher.clamp_min(1e-30)) - log_p_student)).sum(-1);
  return kl.mean() * temperature * temperature;
}

torch::Tensor LayerwiseDistillationLoss(const NamedTensors& student, const NamedTensors& teacher,
                                        const torch::Tensor& attention_mask, const DistillationWeights& weights) {
  std::map<std::string, torch::Tensor> t(teacher.begin(), teacher.end());
  torch::Tensor loss = torch::zeros({}, student.front().second.options());
  for (const auto& [name, s] : student) {
    auto it = t.find(name);
    if (it == t.end()) continue;
    const torch::Tensor target = it->second.detach();
    TORCH_CHECK(s.sizes() == target.sizes(), "distillation: ", name, " has shape ", s.sizes(), " in the student and ",
                target.sizes(), " in the teacher");
    if (name == "logits") {
      loss = loss + weights.logits * LogitsDistillationLoss(s, target, weights.temperature);
    } else if (name == "embedding_output") {
      loss = loss + weights.embeddings * torch::mse_loss(s, target);
    } else if (name.rfind("hidden_state.", 0) == 0) {
      loss = loss + weights.hidden * torch::mse_loss(s, target);
    } else if (name.rfind("attention_scores.", 0) == 0) {
      // Only real keys: [batch, 1, 1, seq] broadcast over heads and queries.
      const torch::Tensor keep = attention_mask.to(s.dtype()).unsqueeze(1).unsqueeze(2).expand_as(s);
      loss = loss + weights.attention * ((s - target).square() * keep).sum() / keep.sum().clamp_min(1);
    }
  }
  return loss;
}

}  // namespace lrb
