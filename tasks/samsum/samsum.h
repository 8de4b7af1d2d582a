// SAMSum (Gliwa et al. 2019) dialogue summarization in either layout:
//  - JSONL, one object per line: {"id": "13818513", "dialogue": "...", "summary": "..."};
//  - the original release (train.json, val.json, test.json): one JSON array of such objects.
// example.text = dialogue (turns separated by "\r\n" as released), example.target = summary,
// labeled = true. An empty dialogue (train 13828807) is a valid example. A numeric id is read as its
// decimal text.
#ifndef LRB_TASKS_SAMSUM_SAMSUM_H_
#define LRB_TASKS_SAMSUM_SAMSUM_H_

#include <string>

#include "absl/status/statusor.h"
#include "tasks/reader.h"

namespace lrb {

// Reads the dialogues of `path`: a JSON array when its first non-whitespace character is '[', else
// JSONL. Errors as tasks/reader.h says; in the array layout malformed JSON or invalid UTF-8 fails the
// whole file (it cannot be skipped), a bad element is "PATH:LINE: element N: what" (LINE where the
// element starts) and skippable.
absl::StatusOr<ReadResult> ReadSamsum(const std::string& path, const ReadOptions& options);

}  // namespace lrb

#endif  // LRB_TASKS_SAMSUM_SAMSUM_H_
