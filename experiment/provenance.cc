#include "experiment/provenance.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <vector>

#include "absl/base/config.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/sha256.h"
#include "runtime/model/model.h"

namespace lrb {
namespace {

// stdout of a shell command, trimmed; empty on failure.
std::string Capture(const std::string& command) {
  std::FILE* pipe = popen((command + " 2>/dev/null").c_str(), "r");
  if (pipe == nullptr) return "";
  std::string out;
  std::array<char, 512> buffer;
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.append(buffer.data(), n);
  const int rc = pclose(pipe);
  if (rc != 0) return "";
  return std::string(absl::StripAsciiWhitespace(out));
}

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string CpuModel() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    }
  }
  return "unknown";
}

}  // namespace

Provenance CollectProvenance(const std::string& workspace, const Device& device) {
  Provenance p;
  const std::string git = "git -C " + Quote(workspace);
  p.git_sha = Capture(git + " rev-parse HEAD");
  if (p.git_sha.empty()) p.git_sha = "unknown";
  p.git_dirty = !Capture(git + " status --porcelain --untracked-files=no").empty();
  const std::time_t now = std::time(nullptr);
  char date[32];
  std::strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  p.date = date;
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  p.host = host;
  p.cpu = CpuModel();
  const RuntimeInfo runtime = GetRuntimeInfo(device);
  p.threads = runtime.threads;
  if (runtime.cuda) p.gpu = Capture("nvidia-smi --query-gpu=name --format=csv,noheader | head -1");
  p.versions["libtorch"] = runtime.libtorch;
  p.versions["compiler"] = __VERSION__;
#ifdef ABSL_LTS_RELEASE_VERSION
  p.versions["abseil"] = std::to_string(ABSL_LTS_RELEASE_VERSION);
#endif
  p.versions["runner"] = kRunnerVersion;
  return p;
}

absl::StatusOr<FileHash> HashFile(const std::string& path) {
  static std::mutex* mutex = new std::mutex;
  static auto* cache = new std::map<std::string, std::pair<std::string, FileHash>>;
  struct stat info;
  if (stat(path.c_str(), &info) != 0) return absl::NotFoundError(path + ": no such file");
  const std::string stamp = absl::StrCat(info.st_size, ":", info.st_mtim.tv_sec, ".", info.st_mtim.tv_nsec);
  {
    std::lock_guard<std::mutex> lock(*mutex);
    auto it = cache->find(path);
    if (it != cache->end() && it->second.first == stamp) return it->second.second;
  }
  absl::StatusOr<std::string> digest;
  if (S_ISDIR(info.st_mode)) {
    // A split stored as a directory tree (aclImdb/train): the hash of its sorted file list with sizes, so a
    // changed, added or removed file changes it without reading 25,000 reviews per run.
    std::vector<std::string> lines;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      std::error_code size_ec;
      if (!it->is_regular_file(size_ec)) continue;
      const uintmax_t size = it->file_size(size_ec);
      lines.push_back(absl::StrCat(it->path().lexically_relative(path).string(), "\t", size_ec ? 0 : size, "\n"));
    }
    if (ec) return absl::UnavailableError(absl::StrCat(path, ": ", ec.message()));
    std::sort(lines.begin(), lines.end());
    std::string joined;
    for (const std::string& l : lines) joined += l;
    digest = Sha256Hex(joined);
  } else {
    digest = Sha256File(path);
  }
  if (!digest.ok()) return digest.status();
  std::error_code ec;
  const std::filesystem::path real = std::filesystem::canonical(path, ec);  // runfiles links -> the source file
  FileHash h{ec ? path : real.string(), *digest, static_cast<int64_t>(info.st_size)};
  std::lock_guard<std::mutex> lock(*mutex);
  (*cache)[path] = {stamp, h};
  return h;
}

absl::StatusOr<FileHash> HashCheckpoint(const std::string& dir) {
  std::vector<std::string> files = {dir + "/config.json"};
  if (std::filesystem::exists(dir + "/model.safetensors")) {
    files.push_back(dir + "/model.safetensors");
  } else if (!std::filesystem::exists(dir + "/model.safetensors.index.json") &&
             std::filesystem::exists(dir + "/pytorch_model.bin")) {
    files.push_back(dir + "/pytorch_model.bin");  // what Model::Load reads when there is no safetensors file
  } else {
    std::vector<std::string> shards;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (entry.path().extension() == ".safetensors" || name == "model.safetensors.index.json") {
        shards.push_back(entry.path().string());
      }
    }
    std::sort(shards.begin(), shards.end());
    files.insert(files.end(), shards.begin(), shards.end());
  }
  std::string joined;
  int64_t bytes = 0;
  for (const std::string& f : files) {
    absl::StatusOr<FileHash> h = HashFile(f);
    if (!h.ok()) return h.status();
    absl::StrAppend(&joined, std::filesystem::path(f).filename().string(), "=", h->sha256, "\n");
    bytes += h->bytes;
  }
  return FileHash{dir, Sha256Hex(joined), bytes};
}

}  // namespace lrb
