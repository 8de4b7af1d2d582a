// MANIFEST.md lists every embedded file with its size and SHA-256, and nothing else: the manifest is
// complete and every file is the one it names.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "base/file.h"
#include "base/sha256.h"

namespace lrb {
namespace {

struct Entry {
  int64_t bytes = 0;
  std::string sha256;
};

std::string Root() { return std::string(std::getenv("TEST_SRCDIR")) + "/lrbench/third_party/embedded"; }

// Rows "| `path` | bytes | `sha256` | source | licence |".
std::map<std::string, Entry> ReadManifest() {
  absl::StatusOr<std::string> text = ReadFile(Root() + "/MANIFEST.md");
  EXPECT_TRUE(text.ok()) << text.status();
  std::map<std::string, Entry> entries;
  if (!text.ok()) return entries;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    if (!absl::StartsWith(line, "| `")) continue;
    std::vector<std::string> cols = absl::StrSplit(line, '|');
    EXPECT_GE(cols.size(), 6u) << line;
    if (cols.size() < 6) continue;
    auto unquote = [](std::string s) { return std::string(absl::StripPrefix(absl::StripSuffix(absl::StripAsciiWhitespace(s), "`"), "`")); };
    Entry e;
    EXPECT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(cols[2]), &e.bytes)) << line;
    e.sha256 = unquote(cols[3]);
    EXPECT_EQ(e.sha256.size(), 64u) << line;
    EXPECT_TRUE(entries.emplace(unquote(cols[1]), e).second) << "listed twice: " << line;
  }
  return entries;
}

TEST(EmbeddedManifest, EveryFileIsListedWithItsSizeAndHash) {
  const std::map<std::string, Entry> manifest = ReadManifest();
  ASSERT_GT(manifest.size(), 30u);
  std::map<std::string, bool> found;
  for (const auto& item : std::filesystem::recursive_directory_iterator(Root())) {
    if (!std::filesystem::is_regular_file(item.path())) continue;  // follows the runfiles symlinks
    const std::string rel = item.path().lexically_relative(Root()).string();
    if (rel == "MANIFEST.md" || absl::StartsWith(rel, "manifest_test")) continue;
    auto it = manifest.find(rel);
    if (it == manifest.end()) {
      ADD_FAILURE() << rel << " is embedded but not listed in third_party/embedded/MANIFEST.md";
      continue;
    }
    found[rel] = true;
    EXPECT_EQ(static_cast<int64_t>(std::filesystem::file_size(item.path())), it->second.bytes) << rel;
    absl::StatusOr<std::string> digest = Sha256File(item.path().string());
    ASSERT_TRUE(digest.ok()) << digest.status();
    EXPECT_EQ(*digest, it->second.sha256) << rel;
  }
  for (const auto& [path, entry] : manifest) {
    EXPECT_TRUE(found.count(path)) << path << " is listed in MANIFEST.md but not embedded (or not in a filegroup)";
  }
}

}  // namespace
}  // namespace lrb
