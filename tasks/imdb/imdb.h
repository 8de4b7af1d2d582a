// IMDB (aclImdb v1, Maas et al. 2011) in either layout:
//  - JSONL, one object per line: {"id": "test/neg/10002_3", "label": 0, "rating": 3, "text": "..."};
//    "rating" and any other extra field are ignored; label is 0/1 or "neg"/"pos";
//  - the original tree, `path` = aclImdb/<split> holding pos/ and neg/ folders of <id>_<rating>.txt files:
//    id "<split>/<neg|pos>/<id>_<rating>" (as in the JSONL), label neg = 0, pos = 1, text the file's
//    contents byte for byte. Order: neg then pos, each by the numeric review id (the order of the
//    converted imdb/{train,test}.jsonl); other files and folders are ignored.
#ifndef LRB_TASKS_IMDB_IMDB_H_
#define LRB_TASKS_IMDB_IMDB_H_

#include <string>

#include "absl/status/statusor.h"
#include "tasks/reader.h"

namespace lrb {

// Reads the reviews at `path` (a directory: the aclImdb tree; a file: JSONL). Errors as tasks/reader.h
// says; in the tree a review file with invalid UTF-8 or a name not of the form <id>_<rating>.txt is
// "PATH[:LINE]: what" and skippable; a missing pos/ or neg/ folder is NotFound.
absl::StatusOr<ReadResult> ReadImdb(const std::string& path, const ReadOptions& options);

}  // namespace lrb

#endif  // LRB_TASKS_IMDB_IMDB_H_
