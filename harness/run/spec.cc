#include "harness/run/spec.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "harness/io/file.h"
#include "harness/model/recipe_range.h"

namespace lrb {
namespace {

using Json = nlohmann::json;

// Errors name the file and the JSON path of the offending key ("t1.json: grid.rows[2].budget: ...").
class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}

  absl::Status Error(const std::string& where, const std::string& what) const {
    return absl::InvalidArgumentError(absl::StrFormat("%s: %s: %s", path_, where, what));
  }

  // Only `allowed` keys may appear in `object`.
  absl::Status Keys(const Json& object, const std::string& where, std::initializer_list<const char*> allowed) const {
    if (!object.is_object()) return Error(where, "expected an object");
    for (const auto& [key, value] : object.items()) {
      if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; })) {
        return Error(where, absl::StrFormat("unknown key '%s' (allowed: %s)", key, absl::StrJoin(allowed, ", ")));
      }
    }
    return absl::OkStatus();
  }

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

  absl::Status Strings(const Json& object, const char* key, const std::string& where,
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

 private:
  std::string path_;
};

#define LRB_RETURN_IF_ERROR(expr)           \
  do {                                      \
    absl::Status status_ = (expr);          \
    if (!status_.ok()) return status_;      \
  } while (false)

// A recipe field's value in its range (RecipeFieldExpects), or an error naming the field and the value.
absl::Status CheckRecipeField(const Reader& r, const std::string& where, const std::string& key, double v) {
  const std::string expects = RecipeFieldExpects(key, v);
  if (expects.empty()) return absl::OkStatus();
  return r.Error(where + "." + key, absl::StrFormat("expected %s, got %g", expects, v));
}

absl::StatusOr<RecipeSpec> ParseRecipe(const Reader& r, const Json& j, const std::string& where, RecipeSpec recipe) {
  LRB_RETURN_IF_ERROR(r.Keys(j, where, {"epochs", "lr", "batch_size", "max_length", "max_target_length", "seed",
                                        "weight_decay", "warmup_ratio", "max_grad_norm"}));
  LRB_RETURN_IF_ERROR(r.Get(j, "epochs", where, &recipe.epochs));
  LRB_RETURN_IF_ERROR(r.Get(j, "lr", where, &recipe.lr));
  LRB_RETURN_IF_ERROR(r.Get(j, "batch_size", where, &recipe.batch_size));
  LRB_RETURN_IF_ERROR(r.Get(j, "max_length", where, &recipe.max_length));
  LRB_RETURN_IF_ERROR(r.Get(j, "max_target_length", where, &recipe.max_target_length));
  LRB_RETURN_IF_ERROR(r.Get(j, "seed", where, &recipe.seed));
  LRB_RETURN_IF_ERROR(r.Get(j, "weight_decay", where, &recipe.weight_decay));
  LRB_RETURN_IF_ERROR(r.Get(j, "warmup_ratio", where, &recipe.warmup_ratio));
  LRB_RETURN_IF_ERROR(r.Get(j, "max_grad_norm", where, &recipe.max_grad_norm));
  for (const auto& [key, value] : std::initializer_list<std::pair<const char*, double>>{
           {"epochs", recipe.epochs},
           {"lr", recipe.lr},
           {"batch_size", static_cast<double>(recipe.batch_size)},
           {"max_length", static_cast<double>(recipe.max_length)},
           {"weight_decay", recipe.weight_decay},
           {"warmup_ratio", recipe.warmup_ratio},
           {"max_grad_norm", recipe.max_grad_norm}}) {
    LRB_RETURN_IF_ERROR(CheckRecipeField(r, where, key, value));
  }
  return recipe;
}

