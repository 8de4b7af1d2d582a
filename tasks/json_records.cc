#include "tasks/json_records.h"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "tasks/text_file.h"

namespace lrb {
namespace {

using Json = nlohmann::json;

absl::StatusOr<JsonRecord> FieldsOf(const Json& object, const std::vector<std::string>& keys) {
  if (!object.is_object()) return absl::InvalidArgumentError("not a JSON object");
  JsonRecord record;
  for (const std::string& key : keys) {
    const auto it = object.find(key);
    if (it == object.end()) return absl::InvalidArgumentError(absl::StrCat("missing field '", key, "'"));
    if (it->is_string()) {
      record.push_back(it->get<std::string>());
    } else if (it->is_number_integer()) {
      record.push_back(it->dump());
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("field '", key, "' is ", it->type_name(), ", not a string or an integer"));
    }
  }
  return record;
}

// One record at `line` of `path` into `result`, or the error SkipOrFail decides on.
absl::Status AddRecord(const Json& value, const std::string& path, int64_t line, absl::string_view where,
                       const std::vector<std::string>& keys, const RecordToExample& convert, const ReadOptions& options,
                       ReadResult* result) {
  absl::StatusOr<JsonRecord> record = FieldsOf(value, keys);
  absl::StatusOr<TextExample> example = record.ok() ? convert(*record) : record.status();
  if (!example.ok()) {
    return SkipOrFail(LineError(path, line, absl::StrCat(where, example.status().message())), options, result);
  }
  result->examples.push_back(*std::move(example));
  return absl::OkStatus();
}

// 1-based line of `offset` in `text`.
int64_t LineAt(absl::string_view text, size_t offset) {
  return 1 + std::count(text.begin(), text.begin() + std::min(offset, text.size()), '\n');
}

// Offsets of the top-level elements of `text`, a JSON array that has already parsed.
std::vector<size_t> ArrayElementOffsets(absl::string_view text) {
  std::vector<size_t> offsets;
  int depth = 0;
  bool in_string = false;
  bool element_next = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (element_next && !std::isspace(static_cast<unsigned char>(c))) {
      if (c != ']') offsets.push_back(i);
      element_next = false;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth == 1) element_next = true;
    } else if (c == ']' || c == '}') {
      --depth;
    } else if (c == ',' && depth == 1) {
      element_next = true;
    }
  }
  return offsets;
}

absl::StatusOr<ReadResult> ReadJsonArray(const std::string& path, absl::string_view text,
                                         const std::vector<std::string>& keys, const RecordToExample& convert,
                                         const ReadOptions& options) {
  if (absl::Status utf8 = CheckUtf8(text, path, 1); !utf8.ok()) return utf8;
  Json array;
  try {
    array = Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    return LineError(path, LineAt(text, e.byte == 0 ? 0 : e.byte - 1), absl::StrCat("malformed JSON: ", e.what()));
  } catch (const Json::exception& e) {  // e.g. out_of_range 406: a number too large for a double
    return FileError(path, absl::StrCat("malformed JSON: ", e.what()));
  }
  if (!array.is_array()) return FileError(path, "not a JSON array");
  const std::vector<size_t> offsets = ArrayElementOffsets(text);
  ReadResult result;
  result.path = path;
  for (size_t i = 0; i < array.size() && !LimitReached(options, result); ++i) {
    const int64_t line = i < offsets.size() ? LineAt(text, offsets[i]) : 1;
    absl::Status status =
        AddRecord(array[i], path, line, absl::StrCat("element ", i, ": "), keys, convert, options, &result);
    if (!status.ok()) return status;
  }
  return result;
}

// One JSONL line into `result`, or the error SkipOrFail decides on.
absl::Status AddJsonLine(const TextLine& line, const std::string& path, const std::vector<std::string>& keys,
                         const RecordToExample& convert, const ReadOptions& options, ReadResult* result) {
  if (absl::Status utf8 = CheckUtf8(line.text, path, line.number); !utf8.ok()) {
    return SkipOrFail(utf8, options, result);
  }
  Json value;
  try {
    value = Json::parse(line.text.begin(), line.text.end());
  } catch (const Json::exception& e) {  // parse_error, or out_of_range for a number too large for a double
    return SkipOrFail(LineError(path, line.number, absl::StrCat("malformed JSON: ", e.what())), options, result);
  }
  return AddRecord(value, path, line.number, "", keys, convert, options, result);
}

absl::StatusOr<ReadResult> ReadJsonLines(const std::string& path, absl::string_view text,
                                         const std::vector<std::string>& keys, const RecordToExample& convert,
                                         const ReadOptions& options) {
  ReadResult result;
  result.path = path;
  for (const TextLine& line : SplitLines(text)) {
    if (LimitReached(options, result)) break;
    absl::Status status = AddJsonLine(line, path, keys, convert, options, &result);
    if (!status.ok()) return status;
  }
  return result;
}

}  // namespace

absl::StatusOr<ReadResult> ReadJsonRecords(const std::string& path, const std::vector<std::string>& keys,
                                           const RecordToExample& convert, const ReadOptions& options) {
  absl::StatusOr<std::string> text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  const size_t first = text->find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (*text)[first] == '[') return ReadJsonArray(path, *text, keys, convert, options);
  return ReadJsonLines(path, *text, keys, convert, options);
}

}  // namespace lrb
