// Whole-file reads and crash-safe whole-file writes. Results and checkpoints are written through
// WriteFileAtomically so that a killed run never leaves a half-written file where a finished one
// is expected: a reader sees either the old contents, the new contents, or no file.
#ifndef LRB_BASE_FILE_H_
#define LRB_BASE_FILE_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace lrb {

// Writes `bytes` to a fresh temporary file in the directory of `path`, fsyncs it, and renames it
// onto `path` (then fsyncs the directory). With overwrite == false an existing `path` is left
// untouched and AlreadyExists naming it is returned; the check and the final rename are atomic
// where the file system supports RENAME_NOREPLACE or hard links. On any failure the temporary file
// is removed and `path` is unchanged. The new file gets mode 0644.
absl::Status WriteFileAtomically(const std::string& path, std::string_view bytes, bool overwrite);

// The same, writing the concatenation of `pieces` (so that large outputs need not be assembled in
// one buffer first).
absl::Status WriteFileAtomically(const std::string& path, absl::Span<const std::string_view> pieces, bool overwrite);

// Path tests (stat; false on any error, e.g. a dangling link).
bool PathExists(const std::string& path);
bool IsDirectory(const std::string& path);
bool IsRegularFile(const std::string& path);

// The whole contents of `path`. NotFound when it does not exist; other errors name the path and
// the system's reason.
absl::StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace lrb

#endif  // LRB_BASE_FILE_H_
