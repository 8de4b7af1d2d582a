#include "experiment/spec_reader.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "runtime/model/recipe_range.h"

namespace lrb {
namespace {

// The numeric recipe keys (a profile may override them), and every key a recipe object may have.
constexpr std::initializer_list<const char*> kRecipeKeys = {
    "epochs", "lr", "batch_size", "max_length", "max_target_length", "seed", "weight_decay", "warmup_ratio",
    "max_grad_norm"};
constexpr std::initializer_list<const char*> kRecipeObjectKeys = {
    "epochs", "lr", "batch_size", "max_length", "max_target_length", "seed", "weight_decay", "warmup_ratio",
    "max_grad_norm", "sampler"};

}  // namespace

absl::Status SpecReader::Error(const std::string& where, const std::string& what) const {
  return absl::InvalidArgumentError(absl::StrFormat("%s: %s: %s", path_, where, what));
}

absl::Status SpecReader::Keys(const Json& object, const std::string& where,
                              std::initializer_list<const char*> allowed) const {
  return Keys(object, where, std::vector<std::string>(allowed.begin(), allowed.end()));
}

absl::Status SpecReader::Keys(const Json& object, const std::string& where,
                              const std::vector<std::string>& allowed) const {
  if (!object.is_object()) return Error(where, "expected an object");
  for (const auto& [key, value] : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return Error(where, absl::StrFormat("unknown key '%s' (allowed: %s)", key, absl::StrJoin(allowed, ", ")));
    }
  }
  return absl::OkStatus();
}

absl::Status SpecReader::StringMap(const Json& object, const char* key, const std::string& where,
                                   std::map<std::string, std::string>* out) const {
  if (!object.contains(key)) return absl::OkStatus();
  const Json& v = object.at(key);
  if (!v.is_object()) return Error(where + "." + key, "expected an object of strings");
  for (const auto& [k, value] : v.items()) {
    if (!value.is_string()) return Error(where + "." + key + "." + k, "expected a string");
    (*out)[k] = value.get<std::string>();
  }
  return absl::OkStatus();
}

absl::Status SpecReader::Strings(const Json& object, const char* key, const std::string& where,
                                 std::vector<std::string>* out) const {
  if (!object.contains(key)) return absl::OkStatus();
  const Json& v = object.at(key);
  if (!v.is_array()) return Error(where + "." + key, "expected a list of strings");
  out->clear();
  for (const Json& item : v) {
    if (!item.is_string()) return Error(where + "." + key, "expected a list of strings");
    out->push_back(item.get<std::string>());
  }
  return absl::OkStatus();
}

namespace {

// A recipe field's value in its range (RecipeFieldExpects), or an error naming the field and the value.
absl::Status CheckRecipeField(const SpecReader& r, const std::string& where, const std::string& key, double v) {
  const std::string expects = RecipeFieldExpects(key, v);
  if (expects.empty()) return absl::OkStatus();
  return r.Error(where + "." + key, absl::StrFormat("expected %s, got %g", expects, v));
}

}  // namespace

absl::StatusOr<RecipeSpec> SpecReader::Recipe(const Json& j, const std::string& where, RecipeSpec recipe) const {
  LRB_RETURN_IF_ERROR(Keys(j, where, kRecipeObjectKeys));
  LRB_RETURN_IF_ERROR(Get(j, "epochs", where, &recipe.epochs));
  LRB_RETURN_IF_ERROR(Get(j, "lr", where, &recipe.learning_rate));
  LRB_RETURN_IF_ERROR(Get(j, "batch_size", where, &recipe.batch_size));
  LRB_RETURN_IF_ERROR(Get(j, "max_length", where, &recipe.max_length));
  LRB_RETURN_IF_ERROR(Get(j, "max_target_length", where, &recipe.max_target_length));
  LRB_RETURN_IF_ERROR(Get(j, "seed", where, &recipe.seed));
  LRB_RETURN_IF_ERROR(Get(j, "weight_decay", where, &recipe.weight_decay));
  LRB_RETURN_IF_ERROR(Get(j, "warmup_ratio", where, &recipe.warmup_ratio));
  LRB_RETURN_IF_ERROR(Get(j, "max_grad_norm", where, &recipe.max_grad_norm));
  std::string sampler = SamplerName(recipe.sampler);
  LRB_RETURN_IF_ERROR(Get(j, "sampler", where, &sampler));
  absl::StatusOr<Sampler> parsed = ParseSampler(sampler);
  if (!parsed.ok()) return Error(where + ".sampler", std::string(parsed.status().message()));
  recipe.sampler = *parsed;
  for (const auto& [key, value] : std::initializer_list<std::pair<const char*, double>>{
           {"epochs", recipe.epochs},
           {"lr", recipe.learning_rate},
           {"batch_size", static_cast<double>(recipe.batch_size)},
           {"max_length", static_cast<double>(recipe.max_length)},
           {"weight_decay", recipe.weight_decay},
           {"warmup_ratio", recipe.warmup_ratio},
           {"max_grad_norm", recipe.max_grad_norm}}) {
    LRB_RETURN_IF_ERROR(CheckRecipeField(*this, where, key, value));
  }
  return recipe;
}