absl::StatusOr<Budget> ParseBudget(const Reader& r, const Json& j, const std::string& where) {
  LRB_RETURN_IF_ERROR(r.Keys(j, where, {"rank", "param_ratio", "bits"}));
  if (j.size() != 1) return r.Error(where, "give exactly one of rank, param_ratio, bits");
  const Budget::Kind kind = j.contains("rank")          ? Budget::Kind::kRank
                            : j.contains("param_ratio") ? Budget::Kind::kParamRatio
                                                        : Budget::Kind::kBits;
  const std::string key = BudgetKindName(kind);
  double value = 0;
  if (kind == Budget::Kind::kParamRatio) {
    LRB_RETURN_IF_ERROR(r.Get(j, key.c_str(), where, &value));
  } else {
    int64_t v = 0;
    LRB_RETURN_IF_ERROR(r.Get(j, key.c_str(), where, &v));
    value = static_cast<double>(v);
  }
  absl::StatusOr<Budget> budget = MakeBudget(kind, value);
  if (!budget.ok()) return r.Error(where + "." + key, std::string(budget.status().message()));
  return budget;
}

absl::StatusOr<PruningSpec> ParsePruning(const Reader& r, const Json& j, const std::string& where) {
  LRB_RETURN_IF_ERROR(r.Keys(j, where, {"keep", "beta", "delta_t", "initial_warmup", "final_warmup"}));
  PruningSpec p;
  LRB_RETURN_IF_ERROR(r.Get(j, "keep", where, &p.keep));
  LRB_RETURN_IF_ERROR(r.Get(j, "beta", where, &p.beta));
  LRB_RETURN_IF_ERROR(r.Get(j, "delta_t", where, &p.delta_t));
  LRB_RETURN_IF_ERROR(r.Get(j, "initial_warmup", where, &p.initial_warmup));
  LRB_RETURN_IF_ERROR(r.Get(j, "final_warmup", where, &p.final_warmup));
  if (!(p.keep >= 0 && p.keep <= 1) || !(p.beta >= 0 && p.beta < 1) || p.delta_t < 1 || !(p.initial_warmup >= 0) ||
      !(p.final_warmup >= 0) || !(p.initial_warmup + p.final_warmup < 1)) {
    return r.Error(where, "needs keep in [0, 1], beta in [0, 1), delta_t >= 1 and warm-up shares >= 0 summing below 1");
  }
  return p;
}

absl::StatusOr<DistillSpec> ParseDistill(const Reader& r, const Json& j, const std::string& where) {
  LRB_RETURN_IF_ERROR(r.Keys(j, where, {"general", "general_examples", "task", "labels"}));
  DistillSpec d;
  if (j.contains("general") && !j["general"].is_null()) {
    absl::StatusOr<RecipeSpec> recipe = ParseRecipe(r, j["general"], where + ".general", RecipeSpec{});
    if (!recipe.ok()) return recipe.status();
    d.general = *recipe;
  }
  LRB_RETURN_IF_ERROR(r.Get(j, "general_examples", where, &d.general_examples));
  LRB_RETURN_IF_ERROR(r.Get(j, "task", where, &d.task));
  LRB_RETURN_IF_ERROR(r.Get(j, "labels", where, &d.labels));
  if (d.general_examples < 0 || !(d.labels >= 0)) return r.Error(where, "needs general_examples >= 0 and labels >= 0");
  return d;
}

absl::StatusOr<EmbeddingSpec> ParseEmbeddings(const Reader& r, const Json& j, const std::string& where) {
  LRB_RETURN_IF_ERROR(r.Keys(j, where, {"method", "budget", "options"}));
  EmbeddingSpec e;
  LRB_RETURN_IF_ERROR(r.Get(j, "method", where, &e.method));
  if (e.method.empty() || !j.contains("budget")) return r.Error(where, "needs a method and a budget");
  absl::StatusOr<Budget> budget = ParseBudget(r, j["budget"], where + ".budget");
  if (!budget.ok()) return budget.status();
  e.budget = *budget;
  LRB_RETURN_IF_ERROR(r.StringMap(j, "options", where, &e.options));
  return e;
}

