// `lrbench tokenize`: a JSON-lines file of texts (and optional second texts) through a checkpoint's
// tokenizer (tokenizer.json, vocab.txt with its tokenizer_config.json, vocab.json + merges.txt, or T5's
// spiece.model), to a JSON-lines file of input_ids (and token_type_ids), one output line per input line.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "base/file.h"
#include "tasks/encode.h"
#include "tasks/tokenizers/load.h"
#include "tasks/tokenizers/sentencepiece/sentencepiece.h"
#include "tasks/tokenizers/text_tokenizer.h"
#include "tasks/tokenizers/utf8.h"

namespace lrb {
namespace {

// `"name":[v,v,...]` as nlohmann's dump() writes it (no spaces).
void AppendIntArray(const char* name, const std::vector<int64_t>& values, std::string* out) {
  absl::StrAppend(out, "\"", name, "\":[");
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out->push_back(',');
    absl::StrAppend(out, values[i]);
  }
  out->push_back(']');
}

// One of the two kinds of tokenizer the command reads.
struct Tokenizer {
  std::unique_ptr<TextTokenizer> text;          // encoders: special tokens, token types
  std::unique_ptr<SentencePieceTokenizer> spm;  // T5: pieces + EOS, single texts
};

// One input line -> one output line (with its '\n'). Errors name the file and line.
absl::Status TokenizeLine(const Tokenizer& tokenizer, std::string_view line, const std::string& path,
                          int64_t line_number, int64_t max_length, std::string* out, int64_t* truncated) {
  const auto error = [&](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrFormat("%s:%d: %s", path, line_number, what));
  };
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) return error("empty line, expected a JSON object");
  // Checked first so that the message gives the offset (nlohmann's would quote the bad bytes).
  if (absl::Status s = ValidateUtf8(line); !s.ok()) return error(std::string(s.message()));
  nlohmann::json record;
  try {
    record = nlohmann::json::parse(line.begin(), line.end());
  } catch (const nlohmann::json::parse_error& e) {
    std::string message = e.what();  // "[json.exception.parse_error.101] parse error at ..."
    if (const size_t bracket = message.find("] "); bracket != std::string::npos) message.erase(0, bracket + 2);
    // The record is one line: its own line number is always 1.
    if (const size_t at = message.find("at line 1, "); at != std::string::npos) message.erase(at + 3, 8);
    return error(absl::StrCat("not valid JSON: ", message));
  }
  if (!record.is_object()) return error(absl::StrCat("expected a JSON object, got ", record.type_name()));
  auto text = record.find("text");
  if (text == record.end()) return error("no \"text\" field");
  if (!text->is_string()) return error(absl::StrCat("\"text\" is ", text->type_name(), ", expected a string"));
  auto pair = record.find("text_pair");
  const bool is_pair = pair != record.end() && !pair->is_null();
  if (is_pair && !pair->is_string()) {
    return error(absl::StrCat("\"text_pair\" is ", pair->type_name(), ", expected a string or null"));
  }
  const std::string& a = text->get_ref<const std::string&>();
  if (tokenizer.spm) {
    if (is_pair) return error("\"text_pair\" given, but T5's spiece.model encodes single texts");
    int64_t cut = 0;
    absl::StatusOr<std::vector<int64_t>> ids = PiecesWithEos(*tokenizer.spm, a, max_length, &cut);
    if (!ids.ok()) return error(std::string(ids.status().message()));
    *truncated += cut;
    out->push_back('{');
    AppendIntArray("input_ids", *ids, out);
    out->append("}\n");
    return absl::OkStatus();
  }
  absl::StatusOr<TextEncoding> encoding =
      is_pair ? tokenizer.text->EncodePair(a, pair->get_ref<const std::string&>(), max_length)
              : tokenizer.text->Encode(a, max_length);
  if (!encoding.ok()) return error(std::string(encoding.status().message()));
  *truncated += encoding->num_truncated > 0;
  out->push_back('{');
  AppendIntArray("input_ids", encoding->input_ids, out);
  out->push_back(',');
  AppendIntArray("token_type_ids", encoding->token_type_ids, out);
  out->append("}\n");
  return absl::OkStatus();
}

struct TokenizeArgs {
  std::optional<std::string> tokenizer, vocab, input, output;
  std::optional<int64_t> max_length;
  bool overwrite = false;
};

