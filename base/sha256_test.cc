#include "base/sha256.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"

namespace lrb {
namespace {

// FIPS 180-4 / NIST CSVS example vectors.
TEST(Sha256, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// Every split of the input into Update calls gives the same digest (block and padding boundaries:
// 55, 56, 63, 64, 65 bytes).
TEST(Sha256, ChunkingDoesNotMatter) {
  for (size_t n : {55u, 56u, 63u, 64u, 65u, 200u}) {
    std::string text;
    for (size_t i = 0; i < n; ++i) text.push_back(static_cast<char>('a' + i % 26));
    const std::string whole = Sha256Hex(text);
    for (size_t cut = 0; cut <= n; cut += 7) {
      Sha256 sha;
      sha.Update(text.substr(0, cut));
      sha.Update(text.substr(cut));
      EXPECT_EQ(sha.HexDigest(), whole) << n << " " << cut;
    }
  }
}

// A 1 MiB buffer fed in odd-sized chunks (1, 3, 5, ... bytes, crossing every block boundary at a
// different offset) hashes like one Update; a copied, half-fed hasher continues independently.
TEST(Sha256, OddChunksOfOneMebibyteMatchOneUpdate) {
  std::string bytes(1 << 20, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 131 + i / 251) & 0xff);
  const std::string whole = Sha256Hex(bytes);
  Sha256 sha;
  size_t at = 0;
  for (size_t step = 1; at < bytes.size(); step += 2) {
    const size_t take = std::min(step, bytes.size() - at);
    sha.Update(absl::string_view(bytes).substr(at, take));
    at += take;
    if (at >= bytes.size() / 2 && at - take < bytes.size() / 2) {
      Sha256 copy = sha;
      copy.Update(absl::string_view(bytes).substr(at));
      EXPECT_EQ(copy.HexDigest(), whole);
    }
  }
  EXPECT_EQ(sha.HexDigest(), whole);
  EXPECT_NE(whole, Sha256Hex(absl::string_view(bytes).substr(1)));
}

TEST(Sha256, FileMatchesBufferAndMissingFileIsNamed) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/f.bin";
  std::string bytes(3 * (1 << 20) + 17, 'x');
  for (size_t i = 0; i < bytes.size(); i += 97) bytes[i] = static_cast<char>(i);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  absl::StatusOr<std::string> digest = Sha256File(path);
  ASSERT_TRUE(digest.ok()) << digest.status();
  EXPECT_EQ(*digest, Sha256Hex(bytes));
  absl::StatusOr<std::string> missing = Sha256File(path + ".absent");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("f.bin.absent"), std::string::npos);
}

}  // namespace
}  // namespace lrb
