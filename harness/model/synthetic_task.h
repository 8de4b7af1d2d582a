// A classification task a tiny model can only solve by learning, for the training tests of harness/model.
#ifndef LRB_HARNESS_MODEL_SYNTHETIC_TASK_H_
#define LRB_HARNESS_MODEL_SYNTHETIC_TASK_H_

#include <cstdint>
#include <vector>

#include "tasks/encode.h"  // Example

namespace lrb {

// `count` examples of 4 to 12 tokens ([CLS]=101, ids 5..64, [SEP]=102); the class is the id of the second
// token mod 3 (chance 1/3).
std::vector<Example> SyntheticTask(int count, uint64_t seed);

}  // namespace lrb

#endif  // LRB_HARNESS_MODEL_SYNTHETIC_TASK_H_