absl::Status Tokenize(const TokenizeArgs& a) {
  if (a.tokenizer && a.vocab) return absl::InvalidArgumentError("give --tokenizer or --vocab, not both");
  if (!a.tokenizer && !a.vocab) return UsageError("--tokenizer is required (see lrbench tokenize --help)");
  const std::optional<std::string>& tokenizer_path = a.tokenizer ? a.tokenizer : a.vocab;
  const std::optional<std::string>& input = a.input;
  const std::optional<std::string>& output = a.output;
  const int64_t max_length = *a.max_length;

  // Refuse before any work: a result is never silently overwritten, and never written over its input.
  std::error_code ec;
  if (std::filesystem::equivalent(*input, *output, ec)) {
    return absl::InvalidArgumentError(absl::StrFormat("--output=%s is the input file", *output));
  }
  if (!a.overwrite && std::filesystem::exists(*output, ec)) {
    return absl::AlreadyExistsError(absl::StrFormat("%s exists; pass --overwrite to replace it", *output));
  }

  Tokenizer tokenizer;
  if (std::filesystem::path(*tokenizer_path).filename() == "spiece.model") {
    absl::StatusOr<std::unique_ptr<SentencePieceTokenizer>> spm = SentencePieceTokenizer::Load(*tokenizer_path);
    if (!spm.ok()) return spm.status();
    tokenizer.spm = std::move(*spm);
  } else {
    absl::StatusOr<std::unique_ptr<TextTokenizer>> text = LoadTextTokenizer(*tokenizer_path);
    if (!text.ok()) return text.status();
    tokenizer.text = std::move(*text);
  }
  absl::StatusOr<std::string> contents = ReadFile(*input);
  if (!contents.ok()) {
    if (contents.status().code() == absl::StatusCode::kNotFound) {
      return absl::NotFoundError(absl::StrFormat("input file %s does not exist", *input));
    }
    return contents.status();
  }

  const auto start = std::chrono::steady_clock::now();
  std::string out;
  out.reserve(contents->size() / 2);
  int64_t lines = 0, truncated = 0;
  const std::string_view all(*contents);
  size_t begin = 0;
  while (begin < all.size()) {
    size_t end = all.find('\n', begin);
    if (end == std::string_view::npos) end = all.size();
    ++lines;
    const std::string_view line = all.substr(begin, end - begin);
    if (absl::Status s = TokenizeLine(tokenizer, line, *input, lines, max_length, &out, &truncated); !s.ok()) {
      return s;
    }
    begin = end + 1;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (absl::Status s = WriteFileAtomically(*output, out, a.overwrite); !s.ok()) return s;

  nlohmann::json summary;
  summary["output"] = *output;
  summary["lines"] = lines;
  summary["truncated"] = truncated;
  summary["max_length"] = max_length;
  summary["seconds"] = seconds;
  std::printf("%s\n", summary.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  return absl::OkStatus();
}

}  // namespace

void AddTokenize(CommandLine& line) {
  CommandFlags& flags = line.Add("tokenize", "Encodes JSON lines of texts with a checkpoint's tokenizer", R"(
FILE is a tokenizer.json (BERT WordPiece, RoBERTa byte-level BPE; other components refused by name), a vocab.txt
(WordPiece; a tokenizer_config.json beside it sets do_lower_case, strip_accents), a vocab.json with merges.txt
beside it (RoBERTa) or T5's spiece.model. Each line {"text": ..., "text_pair": ...} becomes {"input_ids",
"token_type_ids"} with the tokenizer's special tokens ([CLS]/[SEP], <s>/</s>), truncated to N (longest first for
pairs); spiece.model: {"input_ids"}, pieces + EOS, single texts only.)");
  auto a = std::make_shared<TokenizeArgs>();
  flags.Path("tokenizer", &a->tokenizer, "The tokenizer file (required)", "FILE");
  flags.Path("vocab", &a->vocab, "The older name of --tokenizer", "FILE");
  flags.Path("input", &a->input, "JSON lines of {\"text\", \"text_pair\"}", "IN.jsonl")->required();
  flags.Path("output", &a->output, "JSON lines of ids", "OUT.jsonl")->required();
  flags.Number("max_length", &a->max_length, "Tokens per line, special tokens included", 2)->type_name("N")->required();
  flags.Switch("overwrite", &a->overwrite, "Replace an existing output");
  flags.Runs([a] { return Tokenize(*a); });
}

}  // namespace lrb
