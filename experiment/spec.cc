#include "experiment/spec.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/file.h"
#include "experiment/stages/registry.h"
#include "tasks/metric.h"

namespace lrb {
namespace {

using Json = nlohmann::json;

using Reader = SpecReader;

absl::StatusOr<RowSpec> ParseRow(const Reader& r, const Json& j, const std::string& where) {
  std::vector<std::string> allowed = {"label", "method", "budget", "options", "linears", "refinetune",
                                      "from_checkpoint", "speed"};
  const std::vector<std::string> sections = StageSectionKeys();
  allowed.insert(allowed.end(), sections.begin(), sections.end());
  LRB_RETURN_IF_ERROR(r.Keys(j, where, allowed));
  RowSpec row;
  LRB_RETURN_IF_ERROR(r.Get(j, "label", where, &row.label));
  if (row.label.empty()) return r.Error(where, "every row needs a \"label\"");
  LRB_RETURN_IF_ERROR(r.Get(j, "method", where, &row.method));
  LRB_RETURN_IF_ERROR(r.Get(j, "speed", where, &row.speed));
  LRB_RETURN_IF_ERROR(r.Get(j, "from_checkpoint", where, &row.from_checkpoint));
  LRB_RETURN_IF_ERROR(r.Strings(j, "linears", where, &row.linears));
  if (j.contains("budget")) {
    absl::StatusOr<Budget> budget = r.BudgetOf(j["budget"], where + ".budget");
    if (!budget.ok()) return budget.status();
    row.budget = *budget;
  }
  if (row.method.empty() != !row.budget.has_value()) {
    return r.Error(where, "a row with a method needs a budget, and a row without one has none");
  }
  LRB_RETURN_IF_ERROR(r.StringMap(j, "options", where, &row.options));
  if (j.contains("refinetune") && !j["refinetune"].is_null()) {
    absl::StatusOr<RecipeSpec> recipe = r.Recipe(j["refinetune"], where + ".refinetune");
    if (!recipe.ok()) return recipe.status();
    row.refinetune = *recipe;
  }
  absl::StatusOr<std::vector<StageUse>> stages = ParseRowStages(r, j, where, row);
  if (!stages.ok()) return stages.status();
  row.stages = std::move(*stages);
  row.baseline = row.stages.empty();
  if (row.from_checkpoint && (row.method.empty() || !row.refinetune)) {
    return r.Error(where + ".from_checkpoint", "needs a method and \"refinetune\" (the only training of the checkpoint)");
  }
  return row;
}

// A non-empty list of distinct seeds, each an integer in [0, 2^53) (a recipe override holds it as a double).
absl::StatusOr<std::vector<int64_t>> ParseSeeds(const Reader& r, const Json& j, const std::string& where) {
  if (!j.is_array() || j.empty()) return r.Error(where, "expected a non-empty list of integer seeds");
  std::vector<int64_t> seeds;
  for (const Json& v : j) {
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() >= (int64_t{1} << 53)) {
      return r.Error(where, absl::StrCat(v.dump(), " is not a seed (an integer in [0, 2^53))"));
    }
    if (std::find(seeds.begin(), seeds.end(), v.get<int64_t>()) != seeds.end()) {
      return r.Error(where, absl::StrCat("seed ", v.dump(), " is listed twice"));
    }
    seeds.push_back(v.get<int64_t>());
  }
  return seeds;
}

absl::StatusOr<GridSpec> ParseGrid(const Reader& r, const Json& j) {
  const std::string where = "grid";
  LRB_RETURN_IF_ERROR(r.Keys(j, where, {"model", "model_label", "finetune_base", "linears", "statistics_examples",
                                        "max_train_examples", "max_eval_examples", "splits", "generation",
                                        "source_prefix", "rows", "seeds", "single_seed_tasks"}));
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
  if (j.contains("seeds")) {
    absl::StatusOr<std::vector<int64_t>> seeds = ParseSeeds(r, j["seeds"], where + ".seeds");
    if (!seeds.ok()) return seeds.status();
    grid.seeds = *seeds;
  }
  LRB_RETURN_IF_ERROR(r.Strings(j, "single_seed_tasks", where, &grid.single_seed_tasks));
  if (j.contains("finetune_base") && !j["finetune_base"].is_null()) {
    absl::StatusOr<RecipeSpec> recipe = r.Recipe(j["finetune_base"], where + ".finetune_base");
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
                                        "statistics_examples", "finetune_base", "seeds"}));
  ProfileSpec p;
  if (j.contains("seeds")) {
    absl::StatusOr<std::vector<int64_t>> seeds = ParseSeeds(r, j["seeds"], where + ".seeds");
    if (!seeds.ok()) return seeds.status();
    p.seeds = *seeds;
  }
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
    LRB_RETURN_IF_ERROR(r.RecipeOverrides(j["finetune_base"], where + ".finetune_base", &p.finetune_base));
  }
  return p;
}

