#include "experiment/spec_reader.h"

#include <string>

#include "gtest/gtest.h"

namespace lrb {
namespace {

// The canonical JSON of a default recipe as it was before the sampler existed (and as every recorded run id
// was computed from): it must stay byte for byte the same, or every recorded run would be orphaned.
TEST(RecipeJsonTest, DefaultRecipeIsByteIdenticalToBeforeTheSamplerKey) {
  EXPECT_EQ(RecipeJson(RecipeSpec{}),
            R"({"batch_size":32,"epochs":3,"lr":2e-05,"max_grad_norm":1.0,"max_length":128,)"
            R"("max_target_length":128,"seed":42,"warmup_ratio":0.0,"weight_decay":0.01})");
  // A recipe that spells the default out is the same recipe.
  const SpecReader reader("t.json");
  absl::StatusOr<RecipeSpec> explicit_default =
      reader.Recipe(nlohmann::json::parse(R"({"sampler": "bucketed"})"), "grid.finetune_base");
  ASSERT_TRUE(explicit_default.ok()) << explicit_default.status();
  EXPECT_EQ(RecipeJson(*explicit_default), RecipeJson(RecipeSpec{}));
}

TEST(RecipeJsonTest, RandomSamplerIsReadAndKeyedAndBadValuesAreRefusedByName) {
  const SpecReader reader("t.json");
  absl::StatusOr<RecipeSpec> random =
      reader.Recipe(nlohmann::json::parse(R"({"epochs": 5, "sampler": "random"})"), "grid.finetune_base");
  ASSERT_TRUE(random.ok()) << random.status();
  EXPECT_EQ(random->sampler, Sampler::kRandom);
  EXPECT_EQ(random->epochs, 5);
  const std::string json = RecipeJson(*random);
  EXPECT_NE(json.find(R"("sampler":"random")"), std::string::npos) << json;
  RecipeSpec five;
  five.epochs = 5;
  EXPECT_NE(json, RecipeJson(five)) << "a different sampler must give a different run id";

  struct Case {
    const char* json;
    const char* message;
  };
  for (const Case& c : {Case{R"({"sampler": "shuffled"})",
                             "t.json: grid.finetune_base.sampler: sampler 'shuffled' is not one of bucketed, random"},
                        Case{R"({"sampler": 1})", "t.json: grid.finetune_base.sampler: expected a string"}}) {
    absl::StatusOr<RecipeSpec> bad = reader.Recipe(nlohmann::json::parse(c.json), "grid.finetune_base");
    ASSERT_FALSE(bad.ok()) << c.json;
    EXPECT_EQ(bad.status().message(), c.message);
  }
  // Profile overrides are numbers; the sampler is not one of their keys.
  std::map<std::string, double> overrides;
  absl::Status s = reader.RecipeOverrides(nlohmann::json::parse(R"({"sampler": "random"})"), "profiles.smoke", &overrides);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("unknown key 'sampler'"), std::string::npos) << s;
}

}  // namespace
}  // namespace lrb
