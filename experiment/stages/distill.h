// The distill stage ("distill": {"general", "general_examples", "task", "labels"}): KroneckerBERT's two-stage
// distillation of a compressed student of the checkpoint (runtime/model/training.h Distill). The student is
// the checkpoint, compressed by the row's method (the compress and embeddings stages); stage 1 distils it from
// the pretrained checkpoint on the text of the shipped train splits (when "general" is given), then its head is
// copied from the fine-tuned base, which teaches it on the task in stage 2 (or it is fine-tuned on the task
// when "task" is false), with the row's "refinetune" recipe.
#ifndef LRB_EXPERIMENT_STAGES_DISTILL_H_
#define LRB_EXPERIMENT_STAGES_DISTILL_H_

#include <cstdint>
#include <optional>

#include "experiment/spec_reader.h"

namespace lrb {

struct DistillSpec {
  std::optional<RecipeSpec> general;  // stage 1's recipe; none: no general distillation
  int64_t general_examples = 0;       // cap on that corpus (0: all; a profile's max_train_examples caps it too)
  bool task = true;                   // stage 2 distils from the fine-tuned base (else plain fine-tuning)
  double labels = 0;                  // weight of the task loss on the labels in stage 2
};

}  // namespace lrb

#endif  // LRB_EXPERIMENT_STAGES_DISTILL_H_