absl::StatusOr<PeftSpec> ParsePeft(const Reader& r, const Json& j, const std::string& where) {
  LRB_RETURN_IF_ERROR(r.Keys(j, where, {"adapter", "linears", "train"}));
  PeftSpec p;
  LRB_RETURN_IF_ERROR(r.Strings(j, "linears", where, &p.linears));
  LRB_RETURN_IF_ERROR(r.Strings(j, "train", where, &p.train));
  if (j.contains("adapter")) {
    const std::string w = where + ".adapter";
    const Json& a = j["adapter"];
    LRB_RETURN_IF_ERROR(r.Keys(a, w, {"kind", "rank", "alpha", "dropout", "tt_rank", "tt_order"}));
    AdapterOptions o;
    LRB_RETURN_IF_ERROR(r.Get(a, "kind", w, &o.kind));
    LRB_RETURN_IF_ERROR(r.Get(a, "rank", w, &o.rank));
    LRB_RETURN_IF_ERROR(r.Get(a, "alpha", w, &o.alpha));
    LRB_RETURN_IF_ERROR(r.Get(a, "dropout", w, &o.dropout));
    LRB_RETURN_IF_ERROR(r.Get(a, "tt_rank", w, &o.tt_rank));
    int64_t order = o.tt_order;
    LRB_RETURN_IF_ERROR(r.Get(a, "tt_order", w, &order));
    o.tt_order = static_cast<int>(order);
    if (absl::Status s = CheckAdapterOptions(o); !s.ok()) return r.Error(w, std::string(s.message()));
    if (o.kind == "bottleneck" && (a.contains("alpha") || a.contains("dropout"))) {
      return r.Error(w, "alpha and dropout are LoRA's; a bottleneck adapter has neither");
    }
    if (o.tt_rank == 0 && a.contains("tt_order")) return r.Error(w, "tt_order needs tt_rank > 0");
    if (p.linears.empty()) return r.Error(where + ".linears", "an adapter needs the linears it goes on");
    p.adapter = o;
  } else if (!p.linears.empty()) {
    return r.Error(where + ".linears", "linears without an adapter");
  }
  if (!p.adapter && p.train.empty()) return r.Error(where, "nothing would train: give an adapter or train patterns");
  return p;
}

