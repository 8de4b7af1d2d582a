#include "experiment/model_cache.h"

#include <cstdlib>
#include <filesystem>

#include <unistd.h>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "base/sha256.h"

namespace lrb {

std::string ContentKey(const std::string& text) { return Sha256Hex(text).substr(0, 16); }

std::optional<double> CachedSeconds(const std::string& dir) {
  if (!std::filesystem::exists(dir + "/DONE")) return std::nullopt;
  absl::StatusOr<std::string> done = ReadFile(dir + "/DONE");
  return done.ok() ? std::atof(done->c_str()) : 0.0;
}

absl::Status SaveCached(const Model& model, const std::string& dir, double seconds) {
  const std::string tmp = absl::StrCat(dir, ".tmp-", getpid());
  std::filesystem::remove_all(tmp);
  std::filesystem::create_directories(tmp);
  if (absl::Status s = model.Save(tmp, false); !s.ok()) return s;
  if (absl::Status s = WriteFileAtomically(tmp + "/DONE", absl::StrCat(seconds), false); !s.ok()) return s;
  std::error_code ec;
  std::filesystem::rename(tmp, dir, ec);
  if (ec) std::filesystem::remove_all(tmp);
  return absl::OkStatus();
}

}  // namespace lrb
