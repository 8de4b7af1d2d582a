// The peft stage ("peft": {"adapter", "linears", "train"}): parameter-efficient fine-tuning of the checkpoint
// (LoRA, adapters, LoRETTA, BitFit). Adapters go on the linears matching `linears`, then only they and the
// parameters matching `train` learn, with the row's "refinetune" recipe; the rest of the model stays as
// pretrained. A row with a method first compresses its linears (LoRETTA's tensor-train head).
#ifndef LRB_EXPERIMENT_STAGES_PEFT_H_
#define LRB_EXPERIMENT_STAGES_PEFT_H_

#include <optional>
#include <string>
#include <vector>

#include "runtime/model/adapter.h"

namespace lrb {

struct PeftSpec {
  std::optional<AdapterOptions> adapter;  // none: no modules (BitFit trains existing parameters only)
  std::vector<std::string> linears;       // where adapters go (Model::LinearNames patterns)
  std::vector<std::string> train;         // parameter-name patterns that also train (Model::SetTrainable)
};

}  // namespace lrb

#endif  // LRB_EXPERIMENT_STAGES_PEFT_H_
