// Reading examples from JSON records, shared by the IMDB and SAMSum readers: JSONL (one object per line)
// or one JSON array of objects. nlohmann/json stays inside json_records.cc.
#ifndef LRB_TASKS_JSON_RECORDS_H_
#define LRB_TASKS_JSON_RECORDS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tasks/reader.h"
#include "tasks/task.h"

namespace lrb {

// The values of the requested keys of one JSON object, in the order asked: strings as they are,
// integers in decimal. Any other value (null, float, bool, array, object) makes the record malformed.
using JsonRecord = std::vector<std::string>;

// Turns a record into an example; a bad value is InvalidArgument with a message that names no location
// (the caller adds "PATH:LINE:").
using RecordToExample = std::function<absl::StatusOr<TextExample>(const JsonRecord&)>;

// Reads the records of `path` into examples: a JSON array of objects when the first non-whitespace
// character (after a UTF-8 BOM) is '[', else JSONL (one object per non-empty line). Per-record problems
// (malformed JSON on a JSONL line, not an object, a missing key, a value of the wrong type, invalid
// UTF-8 on a JSONL line, an error from `convert`) are "PATH:LINE: what" and skippable; a JSON array that
// does not parse is one error for the whole file.
absl::StatusOr<ReadResult> ReadJsonRecords(const std::string& path, const std::vector<std::string>& keys,
                                           const RecordToExample& convert, const ReadOptions& options);

}  // namespace lrb

#endif  // LRB_TASKS_JSON_RECORDS_H_
