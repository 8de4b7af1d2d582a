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
#include "harness/commands.h"
#include "harness/flags.h"
#include "harness/io/file.h"
#include "tasks/encode.h"
#include "tasks/tokenizers/load.h"
#include "tasks/tokenizers/sentencepiece/sentencepiece.h"
#include "tasks/tokenizers/text_tokenizer.h"
#include "tasks/tokenizers/utf8.h"

namespace lrb {
namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "lrbench tokenize: %s\n", std::string(status.message()).c_str());
  return 1;
}

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

}  // namespace

int RunTokenize(int argc, char** argv) {
  absl::StatusOr<Flags> parsed = Flags::Parse(argc, argv, 2);
  if (!parsed.ok()) return Fail(parsed.status());
  Flags& flags = *parsed;
  if (flags.Has("help")) {
    std::fputs(Usage().c_str(), stdout);
    return 0;
  }
  // --vocab=FILE is the older name of --tokenizer=FILE.
  std::optional<std::string> tokenizer_flag = flags.Take("tokenizer"), vocab = flags.Take("vocab");
  if (tokenizer_flag && vocab) return Fail(absl::InvalidArgumentError("give --tokenizer or --vocab, not both"));
  std::optional<std::string> tokenizer_path = tokenizer_flag ? tokenizer_flag : vocab;
  std::optional<std::string> input = flags.Take("input"), output = flags.Take("output");
  if (!tokenizer_path || !input || !output || !flags.Has("max_length")) {
    std::fprintf(stderr,
                 "lrbench tokenize: --tokenizer, --input, --output and --max_length are required (see lrbench "
                 "--help)\n");
    return 2;
  }
  int64_t max_length = 0;
  if (absl::Status s = flags.TakeNumber("max_length", &max_length, 2); !s.ok()) return Fail(s);
  absl::StatusOr<bool> overwrite = flags.TakeBool("overwrite");
  if (!overwrite.ok()) return Fail(overwrite.status());
  if (!flags.rest().empty()) return Fail(absl::InvalidArgumentError("unknown flag --" + flags.rest().begin()->first));
  tokenizer_path = UserPath(*tokenizer_path);
  input = UserPath(*input);
  output = UserPath(*output);

  // Refuse before any work: a result is never silently overwritten, and never written over its input.
  std::error_code ec;
  if (std::filesystem::equivalent(*input, *output, ec)) {
    return Fail(absl::InvalidArgumentError(absl::StrFormat("--output=%s is the input file", *output)));
  }
  if (!*overwrite && std::filesystem::exists(*output, ec)) {
    return Fail(absl::AlreadyExistsError(absl::StrFormat("%s exists; pass --overwrite to replace it", *output)));
  }

  Tokenizer tokenizer;
  if (std::filesystem::path(*tokenizer_path).filename() == "spiece.model") {
    absl::StatusOr<std::unique_ptr<SentencePieceTokenizer>> spm = SentencePieceTokenizer::Load(*tokenizer_path);
    if (!spm.ok()) return Fail(spm.status());
    tokenizer.spm = std::move(*spm);
  } else {
    absl::StatusOr<std::unique_ptr<TextTokenizer>> text = LoadTextTokenizer(*tokenizer_path);
    if (!text.ok()) return Fail(text.status());
    tokenizer.text = std::move(*text);
  }
  absl::StatusOr<std::string> contents = ReadFile(*input);
  if (!contents.ok()) {
    if (contents.status().code() == absl::StatusCode::kNotFound) {
      return Fail(absl::NotFoundError(absl::StrFormat("input file %s does not exist", *input)));
    }
    return Fail(contents.status());
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
      return Fail(s);
    }
    begin = end + 1;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (absl::Status s = WriteFileAtomically(*output, out, *overwrite); !s.ok()) return Fail(s);

  nlohmann::json summary;
  summary["output"] = *output;
  summary["lines"] = lines;
  summary["truncated"] = truncated;
  summary["max_length"] = max_length;
  summary["seconds"] = seconds;
  std::printf("%s\n", summary.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  return 0;
}

}  // namespace lrb