// "claims": each names two grid rows and columns with a task (latency columns have no per-example scores to
// pair, so no claim can use them).
absl::StatusOr<std::vector<ClaimSpec>> ParseClaims(const Reader& r, const Json& j, const TableSpec& t) {
  if (!j.is_array()) return r.Error("claims", "expected a list");
  if (!t.grid) return r.Error("claims", "a table without a \"grid\" has no rows to compare");
  std::vector<ClaimSpec> claims;
  std::set<std::string> ids;
  for (size_t i = 0; i < j.size(); ++i) {
    const std::string w = absl::StrFormat("claims[%d]", i);
    const Json& c = j[i];
    LRB_RETURN_IF_ERROR(r.Keys(c, w, {"id", "text", "source", "better", "than", "columns", "margin"}));
    ClaimSpec claim;
    for (auto [key, field] : {std::make_pair("id", &claim.id), std::make_pair("text", &claim.text),
                              std::make_pair("source", &claim.source), std::make_pair("better", &claim.better),
                              std::make_pair("than", &claim.than)}) {
      LRB_RETURN_IF_ERROR(r.Get(c, key, w, field));
      if (field->empty()) return r.Error(w, absl::StrCat("needs a \"", key, "\""));
    }
    if (!ids.insert(claim.id).second) return r.Error(w + ".id", "duplicate claim '" + claim.id + "'");
    for (auto [key, label] : {std::make_pair("better", &claim.better), std::make_pair("than", &claim.than)}) {
      const auto& rows = t.grid->rows;
      if (std::none_of(rows.begin(), rows.end(), [&](const RowSpec& row) { return row.label == *label; })) {
        return r.Error(absl::StrCat(w, ".", key), "no grid row labelled '" + *label + "'");
      }
    }
    if (claim.better == claim.than) return r.Error(w, "\"better\" and \"than\" name the same row");
    LRB_RETURN_IF_ERROR(r.Strings(c, "columns", w, &claim.columns));
    for (const std::string& name : claim.columns) {
      auto col = std::find_if(t.columns.begin(), t.columns.end(), [&](const ColumnSpec& x) { return x.name == name; });
      if (col == t.columns.end()) return r.Error(w + ".columns", "no column named '" + name + "'");
      if (col->task.empty()) {
        return r.Error(w + ".columns", "column '" + name + "' has no task (published values only)");
      }
      if (absl::StatusOr<Metric> m = ParseMetric(col->metric); m.ok() && IsLatencyMetric(*m)) {
        return r.Error(w + ".columns", "column '" + name + "' is a latency: no per-example scores to compare");
      }
    }
    LRB_RETURN_IF_ERROR(r.Get(c, "margin", w, &claim.margin));
    if (!std::isfinite(claim.margin) || claim.margin < 0) return r.Error(w + ".margin", "expected a number >= 0");
    claims.push_back(std::move(claim));
  }
  return claims;
}

}  // namespace

