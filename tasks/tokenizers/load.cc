#include "tasks/tokenizers/load.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "absl/strings/str_format.h"
#include "base/file.h"
#include "tasks/tokenizers/hf_tokenizer.h"
#include "tasks/tokenizers/wordpiece.h"

namespace lrb {

absl::StatusOr<TokenizerConfig> ReadTokenizerConfig(const std::string& dir) {
  const std::string path = (std::filesystem::path(dir) / "tokenizer_config.json").string();
  TokenizerConfig config;
  if (!PathExists(path)) return config;
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  const nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: not a JSON object", path));
  }
  for (auto [key, out] :
       {std::make_pair("do_lower_case", &config.do_lower_case), std::make_pair("strip_accents", &config.strip_accents),
        std::make_pair("tokenize_chinese_chars", &config.tokenize_chinese_chars),
        std::make_pair("add_prefix_space", &config.add_prefix_space)}) {
    if (!j.contains(key) || j[key].is_null()) continue;
    if (!j[key].is_boolean()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: %s is %s, expected true, false or null", path, key, j[key].dump()));
    }
    *out = j[key].get<bool>();
  }
  if (j.contains("model_max_length") && !j["model_max_length"].is_null()) {
    const nlohmann::json& m = j["model_max_length"];
    if (!m.is_number() || m.get<double>() < 1) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: model_max_length is %s, expected a positive number", path, m.dump()));
    }
    if (m.get<double>() < 1e9) config.model_max_length = static_cast<int64_t>(m.get<double>());
  }
  return config;
}

absl::StatusOr<std::unique_ptr<TextTokenizer>> LoadTextTokenizer(const std::string& path, TokenizerConfig* config_out) {
  const std::filesystem::path p(path);
  const std::string name = p.filename().string();
  const std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
  if (name != "tokenizer.json" && name != "vocab.txt" && name != "vocab.json") {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: not a tokenizer lrbench reads for encoder models (tokenizer.json, vocab.txt, vocab.json + merges.txt%s)",
        path, name == "spiece.model" ? "; spiece.model is T5's" : ""));
  }
  if (!PathExists(path)) return absl::NotFoundError(absl::StrFormat("tokenizer file %s does not exist", path));
  absl::StatusOr<TokenizerConfig> config = ReadTokenizerConfig(dir);
  if (!config.ok()) return config.status();
  if (config_out != nullptr) *config_out = *config;
  if (name == "tokenizer.json") {
    absl::StatusOr<std::unique_ptr<HfTokenizer>> t = HfTokenizer::Load(path);
    if (!t.ok()) return t.status();
    if (const WordPieceOptions* o = (*t)->wordpiece_options()) {
      for (auto [key, set, has] :
           {std::make_tuple("do_lower_case", config->do_lower_case, o->lowercase),
            std::make_tuple("strip_accents", config->strip_accents, o->strip_accents),
            std::make_tuple("tokenize_chinese_chars", config->tokenize_chinese_chars, o->handle_chinese_chars)}) {
        if (set && *set != has) {
          return absl::InvalidArgumentError(
              absl::StrFormat("%s/tokenizer_config.json: %s is %s, but %s's normalizer says %s; make them agree", dir,
                              key, *set ? "true" : "false", path, has ? "true" : "false"));
        }
      }
    }
    return std::unique_ptr<TextTokenizer>(std::move(*t));
  }
  if (name == "vocab.txt") {
    WordPieceOptions options;
    options.lowercase = config->do_lower_case.value_or(true);
    options.strip_accents = config->strip_accents.value_or(options.lowercase);
    options.handle_chinese_chars = config->tokenize_chinese_chars.value_or(true);
    absl::StatusOr<WordPieceTokenizer> t = WordPieceTokenizer::Load(path, options);
    if (!t.ok()) return t.status();
    return std::unique_ptr<TextTokenizer>(std::make_unique<WordPieceTokenizer>(std::move(*t)));
  }
  if (name == "vocab.json") {
    const std::string merges = (std::filesystem::path(dir) / "merges.txt").string();
    if (!PathExists(merges)) {
      return absl::NotFoundError(absl::StrFormat("%s needs its merges.txt beside it: %s does not exist", path, merges));
    }
    absl::StatusOr<std::unique_ptr<HfTokenizer>> t =
        HfTokenizer::LoadVocabAndMerges(path, merges, config->add_prefix_space.value_or(false));
    if (!t.ok()) return t.status();
    return std::unique_ptr<TextTokenizer>(std::move(*t));
  }
  return absl::InternalError("unreachable");
}

std::vector<std::string> TokenizerFiles(const std::string& path) {
  const std::filesystem::path p(path);
  const std::string name = p.filename().string();
  std::vector<std::string> files = {path};
  for (const char* sibling : {"merges.txt", "tokenizer_config.json"}) {
    const std::string file = (p.parent_path() / sibling).string();
    const bool belongs = name == "vocab.json" || (name == "vocab.txt" && std::string(sibling) == "tokenizer_config.json");
    if (belongs && PathExists(file)) files.push_back(file);
  }
  return files;
}

absl::StatusOr<std::string> FindTokenizerFile(const std::string& model_dir) {
  for (const char* name : {"tokenizer.json", "vocab.txt", "vocab.json"}) {
    const std::string path = model_dir + "/" + name;
    if (PathExists(path)) return path;
  }
  return absl::NotFoundError(absl::StrFormat(
      "%s has no tokenizer (looked for tokenizer.json, vocab.txt, vocab.json + merges.txt; pass --tokenizer=FILE)",
      model_dir));
}

}  // namespace lrb
