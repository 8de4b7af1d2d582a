// Each recipe field's range, at and beside its bounds (CheckRecipe and the spec reader both use it).
#include "runtime/model/recipe_range.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace lrb {
namespace {

TEST(RecipeFieldExpects, BoundsOfEachField) {
  const double nan = std::nan(""), inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(RecipeFieldExpects("epochs", 1), "");
  EXPECT_EQ(RecipeFieldExpects("epochs", 0), "an integer >= 1");
  EXPECT_EQ(RecipeFieldExpects("batch_size", nan), "an integer >= 1");
  EXPECT_EQ(RecipeFieldExpects("max_length", 2), "");
  EXPECT_EQ(RecipeFieldExpects("max_length", 1), "an integer >= 2");
  EXPECT_EQ(RecipeFieldExpects("lr", 1e-9), "");
  EXPECT_EQ(RecipeFieldExpects("lr", 0), "a finite number > 0");
  EXPECT_EQ(RecipeFieldExpects("lr", inf), "a finite number > 0");
  EXPECT_EQ(RecipeFieldExpects("weight_decay", 0), "");
  EXPECT_EQ(RecipeFieldExpects("weight_decay", -0.1), "a finite number >= 0");
  EXPECT_EQ(RecipeFieldExpects("max_grad_norm", nan), "a finite number >= 0 (0 disables clipping)");
  EXPECT_EQ(RecipeFieldExpects("warmup_ratio", 0), "");
  EXPECT_EQ(RecipeFieldExpects("warmup_ratio", 1), "");
  EXPECT_EQ(RecipeFieldExpects("warmup_ratio", 1.5), "a number in [0, 1]");
  EXPECT_EQ(RecipeFieldExpects("warmup_ratio", nan), "a number in [0, 1]");
  EXPECT_EQ(RecipeFieldExpects("seed", 7), "");
  EXPECT_EQ(RecipeFieldExpects("seed", inf), "a finite number");
}

}  // namespace
}  // namespace lrb