absl::StatusOr<TableSpec> ParseTableSpec(const std::string& json_text, const std::string& path) {
  const SpecReader r(path);
  // Comments (// and /* */) are allowed: results/README.md annotates the format with them.
  Json j = Json::parse(json_text, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
  if (j.is_discarded()) return absl::InvalidArgumentError(path + ": not valid JSON");
  LRB_RETURN_IF_ERROR(r.Keys(j, "spec", {"id", "title", "source", "setting", "notes", "status", "columns", "scale",
                                         "published", "grid", "profiles", "claims"}));
  TableSpec t;
  t.path = path;
  LRB_RETURN_IF_ERROR(r.Get(j, "id", "spec", &t.id));
  LRB_RETURN_IF_ERROR(r.Get(j, "title", "spec", &t.title));
  LRB_RETURN_IF_ERROR(r.Get(j, "source", "spec", &t.source));
  LRB_RETURN_IF_ERROR(r.Get(j, "setting", "spec", &t.setting));
  std::string status = "measured";
  LRB_RETURN_IF_ERROR(r.Get(j, "status", "spec", &status));
  LRB_RETURN_IF_ERROR(r.Get(j, "scale", "spec", &t.scale));
  LRB_RETURN_IF_ERROR(r.Strings(j, "notes", "spec", &t.notes));
  if (t.id.empty() || t.title.empty()) return r.Error("spec", "needs \"id\" and \"title\"");
  if (status != "measured" && status != "pending") return r.Error("spec.status", "expected measured or pending");
  t.status = status == "measured" ? TableStatus::kMeasured : TableStatus::kPending;
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
    for (const std::string& task : grid->single_seed_tasks) {
      if (std::none_of(t.columns.begin(), t.columns.end(), [&](const ColumnSpec& c) { return c.task == task; })) {
        return r.Error("grid.single_seed_tasks", absl::StrCat("'", task, "' is the task of no column"));
      }
    }
    t.grid = std::move(*grid);
  }
  if (t.status == TableStatus::kMeasured && !t.grid) return r.Error("spec", "a measured table needs a \"grid\"");
  if (j.contains("claims")) {
    absl::StatusOr<std::vector<ClaimSpec>> claims = ParseClaims(r, j["claims"], t);
    if (!claims.ok()) return claims.status();
    t.claims = std::move(*claims);
  }
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
  const std::vector<int64_t> seeds = p.seeds.value_or(g.seeds);
  std::vector<RunSpec> runs;
  for (const RowSpec& row : g.rows) {
    if (!wanted(p.rows, row.label)) continue;
    for (const auto& [task, split] : pairs) {
      std::vector<std::optional<int64_t>> task_seeds = {std::nullopt};  // the recipes' own
      if (!seeds.empty()) {
        const bool single = std::find(g.single_seed_tasks.begin(), g.single_seed_tasks.end(), task) !=
                            g.single_seed_tasks.end();
        task_seeds.assign(seeds.begin(), single ? seeds.begin() + 1 : seeds.end());
      }
      std::set<std::string> seen;  // a row that trains nothing is the same run under every seed
      for (const std::optional<int64_t>& seed : task_seeds) {
        std::map<std::string, double> overrides = p.finetune_base;
        if (seed) overrides["seed"] = static_cast<double>(*seed);
        RunSpec run;
        run.table = table.id;
        run.row = row.label;
        run.task = task;
        run.model = model_override.empty() ? g.model : model_override;
        run.model_label = model_override.empty() ? g.model_label : ModelLabel(model_override);
        const bool from_checkpoint = row.from_checkpoint ||
                                     std::any_of(row.stages.begin(), row.stages.end(),
                                                 [](const StageUse& u) { return u.stage->StartsFromCheckpoint(); });
        if (!from_checkpoint) run.finetune_base = g.finetune_base;
        if (run.finetune_base) ApplyRecipeOverrides(overrides, &*run.finetune_base);
        static_cast<RowCore&>(run) = row;
        if (run.linears.empty()) run.linears = g.linears;
        if (run.refinetune) ApplyRecipeOverrides(overrides, &*run.refinetune);
        for (const StageUse& use : row.stages) {
          run.stages.push_back({use.stage, use.stage->WithRecipeOverrides(use.settings, overrides)});
        }
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
        if (!seen.insert(RunSpecJson(run)).second) continue;
        runs.push_back(std::move(run));
      }
    }
  }
  return runs;
}

std::string ModelLabel(const std::string& model_dir) {
  std::filesystem::path p(model_dir);
  if (!p.has_filename()) p = p.parent_path();  // "dir/" names "dir"
  return p.filename().string();
}

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
  AddStagesJson(run.stages, &j);  // only the stages with a section: the ids of runs without them stay what they were
  return j.dump();  // nlohmann::json objects keep their keys sorted
}

}  // namespace lrb
