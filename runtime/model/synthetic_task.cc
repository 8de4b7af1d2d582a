#include "runtime/model/synthetic_task.h"

#include <cstdlib>
#include <filesystem>
#include <random>

#include "gtest/gtest.h"
#include "runtime/model/training.h"

namespace lrb {

std::vector<Example> SyntheticTask(int count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Example> out;
  for (int i = 0; i < count; ++i) {
    Example e;
    const int len = 4 + static_cast<int>(rng() % 9);
    e.input_ids.push_back(101);
    for (int t = 1; t < len - 1; ++t) e.input_ids.push_back(5 + static_cast<int64_t>(rng() % 60));
    e.input_ids.push_back(102);
    e.token_type_ids.assign(e.input_ids.size(), 0);
    e.label = static_cast<float>(e.input_ids[1] % 3);
    out.push_back(e);
  }
  return out;
}

std::vector<Example> TokenFamilyTask(int count, uint64_t seed) {
  std::vector<Example> out = SyntheticTask(count, seed);
  for (size_t i = 0; i < out.size(); ++i) {
    const int64_t family = static_cast<int64_t>(i % 3);
    std::vector<int64_t>& ids = out[i].input_ids;
    for (size_t t = 1; t + 1 < ids.size(); ++t) ids[t] = 5 + 20 * family + (ids[t] - 5) % 20;
    out[i].label = static_cast<float>(family);
  }
  return out;
}

void ExpectReloadsIdentically(Model& model, const std::vector<Example>& examples, const std::string& name) {
  absl::StatusOr<Evaluation> before = Evaluate(model, examples, 64);
  ASSERT_TRUE(before.ok()) << before.status();
  const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(model.Save(dir, false).ok());
  absl::StatusOr<std::unique_ptr<Model>> reloaded = Model::Load(dir);
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  EXPECT_EQ((*reloaded)->ParameterCount(), model.ParameterCount());
  absl::StatusOr<Evaluation> after = Evaluate(**reloaded, examples, 64);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->predictions, before->predictions);
  EXPECT_NEAR(after->loss, before->loss, 1e-6);
}

}  // namespace lrb
