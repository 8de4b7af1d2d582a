// SHA-256 (FIPS 180-4) of buffers and files, as lower-case hex: the hashes in the data manifests and
// in every run record's provenance (`sha256sum` prints the same digits).
#ifndef LRB_HARNESS_IO_SHA256_H_
#define LRB_HARNESS_IO_SHA256_H_

#include <array>
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
  void Block(const unsigned char* block);
  std::array<uint32_t, 8> state_;
  unsigned char buffer_[64];
  uint64_t length_ = 0;  // bytes so far
};

std::string Sha256Hex(absl::string_view bytes);

// The file's digest, read in chunks; NotFound or the system's reason, naming the path.
absl::StatusOr<std::string> Sha256File(const std::string& path);

}  // namespace lrb

#endif  // LRB_HARNESS_IO_SHA256_H_