absl::StatusOr<Budget> SpecReader::BudgetOf(const Json& j, const std::string& where) const {
  LRB_RETURN_IF_ERROR(Keys(j, where, {"rank", "param_ratio", "bits"}));
  if (j.size() != 1) return Error(where, "give exactly one of rank, param_ratio, bits");
  const Budget::Kind kind = j.contains("rank")          ? Budget::Kind::kRank
                            : j.contains("param_ratio") ? Budget::Kind::kParamRatio
                                                        : Budget::Kind::kBits;
  const std::string key = BudgetKindName(kind);
  double value = 0;
  if (kind == Budget::Kind::kParamRatio) {
    LRB_RETURN_IF_ERROR(Get(j, key.c_str(), where, &value));
  } else {
    int64_t v = 0;
    LRB_RETURN_IF_ERROR(Get(j, key.c_str(), where, &v));
    value = static_cast<double>(v);
  }
  absl::StatusOr<Budget> budget = MakeBudget(kind, value);
  if (!budget.ok()) return Error(where + "." + key, std::string(budget.status().message()));
  return budget;
}

absl::Status SpecReader::RecipeOverrides(const Json& j, const std::string& where,
                                         std::map<std::string, double>* out) const {
  LRB_RETURN_IF_ERROR(Keys(j, where, kRecipeKeys));
  for (const auto& [key, value] : j.items()) {
    if (!value.is_number()) return Error(where + "." + key, "expected a number");
    LRB_RETURN_IF_ERROR(CheckRecipeField(*this, where, key, value.get<double>()));
    (*out)[key] = value.get<double>();
  }
  return absl::OkStatus();
}

nlohmann::json RecipeToJson(const RecipeSpec& r) {
  nlohmann::json j = {{"epochs", r.epochs},
                      {"lr", r.learning_rate},
                      {"batch_size", r.batch_size},
                      {"max_length", r.max_length},
                      {"max_target_length", r.max_target_length},
                      {"seed", r.seed},
                      {"weight_decay", r.weight_decay},
                      {"warmup_ratio", r.warmup_ratio},
                      {"max_grad_norm", r.max_grad_norm}};
  // Only when not the default, so that the ids of runs recorded before the key existed stay the same.
  if (r.sampler != Sampler::kBucketed) j["sampler"] = SamplerName(r.sampler);
  return j;
}

std::string RecipeJson(const RecipeSpec& recipe) { return RecipeToJson(recipe).dump(); }

void ApplyRecipeOverrides(const std::map<std::string, double>& o, RecipeSpec* recipe) {
  for (const auto& [key, v] : o) {
    if (key == "epochs") recipe->epochs = static_cast<int>(v);
    if (key == "lr") recipe->learning_rate = v;
    if (key == "batch_size") recipe->batch_size = static_cast<int64_t>(v);
    if (key == "max_length") recipe->max_length = static_cast<int64_t>(v);
    if (key == "max_target_length") recipe->max_target_length = static_cast<int64_t>(v);
    if (key == "seed") recipe->seed = static_cast<uint64_t>(v);
    if (key == "weight_decay") recipe->weight_decay = v;
    if (key == "warmup_ratio") recipe->warmup_ratio = v;
    if (key == "max_grad_norm") recipe->max_grad_norm = v;
  }
}

}  // namespace lrb
