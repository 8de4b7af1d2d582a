#include "tasks/samsum/samsum.h"

#include <string>

#include "tasks/json_records.h"

namespace lrb {
namespace {

absl::StatusOr<TextExample> ExampleFromRecord(const JsonRecord& record) {  // id, dialogue, summary
  TextExample example;
  example.id = record[0];
  example.text = record[1];
  example.target = record[2];
  example.labeled = true;
  return example;
}

}  // namespace

absl::StatusOr<ReadResult> ReadSamsum(const std::string& path, const ReadOptions& options) {
  return ReadJsonRecords(path, {"id", "dialogue", "summary"}, ExampleFromRecord, options);
}

}  // namespace lrb
