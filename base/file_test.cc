#include "base/file.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace lrb {
namespace {

// A new empty directory per test, so tests never see each other's files.
std::string FreshDir() {
  std::string tmpl = ::testing::TempDir();
  if (tmpl.empty() || tmpl.back() != '/') tmpl += '/';
  tmpl += "lrb_file_test_XXXXXX";
  std::vector<char> buffer(tmpl.begin(), tmpl.end());
  buffer.push_back('\0');
  const char* dir = mkdtemp(buffer.data());
  EXPECT_NE(dir, nullptr) << "mkdtemp failed for " << tmpl;
  return dir == nullptr ? std::string() : std::string(dir);
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* entry = readdir(d)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

TEST(FileTest, WritesAndReadsBackBinaryContents) {
  const std::string dir = FreshDir();
  const std::string path = dir + "/blob.bin";
  std::string bytes("a\0b\xff\n", 5);
  ASSERT_TRUE(WriteFileAtomically(path, bytes, /*overwrite=*/false).ok());
  absl::StatusOr<std::string> read = ReadFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, bytes);
  EXPECT_EQ(ListDir(dir), std::vector<std::string>{"blob.bin"});  // no temporary left behind
}

TEST(FileTest, WritesEmptyAndLargeFiles) {
  const std::string dir = FreshDir();
  ASSERT_TRUE(WriteFileAtomically(dir + "/empty", "", false).ok());
  absl::StatusOr<std::string> empty = ReadFile(dir + "/empty");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(*empty, "");

  std::string large(3 * 1024 * 1024 + 17, '\0');
  for (size_t i = 0; i < large.size(); ++i) large[i] = static_cast<char>((i * 131) % 251);
  ASSERT_TRUE(WriteFileAtomically(dir + "/large", large, false).ok());
  absl::StatusOr<std::string> read = ReadFile(dir + "/large");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, large);
}

TEST(FileTest, PiecesAreConcatenated) {
  const std::string dir = FreshDir();
  const std::vector<std::string_view> pieces = {"head", "", "-middle-", "tail"};
  ASSERT_TRUE(WriteFileAtomically(dir + "/joined", pieces, false).ok());
  absl::StatusOr<std::string> read = ReadFile(dir + "/joined");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, "head-middle-tail");
}

TEST(FileTest, RefusesToOverwriteWhenNotAsked) {
  const std::string dir = FreshDir();
  const std::string path = dir + "/result.json";
  ASSERT_TRUE(WriteFileAtomically(path, "old", false).ok());
  absl::Status s = WriteFileAtomically(path, "new", /*overwrite=*/false);
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists) << s;
  EXPECT_NE(s.message().find(path), std::string::npos) << s;
  absl::StatusOr<std::string> read = ReadFile(path);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, "old");
  EXPECT_EQ(ListDir(dir), std::vector<std::string>{"result.json"});
}

TEST(FileTest, OverwritesWhenAsked) {
  const std::string dir = FreshDir();
  const std::string path = dir + "/result.json";
  ASSERT_TRUE(WriteFileAtomically(path, "old contents that are longer", false).ok());
  ASSERT_TRUE(WriteFileAtomically(path, "new", /*overwrite=*/true).ok());
  absl::StatusOr<std::string> read = ReadFile(path);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, "new");
  EXPECT_EQ(ListDir(dir), std::vector<std::string>{"result.json"});
}

TEST(FileTest, NewFileIsWorldReadable) {
  const std::string dir = FreshDir();
  ASSERT_TRUE(WriteFileAtomically(dir + "/f", "x", false).ok());
  struct stat st;
  ASSERT_EQ(stat((dir + "/f").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644);
}

TEST(FileTest, MissingDirectoryFailsWithoutLeavingAFile) {
  const std::string dir = FreshDir();
  const std::string path = dir + "/no_such_dir/out.bin";
  absl::Status s = WriteFileAtomically(path, "data", true);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(path), std::string::npos) << s;
  EXPECT_FALSE(Exists(path));
  EXPECT_TRUE(ListDir(dir).empty());
}

TEST(FileTest, FailedRenameRemovesTheTemporary) {
  // The target is a non-empty directory: the final rename fails after the data was written.
  const std::string dir = FreshDir();
  const std::string target = dir + "/occupied";
  ASSERT_EQ(mkdir(target.c_str(), 0755), 0);
  ASSERT_TRUE(WriteFileAtomically(target + "/inside", "x", false).ok());
  absl::Status s = WriteFileAtomically(target, "data", /*overwrite=*/true);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(target), std::string::npos) << s;
  EXPECT_EQ(ListDir(dir), std::vector<std::string>{"occupied"});  // the temporary is gone
  EXPECT_EQ(ListDir(target), std::vector<std::string>{"inside"});
}

TEST(FileTest, EmptyPathIsRefused) {
  EXPECT_EQ(WriteFileAtomically("", "x", true).code(), absl::StatusCode::kInvalidArgument);
}

TEST(FileTest, ReadMissingFileIsNotFoundNamingThePath) {
  const std::string path = FreshDir() + "/absent.txt";
  absl::StatusOr<std::string> read = ReadFile(path);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kNotFound) << read.status();
  EXPECT_NE(read.status().message().find(path), std::string::npos) << read.status();
}

TEST(FileTest, ReadDirectoryFailsNamingThePath) {
  const std::string dir = FreshDir();
  absl::StatusOr<std::string> read = ReadFile(dir);
  EXPECT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find(dir), std::string::npos) << read.status();
}

}  // namespace
}  // namespace lrb
