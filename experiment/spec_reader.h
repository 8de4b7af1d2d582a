// Reading table-spec JSON (results/papers/*.json): the reader whose errors name the file and the JSON path
// of the offending key, and the pieces every section shares (training recipes, budgets). The spec parser
// (spec.cc) and each stage's parser (experiment/stages/stage.h) read through it.
#ifndef LRB_EXPERIMENT_SPEC_READER_H_
#define LRB_EXPERIMENT_SPEC_READER_H_

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "base/status.h"
#include "methods/budget.h"
#include "runtime/model/training.h"

namespace lrb {

// A training recipe as a spec writes it: the trainer's own recipe (runtime/model/training.h; the spec's "lr" is
// its learning_rate), which stages pass to the trainer as it is, and the lengths the run's data is tokenized at.
// The defaults are `lrbench finetune`'s; progress lines every 100 steps.
struct RecipeSpec : FinetuneRecipe {
  RecipeSpec() { log_every = 100; }
  int64_t max_length = 128;
  int64_t max_target_length = 128;
};

// Errors name the file and the JSON path of the offending key ("t1.json: grid.rows[2].budget: ...").
class SpecReader {
 public:
  using Json = nlohmann::json;
  explicit SpecReader(std::string path) : path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  absl::Status Error(const std::string& where, const std::string& what) const;

  // Only `allowed` keys may appear in `object`.
  absl::Status Keys(const Json& object, const std::string& where, std::initializer_list<const char*> allowed) const;
  absl::Status Keys(const Json& object, const std::string& where, const std::vector<std::string>& allowed) const;

  // Reads object[key] into *out when present (string, bool, floating point or integer T); absent, *out keeps
  // its value.
  template <typename T>
  absl::Status Get(const Json& object, const char* key, const std::string& where, T* out) const {
    if (!object.contains(key)) return absl::OkStatus();
    const Json& v = object.at(key);
    if constexpr (std::is_same_v<T, std::string>) {
      if (!v.is_string()) return Error(where + "." + key, "expected a string");
      *out = v.get<std::string>();
    } else if constexpr (std::is_same_v<T, bool>) {
      if (!v.is_boolean()) return Error(where + "." + key, "expected true or false");
      *out = v.get<bool>();
    } else if constexpr (std::is_floating_point_v<T>) {
      if (!v.is_number()) return Error(where + "." + key, "expected a number");
      *out = v.get<T>();
    } else {
      if (!v.is_number_integer()) return Error(where + "." + key, "expected an integer");
      *out = v.get<T>();
    }
    return absl::OkStatus();
  }

  absl::Status StringMap(const Json& object, const char* key, const std::string& where,
                         std::map<std::string, std::string>* out) const;
  absl::Status Strings(const Json& object, const char* key, const std::string& where,
                       std::vector<std::string>* out) const;

  // A recipe object over `recipe`'s values, each field checked against its range (recipe_range.h).
  absl::StatusOr<RecipeSpec> Recipe(const Json& j, const std::string& where, RecipeSpec recipe = {}) const;
  // {"rank": R} | {"param_ratio": P} | {"bits": B}.
  absl::StatusOr<Budget> BudgetOf(const Json& j, const std::string& where) const;
  // A profile's recipe overrides (field -> number), each checked against its range.
  absl::Status RecipeOverrides(const Json& j, const std::string& where, std::map<std::string, double>* out) const;

 private:
  std::string path_;
};

// The canonical JSON of a recipe (every field; "sampler" only when not "bucketed", so that a default recipe's
// JSON, and with it the ids of runs recorded before the key existed, stays as it was), part of run ids and
// cache keys.
nlohmann::json RecipeToJson(const RecipeSpec& recipe);
std::string RecipeJson(const RecipeSpec& recipe);
// A profile's overrides (RecipeOverrides) applied to a recipe.
void ApplyRecipeOverrides(const std::map<std::string, double>& overrides, RecipeSpec* recipe);

}  // namespace lrb

#endif  // LRB_EXPERIMENT_SPEC_READER_H_