absl::StatusOr<RowSpec> ParseRow(const Reader& r, const Json& j, const std::string& where) {
  LRB_RETURN_IF_ERROR(r.Keys(j, where, {"label", "method", "budget", "options", "linears", "refinetune", "pruning",
                                        "distill", "peft", "embeddings", "from_checkpoint", "speed"}));
  RowSpec row;
  LRB_RETURN_IF_ERROR(r.Get(j, "label", where, &row.label));
  if (row.label.empty()) return r.Error(where, "every row needs a \"label\"");
  LRB_RETURN_IF_ERROR(r.Get(j, "method", where, &row.method));
  LRB_RETURN_IF_ERROR(r.Get(j, "speed", where, &row.speed));
  LRB_RETURN_IF_ERROR(r.Get(j, "from_checkpoint", where, &row.from_checkpoint));
  LRB_RETURN_IF_ERROR(r.Strings(j, "linears", where, &row.linears));
  row.baseline = row.method.empty() && !j.contains("peft");
  if (j.contains("budget")) {
    absl::StatusOr<Budget> budget = ParseBudget(r, j["budget"], where + ".budget");
    if (!budget.ok()) return budget.status();
    row.budget = *budget;
  }
  if (row.method.empty() != !row.budget.has_value()) {
    return r.Error(where, "a row with a method needs a budget, and a row without one has none");
  }
  LRB_RETURN_IF_ERROR(r.StringMap(j, "options", where, &row.options));
  if (j.contains("refinetune") && !j["refinetune"].is_null()) {
    absl::StatusOr<RecipeSpec> recipe = ParseRecipe(r, j["refinetune"], where + ".refinetune", RecipeSpec{});
    if (!recipe.ok()) return recipe.status();
    row.refinetune = *recipe;
  }
  if (j.contains("pruning")) {
    absl::StatusOr<PruningSpec> pruning = ParsePruning(r, j["pruning"], where + ".pruning");
    if (!pruning.ok()) return pruning.status();
    if (!row.refinetune) return r.Error(where + ".pruning", "pruning happens while re-fine-tuning: give \"refinetune\"");
    row.pruning = *pruning;
  }
  if (j.contains("distill")) {
    absl::StatusOr<DistillSpec> distill = ParseDistill(r, j["distill"], where + ".distill");
    if (!distill.ok()) return distill.status();
    if (row.baseline || !row.refinetune || row.from_checkpoint || row.pruning) {
      return r.Error(where + ".distill", "needs a method and \"refinetune\" (stage 2's recipe), without from_checkpoint or pruning (the student always starts from the checkpoint)");
    }
    row.distill = *distill;
  }
  if (j.contains("embeddings")) {
    absl::StatusOr<EmbeddingSpec> e = ParseEmbeddings(r, j["embeddings"], where + ".embeddings");
    if (!e.ok()) return e.status();
    if (row.method.empty()) return r.Error(where + ".embeddings", "compresses alongside the row's linears: give the row a method");
    row.embeddings = *e;
  }
  if (j.contains("peft")) {
    absl::StatusOr<PeftSpec> peft = ParsePeft(r, j["peft"], where + ".peft");
    if (!peft.ok()) return peft.status();
    if (!row.refinetune || row.from_checkpoint || row.pruning || row.distill) {
      return r.Error(where + ".peft", "needs \"refinetune\" (its recipe), without from_checkpoint, pruning or distill (it always trains the checkpoint)");
    }
    row.peft = *peft;
  }
  if (row.from_checkpoint && (row.baseline || !row.refinetune)) {
    return r.Error(where + ".from_checkpoint", "needs a method and \"refinetune\" (the only training of the checkpoint)");
  }
  return row;
}

absl::StatusOr<GridSpec> ParseGrid(const Reader& r, const Json& j) {
  const std::string where = "grid";
  LRB_RETURN_IF_ERROR(r.Keys(j, where, {"model", "model_label", "finetune_base", "linears", "statistics_examples",
                                        "max_train_examples", "max_eval_examples", "splits", "generation",
                                        "source_prefix", "rows"}));
  GridSpec grid;
  LRB_RETURN_IF_ERROR(r.Get(j, "model", where, &grid.model));
  if (grid.model.empty()) return r.Error(where, "needs a \"model\"");
  grid.model_label = ModelLabel(grid.model);
  LRB_RETURN_IF_ERROR(r.Get(j, "model_label", where, &grid.model_label));
  LRB_RETURN_IF_ERROR(r.Strings(j, "linears", where, &grid.linears));
  LRB_RETURN_IF_ERROR(r.Get(j, "statistics_examples", where, &grid.statistics_examples));
  LRB_RETURN_IF_ERROR(r.Get(j, "max_train_examples", where, &grid.max_train_examples));
  LRB_RETURN_IF_ERROR(r.Get(j, "max_eval_examples", where, &grid.max_eval_examples));
  LRB_RETURN_IF_ERROR(r.Get(j, "source_prefix", where, &grid.source_prefix));
  if (j.contains("finetune_base") && !j["finetune_base"].is_null()) {
    absl::StatusOr<RecipeSpec> recipe = ParseRecipe(r, j["finetune_base"], where + ".finetune_base", RecipeSpec{});
    if (!recipe.ok()) return recipe.status();
    grid.finetune_base = *recipe;
  }
  if (j.contains("generation")) {
    const Json& g = j["generation"];
    LRB_RETURN_IF_ERROR(r.Keys(g, where + ".generation", {"max_new_tokens", "num_beams"}));
    LRB_RETURN_IF_ERROR(r.Get(g, "max_new_tokens", where + ".generation", &grid.max_new_tokens));
    LRB_RETURN_IF_ERROR(r.Get(g, "num_beams", where + ".generation", &grid.num_beams));
  }
  if (j.contains("splits")) {
    if (!j["splits"].is_object()) return r.Error(where + ".splits", "expected an object");
    for (const auto& [task, value] : j["splits"].items()) {
      const std::string w = where + ".splits." + task;
      LRB_RETURN_IF_ERROR(r.Keys(value, w, {"train", "eval"}));
      SplitOverride o;
      LRB_RETURN_IF_ERROR(r.Get(value, "train", w, &o.train));
      LRB_RETURN_IF_ERROR(r.Get(value, "eval", w, &o.eval));
      grid.splits[task] = o;
    }
  }
  if (!j.contains("rows") || !j["rows"].is_array() || j["rows"].empty()) return r.Error(where, "needs \"rows\"");
  std::set<std::string> labels;
  for (size_t i = 0; i < j["rows"].size(); ++i) {
    absl::StatusOr<RowSpec> row = ParseRow(r, j["rows"][i], absl::StrFormat("%s.rows[%d]", where, i));
    if (!row.ok()) return row.status();
    if (!labels.insert(row->label).second) return r.Error(where + ".rows", "duplicate label '" + row->label + "'");
    grid.rows.push_back(std::move(*row));
  }
  return grid;
}

