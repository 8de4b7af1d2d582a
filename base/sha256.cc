#include "base/sha256.h"

#include <nettle/sha2.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>

#include "absl/strings/str_cat.h"

namespace lrb {
namespace {

// The context placement-constructed in Sha256::context_ (a trivially copyable C struct, so copies of a
// Sha256 copy it too).
sha256_ctx* Context(unsigned char* storage) { return std::launder(reinterpret_cast<sha256_ctx*>(storage)); }

}  // namespace

Sha256::Sha256() {
  static_assert(sizeof(sha256_ctx) <= sizeof(context_), "Nettle's sha256_ctx outgrew Sha256::context_");
  static_assert(alignof(sha256_ctx) <= 8, "Nettle's sha256_ctx needs a stricter alignment than Sha256::context_");
  sha256_init(new (context_) sha256_ctx);
}

void Sha256::Update(absl::string_view bytes) {
  sha256_update(Context(context_), bytes.size(), reinterpret_cast<const uint8_t*>(bytes.data()));
}

std::string Sha256::HexDigest() {
  uint8_t digest[SHA256_DIGEST_SIZE];
  sha256_digest(Context(context_), sizeof(digest), digest);
  static const char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * sizeof(digest));
  for (uint8_t byte : digest) {
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0xf]);
  }
  return hex;
}

std::string Sha256Hex(absl::string_view bytes) {
  Sha256 sha;
  sha.Update(bytes);
  return sha.HexDigest();
}

absl::StatusOr<std::string> Sha256File(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    const int error = errno;
    if (error == ENOENT) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
    return absl::UnavailableError(absl::StrCat(path, ": ", std::strerror(error)));
  }
  Sha256 sha;
  std::string chunk(1 << 20, '\0');
  size_t got;
  while ((got = std::fread(chunk.data(), 1, chunk.size(), file)) > 0) sha.Update(absl::string_view(chunk.data(), got));
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) return absl::DataLossError(absl::StrCat(path, ": read error"));
  return sha.HexDigest();
}

}  // namespace lrb
