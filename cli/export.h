// What `lrbench compress` and `lrbench export` share: an output model directory staged beside its final place
// and renamed onto it when complete (never half-written, never replacing an existing one without --overwrite),
// and the tokenizer files copied from the model it came from.
#ifndef LRB_CLI_EXPORT_H_
#define LRB_CLI_EXPORT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lrb {

// `path` without trailing slashes ("out/" -> "out"), so that the staging directory lands beside it.
std::string WithoutTrailingSlash(std::string path);

// Refuses, before any work, an output directory that is the model's own (InvalidArgument) or that exists
// without `overwrite` (AlreadyExists); both name the path.
absl::Status CheckOutputDirectory(const std::string& model_dir, const std::string& output, bool overwrite);

// A fresh, empty directory beside `output` ("<output>.tmp-<pid>") to write the result into.
absl::StatusOr<std::string> StagingDirectory(const std::string& output);

// Renames the finished `staging` onto `output`. An existing `output` (only with `overwrite`; else
// AlreadyExists) is first renamed aside and removed once the new one is in place, so `output` is always either
// the old directory or the complete new one. On failure `staging` is removed.
absl::Status PublishDirectory(const std::string& staging, const std::string& output, bool overwrite);

// Copies the tokenizer files of `from` that exist (vocab.txt, tokenizer.json, tokenizer_config.json,
// special_tokens_map.json, vocab.json, merges.txt, spiece.model, added_tokens.json) into `to`; returns their
// names in that order.
absl::StatusOr<std::vector<std::string>> CopyTokenizerFiles(const std::string& from, const std::string& to);

}  // namespace lrb

#endif  // LRB_CLI_EXPORT_H_