absl::StatusOr<ProfileSpec> ParseProfile(const Reader& r, const Json& j, const std::string& where) {
  LRB_RETURN_IF_ERROR(r.Keys(j, where, {"tasks", "rows", "max_train_examples", "max_eval_examples",
                                        "statistics_examples", "finetune_base"}));
  ProfileSpec p;
  LRB_RETURN_IF_ERROR(r.Strings(j, "tasks", where, &p.tasks));
  LRB_RETURN_IF_ERROR(r.Strings(j, "rows", where, &p.rows));
  for (auto [key, field] : {std::make_pair("max_train_examples", &p.max_train_examples),
                            std::make_pair("max_eval_examples", &p.max_eval_examples),
                            std::make_pair("statistics_examples", &p.statistics_examples)}) {
    if (j.contains(key)) {
      int64_t v = 0;
      LRB_RETURN_IF_ERROR(r.Get(j, key, where, &v));
      *field = v;
    }
  }
  if (j.contains("finetune_base")) {
    const std::string w = where + ".finetune_base";
    LRB_RETURN_IF_ERROR(r.Keys(j["finetune_base"], w, {"epochs", "lr", "batch_size", "max_length",
                                                       "max_target_length", "seed", "weight_decay", "warmup_ratio",
                                                       "max_grad_norm"}));
    for (const auto& [key, value] : j["finetune_base"].items()) {
      if (!value.is_number()) return r.Error(w + "." + key, "expected a number");
      LRB_RETURN_IF_ERROR(CheckRecipeField(r, w, key, value.get<double>()));
      p.finetune_base[key] = value.get<double>();
    }
  }
  return p;
}

void ApplyOverrides(const std::map<std::string, double>& o, RecipeSpec* recipe) {
  for (const auto& [key, v] : o) {
    if (key == "epochs") recipe->epochs = static_cast<int>(v);
    if (key == "lr") recipe->lr = v;
    if (key == "batch_size") recipe->batch_size = static_cast<int64_t>(v);
    if (key == "max_length") recipe->max_length = static_cast<int64_t>(v);
    if (key == "max_target_length") recipe->max_target_length = static_cast<int64_t>(v);
    if (key == "seed") recipe->seed = static_cast<uint64_t>(v);
    if (key == "weight_decay") recipe->weight_decay = v;
    if (key == "warmup_ratio") recipe->warmup_ratio = v;
    if (key == "max_grad_norm") recipe->max_grad_norm = v;
  }
}

Json RecipeToJson(const RecipeSpec& r) {
  return {{"epochs", r.epochs},
          {"lr", r.lr},
          {"batch_size", r.batch_size},
          {"max_length", r.max_length},
          {"max_target_length", r.max_target_length},
          {"seed", r.seed},
          {"weight_decay", r.weight_decay},
          {"warmup_ratio", r.warmup_ratio},
          {"max_grad_norm", r.max_grad_norm}};
}

}  // namespace

