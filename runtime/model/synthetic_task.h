// A classification task a tiny model can only solve by learning, for the training tests of runtime/model.
#ifndef LRB_RUNTIME_MODEL_SYNTHETIC_TASK_H_
#define LRB_RUNTIME_MODEL_SYNTHETIC_TASK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/model/model.h"
#include "tasks/encode.h"  // Example

namespace lrb {

// `count` examples of 4 to 12 tokens ([CLS]=101, ids 5..64, [SEP]=102); the class is the id of the second
// token mod 3 (chance 1/3).
std::vector<Example> SyntheticTask(int count, uint64_t seed);

// `count` examples of the same lengths whose content tokens all come from one of three families (ids 5..24,
// 25..44, 45..64); the class is the family (example i has class i mod 3). Every token carries the class, so
// modules that change each token's features (bottleneck adapters) can learn it from a frozen encoder,
// whose head alone cannot when the encoder is random.
std::vector<Example> TokenFamilyTask(int count, uint64_t seed);

// Saves `model` to $TEST_TMPDIR/<name>, loads it back and expects the same parameter count, the same
// predictions on `examples` and the same loss (to 1e-6).
void ExpectReloadsIdentically(Model& model, const std::vector<Example>& examples, const std::string& name);

}  // namespace lrb

#endif  // LRB_RUNTIME_MODEL_SYNTHETIC_TASK_H_
