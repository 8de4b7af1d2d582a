// The valid range of each field of a training recipe, in one place: CheckRecipe (training.h) applies it to a
// recipe before training, the spec reader (experiment/spec.cc) to every recipe a table spec writes.
#ifndef LRB_RUNTIME_MODEL_RECIPE_RANGE_H_
#define LRB_RUNTIME_MODEL_RECIPE_RANGE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace lrb {

// Empty when `value` is valid for the recipe field `field` (spec names: epochs, lr, batch_size, max_length,
// weight_decay, warmup_ratio, max_grad_norm; any other field only needs to be finite); otherwise what the
// field expects, e.g. "an integer >= 1".
std::string RecipeFieldExpects(absl::string_view field, double value);

}  // namespace lrb

#endif  // LRB_RUNTIME_MODEL_RECIPE_RANGE_H_