absl::StatusOr<TableSpec> ParseTableSpec(const std::string& json_text, const std::string& path) {
  const Reader r(path);
  // Comments (// and /* */) are allowed: results/README.md annotates the format with them.
  Json j = Json::parse(json_text, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
  if (j.is_discarded()) return absl::InvalidArgumentError(path + ": not valid JSON");
  LRB_RETURN_IF_ERROR(r.Keys(j, "spec", {"id", "title", "source", "setting", "notes", "status", "columns", "scale",
                                         "published", "grid", "profiles"}));
  TableSpec t;
  t.path = path;
  LRB_RETURN_IF_ERROR(r.Get(j, "id", "spec", &t.id));
  LRB_RETURN_IF_ERROR(r.Get(j, "title", "spec", &t.title));
  LRB_RETURN_IF_ERROR(r.Get(j, "source", "spec", &t.source));
  LRB_RETURN_IF_ERROR(r.Get(j, "setting", "spec", &t.setting));
  LRB_RETURN_IF_ERROR(r.Get(j, "status", "spec", &t.status));
  LRB_RETURN_IF_ERROR(r.Get(j, "scale", "spec", &t.scale));
  LRB_RETURN_IF_ERROR(r.Strings(j, "notes", "spec", &t.notes));
  if (t.id.empty() || t.title.empty()) return r.Error("spec", "needs \"id\" and \"title\"");
  if (t.status != "measured" && t.status != "pending") return r.Error("spec.status", "expected measured or pending");
  if (!j.contains("columns") || !j["columns"].is_array() || j["columns"].empty()) {
    return r.Error("spec", "needs \"columns\"");
  }
  std::set<std::string> names;
  for (size_t i = 0; i < j["columns"].size(); ++i) {
    const std::string w = absl::StrFormat("columns[%d]", i);
    const Json& c = j["columns"][i];
    LRB_RETURN_IF_ERROR(r.Keys(c, w, {"name", "task", "metric", "split", "scale"}));
    ColumnSpec col;
    LRB_RETURN_IF_ERROR(r.Get(c, "name", w, &col.name));
    LRB_RETURN_IF_ERROR(r.Get(c, "task", w, &col.task));
    LRB_RETURN_IF_ERROR(r.Get(c, "metric", w, &col.metric));
    LRB_RETURN_IF_ERROR(r.Get(c, "split", w, &col.split));
    if (c.contains("scale")) {
      double scale = 0;
      LRB_RETURN_IF_ERROR(r.Get(c, "scale", w, &scale));
      col.scale = scale;
    }
    if (col.name.empty()) return r.Error(w, "needs a \"name\"");
    if (!names.insert(col.name).second) return r.Error(w, "duplicate column '" + col.name + "'");
    if (col.task.empty() != col.metric.empty()) return r.Error(w, "give both \"task\" and \"metric\", or neither");
    t.columns.push_back(col);
  }
  if (j.contains("published")) {
    if (!j["published"].is_array()) return r.Error("published", "expected a list");
    for (size_t i = 0; i < j["published"].size(); ++i) {
      const std::string w = absl::StrFormat("published[%d]", i);
      const Json& p = j["published"][i];
      LRB_RETURN_IF_ERROR(r.Keys(p, w, {"label", "model", "params", "method", "source", "note", "values", "baseline"}));
      PublishedRow row;
      for (auto [key, field] : {std::make_pair("label", &row.label), std::make_pair("model", &row.model),
                                std::make_pair("params", &row.params), std::make_pair("method", &row.method),
                                std::make_pair("source", &row.source), std::make_pair("note", &row.note)}) {
        LRB_RETURN_IF_ERROR(r.Get(p, key, w, field));
      }
      LRB_RETURN_IF_ERROR(r.Get(p, "baseline", w, &row.baseline));
      if (row.label.empty() || row.source.empty()) return r.Error(w, "every published row needs a label and a source");
      if (p.contains("values")) {
        if (!p["values"].is_object()) return r.Error(w + ".values", "expected an object");
        for (const auto& [key, value] : p["values"].items()) {
          if (!names.count(key)) return r.Error(w + ".values", "no column named '" + key + "'");
          if (!value.is_number()) return r.Error(w + ".values." + key, "expected a number");
          row.values[key] = value.get<double>();
        }
      }
      t.published.push_back(std::move(row));
    }
  }
  if (j.contains("grid") && !j["grid"].is_null()) {
    absl::StatusOr<GridSpec> grid = ParseGrid(r, j["grid"]);
    if (!grid.ok()) return grid.status();
    t.grid = std::move(*grid);
  }
  if (t.status == "measured" && !t.grid) return r.Error("spec", "a measured table needs a \"grid\"");
  if (j.contains("profiles")) {
    if (!j["profiles"].is_object()) return r.Error("profiles", "expected an object");
    for (const auto& [name, value] : j["profiles"].items()) {
      absl::StatusOr<ProfileSpec> p = ParseProfile(r, value, "profiles." + name);
      if (!p.ok()) return p.status();
      t.profiles[name] = std::move(*p);
    }
  }
  return t;
}

absl::StatusOr<std::vector<TableSpec>> ReadTableSpecs(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return absl::NotFoundError("spec directory " + dir + " does not exist");
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  std::vector<TableSpec> specs;
  for (const std::string& file : files) {
    absl::StatusOr<std::string> text = ReadFile(file);
    if (!text.ok()) return text.status();
    absl::StatusOr<TableSpec> spec = ParseTableSpec(*text, file);
    if (!spec.ok()) return spec.status();
    if (spec->id != std::filesystem::path(file).stem().string()) {
      return absl::InvalidArgumentError(absl::StrFormat("%s: id '%s' differs from the file name", file, spec->id));
    }
    specs.push_back(std::move(*spec));
  }
  return specs;
}

absl::StatusOr<std::vector<RunSpec>> ExpandRuns(const TableSpec& table, const std::string& profile,
                                                const std::string& model_override) {
  if (!table.grid) return std::vector<RunSpec>{};
  ProfileSpec p;
  if (profile != "default") {
    auto it = table.profiles.find(profile);
    if (it == table.profiles.end()) {
      return absl::NotFoundError(absl::StrFormat("%s has no profile '%s'", table.path, profile));
    }
    p = it->second;
  }
  const GridSpec& g = *table.grid;
  auto wanted = [](const std::vector<std::string>& list, const std::string& item) {
    return list.empty() || std::find(list.begin(), list.end(), item) != list.end();
  };
  for (const std::string& label : p.rows) {
    if (std::none_of(g.rows.begin(), g.rows.end(), [&](const RowSpec& r) { return r.label == label; })) {
      return absl::InvalidArgumentError(absl::StrFormat("%s: profile %s names no row '%s'", table.path, profile, label));
    }
  }
  std::vector<std::pair<std::string, std::string>> pairs;  // (task, split)
  for (const ColumnSpec& c : table.columns) {
    if (c.task.empty() || !wanted(p.tasks, c.task)) continue;
    if (std::find(pairs.begin(), pairs.end(), std::make_pair(c.task, c.split)) == pairs.end()) {
      pairs.emplace_back(c.task, c.split);
    }
  }
  std::vector<RunSpec> runs;
  for (const RowSpec& row : g.rows) {
    if (!wanted(p.rows, row.label)) continue;
    for (const auto& [task, split] : pairs) {
      RunSpec run;
      run.table = table.id;
      run.row = row.label;
      run.task = task;
      run.model = model_override.empty() ? g.model : model_override;
      run.model_label = model_override.empty() ? g.model_label : ModelLabel(model_override);
      if (!row.from_checkpoint && !row.peft) run.finetune_base = g.finetune_base;
      if (run.finetune_base) ApplyOverrides(p.finetune_base, &*run.finetune_base);
      run.method = row.method;
      run.budget = row.budget;
      run.options = row.options;
      run.linears = row.linears.empty() ? g.linears : row.linears;
      run.embeddings = row.embeddings;
      run.refinetune = row.refinetune;
      if (run.refinetune) ApplyOverrides(p.finetune_base, &*run.refinetune);
      run.pruning = row.pruning;
      run.distill = row.distill;
      run.peft = row.peft;
      if (run.distill && run.distill->general) ApplyOverrides(p.finetune_base, &*run.distill->general);
      run.speed = row.speed;
      auto o = g.splits.find(task);
      if (o != g.splits.end()) {
        run.train_split = o->second.train;
        run.eval_split = o->second.eval;
      }
      if (!split.empty()) run.eval_split = split;
      run.statistics_examples = p.statistics_examples.value_or(g.statistics_examples);
      run.max_train_examples = p.max_train_examples.value_or(g.max_train_examples);
      run.max_eval_examples = p.max_eval_examples.value_or(g.max_eval_examples);
      run.max_new_tokens = g.max_new_tokens;
      run.num_beams = g.num_beams;
      run.source_prefix = g.source_prefix;
      runs.push_back(std::move(run));
    }
  }
  return runs;
}

std::string ModelLabel(const std::string& model_dir) {
  std::filesystem::path p(model_dir);
  if (!p.has_filename()) p = p.parent_path();  // "dir/" names "dir"
  return p.filename().string();
}

std::string RecipeJson(const RecipeSpec& recipe) { return RecipeToJson(recipe).dump(); }

std::string RunSpecJson(const RunSpec& run) {
  Json j = {{"table", run.table}, {"row", run.row}, {"task", run.task}, {"model", run.model},
            {"method", run.method}, {"linears", run.linears}, {"speed", run.speed},
            {"train_split", run.train_split}, {"eval_split", run.eval_split},
            {"statistics_examples", run.statistics_examples}, {"max_train_examples", run.max_train_examples},
            {"max_eval_examples", run.max_eval_examples}, {"max_new_tokens", run.max_new_tokens},
            {"num_beams", run.num_beams}, {"source_prefix", run.source_prefix}};
  j["options"] = run.options;
  j["budget"] = run.budget ? Json(BudgetToString(*run.budget)) : Json(nullptr);
  j["finetune_base"] = run.finetune_base ? RecipeToJson(*run.finetune_base) : Json(nullptr);
  j["refinetune"] = run.refinetune ? RecipeToJson(*run.refinetune) : Json(nullptr);
  if (run.pruning) {  // only when set: the ids of runs without pruning stay what they were
    j["pruning"] = {{"keep", run.pruning->keep}, {"beta", run.pruning->beta}, {"delta_t", run.pruning->delta_t},
                    {"initial_warmup", run.pruning->initial_warmup}, {"final_warmup", run.pruning->final_warmup}};
  }
  if (run.distill) {  // likewise
    j["distill"] = {{"general", run.distill->general ? RecipeToJson(*run.distill->general) : Json(nullptr)},
                    {"general_examples", run.distill->general_examples}, {"task", run.distill->task},
                    {"labels", run.distill->labels}};
  }
  if (run.embeddings) {  // likewise
    j["embeddings"] = {{"method", run.embeddings->method}, {"budget", BudgetToString(run.embeddings->budget)},
                       {"options", run.embeddings->options}};
  }
  if (run.peft) {  // likewise
    const Json adapter = run.peft->adapter ? AdapterOptionsToJson(*run.peft->adapter) : Json(nullptr);
    j["peft"] = {{"adapter", adapter}, {"linears", run.peft->linears}, {"train", run.peft->train}};
  }
  return j.dump();  // nlohmann::json objects keep their keys sorted
}

}  // namespace lrb
