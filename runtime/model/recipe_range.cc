#include "runtime/model/recipe_range.h"

#include <cmath>

namespace lrb {

std::string RecipeFieldExpects(absl::string_view field, double v) {
  const bool finite = std::isfinite(v);
  if (field == "epochs" || field == "batch_size") return finite && v >= 1 ? "" : "an integer >= 1";
  if (field == "max_length") return finite && v >= 2 ? "" : "an integer >= 2";
  if (field == "lr") return finite && v > 0 ? "" : "a finite number > 0";
  if (field == "weight_decay") return finite && v >= 0 ? "" : "a finite number >= 0";
  if (field == "max_grad_norm") return finite && v >= 0 ? "" : "a finite number >= 0 (0 disables clipping)";
  if (field == "warmup_ratio") return v >= 0 && v <= 1 ? "" : "a number in [0, 1]";
  return finite ? "" : "a finite number";
}

}  // namespace lrb
