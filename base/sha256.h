// SHA-256 (FIPS 180-4) of buffers and files, as lower-case hex: the hashes in the data manifests and
// in every run record's provenance (`sha256sum` prints the same digits). Computed by Nettle (nettle-dev),
// whose header stays in sha256.cc.
#ifndef LRB_BASE_SHA256_H_
#define LRB_BASE_SHA256_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lrb {

class Sha256 {
 public:
  Sha256();
  void Update(absl::string_view bytes);
  // The digest as 64 hex digits; the object is spent afterwards.
  std::string HexDigest();

 private:
  // Nettle's `struct sha256_ctx` (112 bytes in Nettle 3.x), stored opaquely; sha256.cc checks that it fits.
  alignas(8) unsigned char context_[128];
};

std::string Sha256Hex(absl::string_view bytes);

// The file's digest, read in chunks; NotFound or the system's reason, naming the path.
absl::StatusOr<std::string> Sha256File(const std::string& path);

}  // namespace lrb

#endif  // LRB_BASE_SHA256_H_
