#include "tasks/imdb/imdb.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "base/file.h"
#include "tasks/json_records.h"
#include "tasks/text_file.h"

namespace lrb {
namespace {

namespace fs = std::filesystem;

constexpr const char* kClassDirs[] = {"neg", "pos"};  // index = label

absl::StatusOr<TextExample> ExampleFromRecord(const JsonRecord& record) {  // id, label, text
  TextExample example;
  example.id = record[0];
  if (record[1] == "0" || record[1] == "neg") {
    example.label = 0;
  } else if (record[1] == "1" || record[1] == "pos") {
    example.label = 1;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("label '", record[1], "' is not 0, 1, neg or pos"));
  }
  example.labeled = true;
  example.text = record[2];
  return example;
}

// A review file of the tree, named <id>_<rating>.txt.
struct ReviewFile {
  int64_t id = -1;   // -1: the name is not of that form
  std::string name;  // file name
  std::string stem;  // without ".txt"
};

bool AllDigits(absl::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), absl::ascii_isdigit); }

ReviewFile ParseReviewName(const std::string& name) {
  ReviewFile file{-1, name, name};
  absl::string_view stem = name;
  if (!absl::ConsumeSuffix(&stem, ".txt")) return file;
  file.stem = std::string(stem);
  const std::vector<absl::string_view> parts = absl::StrSplit(stem, '_');
  int64_t id = 0;
  if (parts.size() == 2 && AllDigits(parts[0]) && AllDigits(parts[1]) && absl::SimpleAtoi(parts[0], &id)) {
    file.id = id;
  }
  return file;
}

// The .txt files of `dir`, by numeric review id (malformed names last, by name).
absl::StatusOr<std::vector<ReviewFile>> ListReviews(const std::string& dir) {
  std::error_code error;
  if (!fs::is_directory(dir, error)) return absl::NotFoundError(absl::StrCat(dir, ": no such directory"));
  std::vector<ReviewFile> files;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (absl::EndsWith(name, ".txt") && it->is_regular_file(error)) files.push_back(ParseReviewName(name));
  }
  if (error) return absl::UnknownError(absl::StrCat(dir, ": cannot list: ", error.message()));
  std::sort(files.begin(), files.end(), [](const ReviewFile& a, const ReviewFile& b) {
    return std::make_tuple(a.id < 0, a.id, a.name) < std::make_tuple(b.id < 0, b.id, b.name);
  });
  return files;
}

absl::Status AddReview(const std::string& dir, const std::string& split, int label, const ReviewFile& file,
                       const ReadOptions& options, ReadResult* result) {
  const std::string path = absl::StrCat(dir, "/", file.name);
  if (file.id < 0) return SkipOrFail(FileError(path, "file name is not <id>_<rating>.txt"), options, result);
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  if (absl::Status utf8 = CheckUtf8(*text, path, 1); !utf8.ok()) return SkipOrFail(utf8, options, result);
  TextExample example;
  example.id = absl::StrCat(split, "/", kClassDirs[label], "/", file.stem);
  example.text = *std::move(text);
  example.label = static_cast<float>(label);
  example.labeled = true;
  result->examples.push_back(std::move(example));
  return absl::OkStatus();
}

absl::StatusOr<ReadResult> ReadImdbTree(std::string path, const ReadOptions& options) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const std::string split = fs::path(path).filename().string();
  std::vector<std::vector<ReviewFile>> classes;
  for (const char* class_dir : kClassDirs) {
    absl::StatusOr<std::vector<ReviewFile>> files = ListReviews(absl::StrCat(path, "/", class_dir));
    if (!files.ok()) return files.status();
    classes.push_back(*std::move(files));
  }
  if (classes[0].empty() && classes[1].empty()) return FileError(path, "no reviews in neg/ or pos/");
  ReadResult result;
  result.path = path;
  for (int label = 0; label < 2; ++label) {
    const std::string dir = absl::StrCat(path, "/", kClassDirs[label]);
    for (const ReviewFile& file : classes[label]) {
      if (LimitReached(options, result)) return result;
      absl::Status status = AddReview(dir, split, label, file, options, &result);
      if (!status.ok()) return status;
    }
  }
  return result;
}

}  // namespace

absl::StatusOr<ReadResult> ReadImdb(const std::string& path, const ReadOptions& options) {
  std::error_code error;
  if (fs::is_directory(path, error)) return ReadImdbTree(path, options);
  return ReadJsonRecords(path, {"id", "label", "text"}, ExampleFromRecord, options);
}

}  // namespace lrb
