#include "experiment/run_keys.h"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "experiment/model_cache.h"
#include "experiment/provenance.h"

namespace lrb {

using Json = nlohmann::json;

absl::StatusOr<RunKeys> ComputeRunKeys(const RunSpec& run, const std::string& model_dir, const TaskData& data,
                                       const std::string& device, std::map<std::string, FileHash>* files) {
  absl::StatusOr<FileHash> checkpoint = HashCheckpoint(model_dir);
  if (!checkpoint.ok()) return checkpoint.status();
  (*files)["checkpoint"] = *checkpoint;
  for (auto [name, path] : {std::make_pair("train", data.train_path), std::make_pair("eval", data.eval_path),
                            std::make_pair("tokenizer", data.tokenizer_path)}) {
    if (path.empty()) continue;
    absl::StatusOr<FileHash> h = HashFile(path);
    if (!h.ok()) return h.status();
    (*files)[name] = *h;
  }
  auto sha = [&](const char* name) { return files->count(name) ? files->at(name).sha256 : std::string(); };
  Json base = {{"version", kRunnerVersion},  {"checkpoint", checkpoint->sha256}, {"task", run.task},
               {"train_split", data.train_split}, {"train", sha("train")}, {"tokenizer", sha("tokenizer")},
               {"max_train_examples", run.max_train_examples}};
  base["recipe"] = run.finetune_base ? Json::parse(RecipeJson(*run.finetune_base)) : Json(nullptr);
  // Tokenizer settings beyond the file's bytes (tokenizer_config.json's do_lower_case = false, ...); absent
  // when none, so that the ids of runs on a default tokenizer stay as they were.
  if (!data.tokenizer_settings.empty()) base["tokenizer_settings"] = data.tokenizer_settings;
  // The tokenizer's other files (merges.txt beside a vocab.json), tokenizer_config.json aside (its effect
  // is in the settings).
  for (size_t i = 1; i < data.tokenizer_files.size(); ++i) {
    const std::string name = std::filesystem::path(data.tokenizer_files[i]).filename().string();
    if (name == "tokenizer_config.json") continue;
    absl::StatusOr<FileHash> h = HashFile(data.tokenizer_files[i]);
    if (!h.ok()) return h.status();
    base["tokenizer_" + name] = h->sha256;
  }
  Json id = {{"version", kRunnerVersion}, {"base", base}, {"eval", sha("eval")},
             {"spec", Json::parse(RunSpecJson(run))}, {"device", device}};
  return RunKeys{ContentKey(base.dump()), ContentKey(id.dump())};
}

}  // namespace lrb
