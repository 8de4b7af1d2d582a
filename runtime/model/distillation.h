// Knowledge-distillation losses as reusable pieces (KroneckerBERT, Tahaei et al. 2021, Sec. 3.2, after
// TinyBERT): soft-label cross-entropy on logits and mean squared errors between matching intermediate
// tensors of a student and its teacher. Internal to runtime/model (torch tensors).
#ifndef LRB_RUNTIME_MODEL_DISTILLATION_H_
#define LRB_RUNTIME_MODEL_DISTILLATION_H_

#include <torch/torch.h>

#include "runtime/model/training.h"  // DistillationWeights
#include "runtime/model/transformer.h"

namespace lrb {

// T^2 * KL(softmax(teacher / T) || softmax(student / T)), averaged over the batch: the Hinton et al. (2015)
// loss; zero when the logits agree, its gradient reaches only the student.
torch::Tensor LogitsDistillationLoss(const torch::Tensor& student, const torch::Tensor& teacher, double temperature);

// The sum of the weighted terms (all but `labels`, which Distill adds) over the tensors both outputs hold (the student and the teacher run
// with RecordIntermediates(true) on the same batch and have the same layer count and widths).
// `attention_mask` [batch, seq] 0/1 excludes padding keys from the attention term.
torch::Tensor LayerwiseDistillationLoss(const NamedTensors& student, const NamedTensors& teacher,
                                        const torch::Tensor& attention_mask, const DistillationWeights& weights);

}  // namespace lrb

#endif  // LRB_RUNTIME_MODEL_DISTILLATION_H_
