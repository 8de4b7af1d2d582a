#include "base/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "base/file.h"

namespace lrb {
namespace {

// ordered_json keeps the header's key order, which becomes the tensors' order.
using Json = nlohmann::ordered_json;

constexpr char kMetadataKey[] = "__metadata__";
constexpr char kIndexFileName[] = "model.safetensors.index.json";
constexpr char kSingleFileName[] = "model.safetensors";
// The reference implementation refuses headers above 100 MB; so do we, rather than allocate
// whatever a corrupt length prefix asks for.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
constexpr int64_t kMaxBytes = std::numeric_limits<int64_t>::max();

// ---------------------------------------------------------------------------------------------
// Little-endian element access. Written out byte by byte so that the format does not depend on
// the host's byte order; compilers turn these into plain loads and stores on little-endian hosts.

void StoreLe16(uint16_t v, uint8_t* p) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
void StoreLe32(uint32_t v, uint8_t* p) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void StoreLe64(uint64_t v, uint8_t* p) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint16_t LoadLe16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t LoadLe32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(p[i]) << (8 * i);
  return v;
}
uint64_t LoadLe64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

uint32_t FloatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}
float BitsFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

// ---------------------------------------------------------------------------------------------
// Shapes.

std::string ShapeString(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

// NumElements(shape) * DTypeSize(dtype), or false when a dimension is negative or the product
// exceeds int64 (then no buffer of that size could exist).
bool ByteSize(const std::vector<int64_t>& shape, DType dtype, int64_t* bytes) {
  unsigned __int128 n = static_cast<unsigned __int128>(DTypeSize(dtype));
  for (int64_t d : shape) {
    if (d < 0) return false;
    n *= static_cast<uint64_t>(d);
    // Once zero, stays zero; otherwise the running product only grows, so checking here is enough.
    if (n > static_cast<unsigned __int128>(kMaxBytes)) return false;
  }
  *bytes = static_cast<int64_t>(n);
  return true;
}

absl::Status ShapeError(const std::vector<int64_t>& shape, DType dtype) {
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("shape ", ShapeString(shape), " has negative dimension ", shape[i], " at index ", i));
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("shape ", ShapeString(shape), " of ", DTypeName(dtype), " exceeds 2^63 - 1 bytes"));
}

// `s` in double quotes with quotes, backslashes and control characters escaped, so that any tensor
// name keeps an error message on one unambiguous line.
std::string Quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      absl::StrAppend(&out, "\\x", absl::Hex(u, absl::kZeroPad2));
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

// `s` with every byte outside printable ASCII as \xNN: the JSON parser's messages quote the offending
// input, which may be binary.
std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) {
      absl::StrAppend(&out, "\\x", absl::Hex(u, absl::kZeroPad2));
    } else {
      out += c;
    }
  }
  return out;
}

absl::Status Annotate(const absl::Status& status, absl::string_view prefix) {
  return absl::Status(status.code(), absl::StrCat(prefix, status.message()));
}

// ---------------------------------------------------------------------------------------------
// Header parsing, shared by the in-memory and the file reader.

struct TensorEntry {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t begin;  // within the data buffer
  uint64_t end;
};

struct Header {
  std::vector<TensorEntry> entries;  // header key order
  std::map<std::string, std::string> metadata;
};

const char* JsonTypeName(const Json& j) { return j.type_name(); }

// A non-negative JSON integer that fits int64. `what` describes it for the message.
absl::StatusOr<int64_t> NonNegativeInt(const Json& j, absl::string_view what) {
  if (j.is_number_unsigned()) {
    const uint64_t v = j.get<uint64_t>();
    if (v > static_cast<uint64_t>(kMaxBytes)) {
      return absl::InvalidArgumentError(absl::StrCat(what, " is ", v, ", larger than 2^63 - 1"));
    }
    return static_cast<int64_t>(v);
  }
  if (j.is_number_integer()) {  // signed: negative, or written "-0"
    const int64_t v = j.get<int64_t>();
    if (v < 0) return absl::InvalidArgumentError(absl::StrCat(what, " is negative (", v, ")"));
    return v;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(what, " must be a non-negative integer, found ", JsonTypeName(j), " ", j.dump()));
}

absl::StatusOr<TensorEntry> ParseEntry(const std::string& name, const Json& j, uint64_t buffer_size) {
  if (!j.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat("entry must be a JSON object, found ", JsonTypeName(j)));
  }
  // Keys other than these three are ignored, as the reference implementation does.
  for (const char* key : {"dtype", "shape", "data_offsets"}) {
    if (!j.contains(key)) return absl::InvalidArgumentError(absl::StrCat("missing ", Quoted(key)));
  }
  TensorEntry e;
  e.name = name;

  const Json& dtype = j.at("dtype");
  if (!dtype.is_string()) {
    return absl::InvalidArgumentError(absl::StrCat("\"dtype\" must be a string, found ", JsonTypeName(dtype)));
  }
  absl::StatusOr<DType> parsed = ParseDType(dtype.get<std::string>());
  if (!parsed.ok()) return parsed.status();
  e.dtype = *parsed;

  const Json& shape = j.at("shape");
  if (!shape.is_array()) {
    return absl::InvalidArgumentError(absl::StrCat("\"shape\" must be an array, found ", JsonTypeName(shape)));
  }
  for (size_t i = 0; i < shape.size(); ++i) {
    absl::StatusOr<int64_t> d = NonNegativeInt(shape[i], absl::StrCat("shape[", i, "]"));
    if (!d.ok()) return d.status();
    e.shape.push_back(*d);
  }
  int64_t bytes = 0;
  if (!ByteSize(e.shape, e.dtype, &bytes)) return ShapeError(e.shape, e.dtype);

  const Json& offsets = j.at("data_offsets");
  if (!offsets.is_array() || offsets.size() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"data_offsets\" must be an array [begin, end], found ", offsets.dump()));
  }
  absl::StatusOr<int64_t> begin = NonNegativeInt(offsets[0], "data_offsets begin");
  if (!begin.ok()) return begin.status();
  absl::StatusOr<int64_t> end = NonNegativeInt(offsets[1], "data_offsets end");
  if (!end.ok()) return end.status();
  e.begin = static_cast<uint64_t>(*begin);
  e.end = static_cast<uint64_t>(*end);
  if (e.begin > e.end) {
    return absl::InvalidArgumentError(absl::StrCat("data_offsets [", e.begin, ", ", e.end, "] has begin > end"));
  }
  if (e.end > buffer_size) {
    return absl::InvalidArgumentError(absl::StrCat("data_offsets [", e.begin, ", ", e.end, "] run past the end of the ",
                                                   buffer_size, "-byte data buffer (truncated file?)"));
  }
  if (e.end - e.begin != static_cast<uint64_t>(bytes)) {
    return absl::InvalidArgumentError(absl::StrCat("data_offsets [", e.begin, ", ", e.end, "] span ", e.end - e.begin,
                                                   " bytes but shape ", ShapeString(e.shape), " of ",
                                                   DTypeName(e.dtype), " needs ", bytes));
  }
  return e;
}

absl::StatusOr<Header> ParseHeader(std::string_view text, uint64_t buffer_size, absl::string_view source) {
  auto fail = [source](absl::string_view message) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", message));
  };

  // The parser keeps the last of repeated keys silently; the callback sees every key, so a stack of
  // key sets (one per open object) finds the first repetition.
  std::vector<std::set<std::string>> open_objects;
  std::string top_key;    // the tensor (top-level key) being parsed
  std::string duplicate;  // first repeated key, described
  Json::parser_callback_t on_event = [&](int depth, Json::parse_event_t event, Json& parsed) {
    using Event = Json::parse_event_t;
    if (event == Event::object_start) {
      open_objects.emplace_back();
    } else if (event == Event::object_end) {
      if (!open_objects.empty()) open_objects.pop_back();
    } else if (event == Event::key && !open_objects.empty()) {
      const std::string key = parsed.get<std::string>();
      const bool fresh = open_objects.back().insert(key).second;
      if (depth == 1) top_key = key;
      if (!fresh && duplicate.empty()) {
        if (depth == 1) {
          duplicate = absl::StrCat("duplicate tensor name ", Quoted(key), " in header");
        } else if (top_key == kMetadataKey) {
          duplicate = absl::StrCat("\"__metadata__\": duplicate key ", Quoted(key));
        } else {
          duplicate = absl::StrCat("tensor ", Quoted(top_key), ": duplicate key ", Quoted(key));
        }
      }
    }
    return true;
  };

  Json header;
  try {
    header = Json::parse(text.begin(), text.end(), on_event);
  } catch (const Json::exception& e) {
    return fail(absl::StrCat("header is not valid JSON: ", Printable(e.what())));
  }
  if (!header.is_object()) return fail(absl::StrCat("header must be a JSON object, found ", JsonTypeName(header)));
  if (!duplicate.empty()) return fail(duplicate);

  Header out;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const Json& value = it.value();
    if (name == kMetadataKey) {
      if (!value.is_object()) {
        return fail(absl::StrCat("\"__metadata__\" must be an object of strings, found ", JsonTypeName(value)));
      }
      for (auto m = value.begin(); m != value.end(); ++m) {
        if (!m.value().is_string()) {
          return fail(absl::StrCat("\"__metadata__\" value for key ", Quoted(m.key()), " must be a string, found ",
                                   JsonTypeName(m.value())));
        }
        out.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    absl::StatusOr<TensorEntry> entry = ParseEntry(name, value, buffer_size);
    if (!entry.ok()) return Annotate(entry.status(), absl::StrCat(source, ": tensor ", Quoted(name), ": "));
    out.entries.push_back(*std::move(entry));
  }

  // Like the reference implementation, require the tensors to tile the data buffer exactly: no
  // overlaps (two tensors sharing bytes), no gaps and no trailing bytes (signs of a corrupt header).
  std::vector<const TensorEntry*> by_offset;
  for (const TensorEntry& e : out.entries) by_offset.push_back(&e);
  std::stable_sort(by_offset.begin(), by_offset.end(), [](const TensorEntry* a, const TensorEntry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t cursor = 0;
  const TensorEntry* previous = nullptr;  // the tensor that ends at `cursor`
  for (const TensorEntry* e : by_offset) {
    if (e->begin < cursor) {
      return fail(absl::StrCat("tensor ", Quoted(e->name), " data_offsets [", e->begin, ", ", e->end,
                               "] overlap tensor ", Quoted(previous->name), " [", previous->begin, ", ", previous->end,
                               "]"));
    }
    if (e->begin > cursor) {
      return fail(absl::StrCat("tensor ", Quoted(e->name), " starts at data offset ", e->begin, ", leaving bytes [",
                               cursor, ", ", e->begin, ") of the data buffer unused"));
    }
    cursor = e->end;
    previous = e;
  }
  if (cursor != buffer_size) {
    return fail(absl::StrCat("tensors cover ", cursor, " bytes of the ", buffer_size,
                             "-byte data buffer; the remaining bytes belong to no tensor"));
  }
  return out;
}

// The header length from a file's first 8 bytes, checked against the file's size.
absl::StatusOr<uint64_t> HeaderLength(const uint8_t* prefix, uint64_t file_size, absl::string_view source) {
  const uint64_t n = LoadLe64(prefix);
  if (n > file_size - 8) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": header length ", n, " exceeds the ", file_size - 8,
                                                   " bytes after the 8-byte length prefix (truncated file?)"));
  }
  if (n > kMaxHeaderBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": header length ", n, " exceeds the limit of ", kMaxHeaderBytes, " bytes"));
  }
  return n;
}

absl::Status TooShort(uint64_t size, absl::string_view source) {
  return absl::InvalidArgumentError(
      absl::StrCat(source, ": file is ", size, " bytes, too short for the 8-byte header length"));
}

absl::Status Errno(int error_number, absl::string_view what, const std::string& path) {
  return absl::ErrnoToStatus(error_number, absl::StrCat(what, " ", path));
}

// Reads exactly `size` bytes at `offset`.
absl::Status PreadAll(int fd, uint8_t* out, uint64_t size, uint64_t offset, const std::string& path) {
  while (size > 0) {
    const ssize_t n = pread(fd, out, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno(errno, "cannot read", path);
    }
    if (n == 0) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": unexpected end of file at byte ", offset));
    }
    out += n;
    size -= static_cast<uint64_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return absl::OkStatus();
}

class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  ~FdCloser() { close(fd_); }

 private:
  int fd_;
};

std::string JoinPath(const std::string& dir, absl::string_view name) {
  if (dir.empty()) return std::string(name);
  if (dir.back() == '/') return absl::StrCat(dir, name);
  return absl::StrCat(dir, "/", name);
}

std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

// -----------------------------------------------------------------------------------------------
// DType and element conversions.

std::string DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return "F32";
    case DType::kF16:
      return "F16";
    case DType::kBF16:
      return "BF16";
    case DType::kI64:
      return "I64";
  }
  return "?";
}

absl::StatusOr<DType> ParseDType(std::string_view name) {
  for (DType d : {DType::kF32, DType::kF16, DType::kBF16, DType::kI64}) {
    if (name == DTypeName(d)) return d;
  }
  // The rest of the safetensors dtype list: a well-formed file we cannot load is a different
  // problem (Unimplemented) from a corrupt one (InvalidArgument).
  for (std::string_view other : {"BOOL", "U8", "I8", "I16", "U16", "I32", "U32", "U64", "F64", "F8_E4M3", "F8_E5M2",
                                 "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64"}) {
    if (name == other) {
      return absl::UnimplementedError(
          absl::StrCat("dtype ", Quoted(name), " is not supported by lrbench (supported: F32, F16, BF16, I64)"));
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown dtype ", Quoted(name)));
}

int64_t DTypeSize(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return 4;
    case DType::kF16:
    case DType::kBF16:
      return 2;
    case DType::kI64:
      return 8;
  }
  return 0;
}

uint16_t FloatToHalfBits(float value) {
  const uint32_t f = FloatBits(value);
  const uint16_t sign = static_cast<uint16_t>((f >> 16) & 0x8000u);
  const uint32_t abs = f & 0x7fffffffu;
  if (abs >= 0x7f800000u) {
    if (abs == 0x7f800000u) return sign | 0x7c00u;  // infinity
    // NaN: keep the top payload bits and force the quiet bit so the result is never infinity.
    return static_cast<uint16_t>(sign | 0x7e00u | ((abs >> 13) & 0x3ffu));
  }
  if (abs >= 0x477ff000u) return sign | 0x7c00u;  // >= 65520 = 65504 + half an ulp: rounds to infinity
  if (abs >= 0x38800000u) {
    // Normal half (>= 2^-14): rebias the exponent (127 -> 15) and round the 13 dropped mantissa
    // bits to nearest even. A carry out of the mantissa correctly bumps the exponent.
    const uint32_t v = abs - 0x38000000u;
    uint32_t h = v >> 13;
    const uint32_t rest = v & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
    return static_cast<uint16_t>(sign | h);
  }
  // Subnormal half: value = h * 2^-24. Below 2^-25 everything rounds to zero (2^-25 itself is a
  // tie and goes to the even 0).
  const uint32_t exponent = abs >> 23;
  if (exponent < 102) return sign;
  const uint32_t mantissa = (abs & 0x7fffffu) | 0x800000u;  // implicit bit; value = mantissa * 2^(exponent-150)
  const uint32_t shift = 126 - exponent;                    // 14..24
  uint32_t h = mantissa >> shift;
  const uint32_t rest = mantissa & ((1u << shift) - 1);
  const uint32_t halfway = 1u << (shift - 1);
  if (rest > halfway || (rest == halfway && (h & 1u))) ++h;  // may carry into the smallest normal: still right
  return static_cast<uint16_t>(sign | h);
}

float HalfBitsToFloat(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1fu;
  const uint32_t mantissa = bits & 0x3ffu;
  if (exponent == 0x1f) return BitsFloat(sign | 0x7f800000u | (mantissa << 13));  // inf / NaN (payload kept)
  if (exponent != 0) return BitsFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
  // Zero or subnormal: mantissa * 2^-24, exact in float32.
  const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
  return sign ? -magnitude : magnitude;
}

uint16_t FloatToBFloat16Bits(float value) {
  const uint32_t f = FloatBits(value);
  if ((f & 0x7fffffffu) > 0x7f800000u) {
    // NaN: truncation could clear every payload bit and yield infinity; set the quiet bit.
    return static_cast<uint16_t>((f >> 16) | 0x0040u);
  }
  // Round to nearest even on the 16 dropped bits; overflow lands on infinity as it should.
  const uint32_t rounding = 0x7fffu + ((f >> 16) & 1u);
  return static_cast<uint16_t>((f + rounding) >> 16);
}

float BFloat16BitsToFloat(uint16_t bits) { return BitsFloat(static_cast<uint32_t>(bits) << 16); }

// -----------------------------------------------------------------------------------------------
// HostTensor.

int64_t NumElements(const HostTensor& tensor) {
  int64_t n = 1;
  for (int64_t d : tensor.shape) n *= d;
  return n;
}

absl::Status ValidateHostTensor(const HostTensor& tensor) {
  int64_t bytes = 0;
  if (!ByteSize(tensor.shape, tensor.dtype, &bytes)) return ShapeError(tensor.shape, tensor.dtype);
  if (tensor.data.size() != static_cast<uint64_t>(bytes)) {
    return absl::InvalidArgumentError(absl::StrCat("data has ", tensor.data.size(), " bytes but shape ",
                                                   ShapeString(tensor.shape), " of ", DTypeName(tensor.dtype),
                                                   " needs ", bytes));
  }
  return absl::OkStatus();
}

absl::StatusOr<HostTensor> HostTensorFromFloats(DType dtype, std::vector<int64_t> shape,
                                                absl::Span<const float> values) {
  if (dtype == DType::kI64) {
    return absl::InvalidArgumentError("HostTensorFromFloats: dtype I64 is not floating (use HostTensorFromInt64)");
  }
  int64_t bytes = 0;
  if (!ByteSize(shape, dtype, &bytes)) return ShapeError(shape, dtype);
  const int64_t n = bytes / DTypeSize(dtype);
  if (static_cast<int64_t>(values.size()) != n) {
    return absl::InvalidArgumentError(absl::StrCat("HostTensorFromFloats: ", values.size(), " values for shape ",
                                                   ShapeString(shape), " of ", n, " elements"));
  }
  HostTensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.data.resize(static_cast<size_t>(bytes));
  uint8_t* p = t.data.data();
  for (int64_t i = 0; i < n; ++i) {
    switch (dtype) {
      case DType::kF32:
        StoreLe32(FloatBits(values[i]), p + 4 * i);
        break;
      case DType::kF16:
        StoreLe16(FloatToHalfBits(values[i]), p + 2 * i);
        break;
      case DType::kBF16:
        StoreLe16(FloatToBFloat16Bits(values[i]), p + 2 * i);
        break;
      case DType::kI64:
        break;  // refused above
    }
  }
  return t;
}

absl::StatusOr<HostTensor> HostTensorFromInt64(std::vector<int64_t> shape, absl::Span<const int64_t> values) {
  int64_t bytes = 0;
  if (!ByteSize(shape, DType::kI64, &bytes)) return ShapeError(shape, DType::kI64);
  const int64_t n = bytes / 8;
  if (static_cast<int64_t>(values.size()) != n) {
    return absl::InvalidArgumentError(absl::StrCat("HostTensorFromInt64: ", values.size(), " values for shape ",
                                                   ShapeString(shape), " of ", n, " elements"));
  }
  HostTensor t;
  t.dtype = DType::kI64;
  t.shape = std::move(shape);
  t.data.resize(static_cast<size_t>(bytes));
  for (int64_t i = 0; i < n; ++i) StoreLe64(static_cast<uint64_t>(values[i]), t.data.data() + 8 * i);
  return t;
}

absl::StatusOr<std::vector<float>> HostTensorToFloats(const HostTensor& tensor) {
  if (tensor.dtype == DType::kI64) {
    return absl::InvalidArgumentError("HostTensorToFloats: tensor is I64, not floating (use HostTensorToInt64)");
  }
  if (absl::Status s = ValidateHostTensor(tensor); !s.ok()) return Annotate(s, "HostTensorToFloats: ");
  const int64_t n = NumElements(tensor);
  std::vector<float> out(static_cast<size_t>(n));
  const uint8_t* p = tensor.data.data();
  for (int64_t i = 0; i < n; ++i) {
    switch (tensor.dtype) {
      case DType::kF32:
        out[i] = BitsFloat(LoadLe32(p + 4 * i));
        break;
      case DType::kF16:
        out[i] = HalfBitsToFloat(LoadLe16(p + 2 * i));
        break;
      case DType::kBF16:
        out[i] = BFloat16BitsToFloat(LoadLe16(p + 2 * i));
        break;
      case DType::kI64:
        break;  // refused above
    }
  }
  return out;
}

absl::StatusOr<std::vector<int64_t>> HostTensorToInt64(const HostTensor& tensor) {
  if (tensor.dtype != DType::kI64) {
    return absl::InvalidArgumentError(
        absl::StrCat("HostTensorToInt64: tensor is ", DTypeName(tensor.dtype), ", not I64"));
  }
  if (absl::Status s = ValidateHostTensor(tensor); !s.ok()) return Annotate(s, "HostTensorToInt64: ");
  const int64_t n = NumElements(tensor);
  std::vector<int64_t> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<int64_t>(LoadLe64(tensor.data.data() + 8 * i));
  return out;
}

// -----------------------------------------------------------------------------------------------
// SafetensorsFile.

SafetensorsFile SafetensorsFile::Clone() const {
  SafetensorsFile copy;
  copy.tensors_ = tensors_;
  copy.index_ = index_;
  copy.metadata_ = metadata_;
  return copy;
}

absl::Status SafetensorsFile::Add(std::string name, HostTensor tensor) {
  if (name == kMetadataKey) {
    return absl::InvalidArgumentError("tensor name \"__metadata__\" is reserved for the metadata map");
  }
  if (index_.count(name) != 0) {
    return absl::AlreadyExistsError(absl::StrCat("duplicate tensor name ", Quoted(name)));
  }
  if (absl::Status s = ValidateHostTensor(tensor); !s.ok()) {
    return Annotate(s, absl::StrCat("tensor ", Quoted(name), ": "));
  }
  index_.emplace(name, tensors_.size());
  tensors_.emplace_back(std::move(name), std::move(tensor));
  return absl::OkStatus();
}

bool SafetensorsFile::Contains(std::string_view name) const { return index_.count(std::string(name)) != 0; }

const HostTensor* SafetensorsFile::Find(std::string_view name) const {
  auto it = index_.find(std::string(name));
  return it == index_.end() ? nullptr : &tensors_[it->second].second;
}

HostTensor* SafetensorsFile::FindMutable(std::string_view name) {
  auto it = index_.find(std::string(name));
  return it == index_.end() ? nullptr : &tensors_[it->second].second;
}

absl::StatusOr<const HostTensor*> SafetensorsFile::Get(std::string_view name) const {
  const HostTensor* t = Find(name);
  if (t == nullptr) return absl::NotFoundError(absl::StrCat("no tensor named ", Quoted(name)));
  return t;
}

absl::StatusOr<HostTensor> SafetensorsFile::Take(std::string_view name) {
  auto it = index_.find(std::string(name));
  if (it == index_.end()) return absl::NotFoundError(absl::StrCat("no tensor named ", Quoted(name)));
  const size_t position = it->second;
  HostTensor t = std::move(tensors_[position].second);
  index_.erase(it);
  tensors_.erase(tensors_.begin() + static_cast<std::ptrdiff_t>(position));
  for (auto& [other, i] : index_) {
    if (i > position) --i;
  }
  return t;
}

std::vector<std::string> SafetensorsFile::Names() const {
  std::vector<std::string> names;
  names.reserve(tensors_.size());
  for (const auto& [name, tensor] : tensors_) names.push_back(name);
  return names;
}

// -----------------------------------------------------------------------------------------------
// Reading.

absl::StatusOr<SafetensorsFile> ParseSafetensors(std::string_view bytes, std::string_view source_name) {
  const std::string source(source_name);
  if (bytes.size() < 8) return TooShort(bytes.size(), source);
  absl::StatusOr<uint64_t> n = HeaderLength(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), source);
  if (!n.ok()) return n.status();
  const std::string_view buffer = bytes.substr(8 + *n);
  absl::StatusOr<Header> header = ParseHeader(bytes.substr(8, *n), buffer.size(), source);
  if (!header.ok()) return header.status();

  SafetensorsFile file;
  for (TensorEntry& e : header->entries) {
    HostTensor t;
    t.dtype = e.dtype;
    t.shape = std::move(e.shape);
    t.data.assign(buffer.begin() + e.begin, buffer.begin() + e.end);
    if (absl::Status s = file.Add(e.name, std::move(t)); !s.ok()) return Annotate(s, absl::StrCat(source, ": "));
  }
  file.mutable_metadata() = std::move(header->metadata);
  return file;
}

absl::StatusOr<SafetensorsFile> ReadSafetensors(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno(errno, "cannot open", path);
  FdCloser closer(fd);
  struct stat st;
  if (fstat(fd, &st) != 0) return Errno(errno, "cannot stat", path);
  if (!S_ISREG(st.st_mode)) return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  const uint64_t size = static_cast<uint64_t>(st.st_size);

  if (size < 8) return TooShort(size, path);
  uint8_t prefix[8];
  if (absl::Status s = PreadAll(fd, prefix, 8, 0, path); !s.ok()) return s;
  absl::StatusOr<uint64_t> n = HeaderLength(prefix, size, path);
  if (!n.ok()) return n.status();
  std::string text(*n, '\0');
  if (absl::Status s = PreadAll(fd, reinterpret_cast<uint8_t*>(text.data()), *n, 8, path); !s.ok()) return s;
  const uint64_t buffer_start = 8 + *n;
  absl::StatusOr<Header> header = ParseHeader(text, size - buffer_start, path);
  if (!header.ok()) return header.status();

  SafetensorsFile file;
  for (TensorEntry& e : header->entries) {
    HostTensor t;
    t.dtype = e.dtype;
    t.shape = std::move(e.shape);
    t.data.resize(e.end - e.begin);
    if (absl::Status s = PreadAll(fd, t.data.data(), t.data.size(), buffer_start + e.begin, path); !s.ok()) return s;
    if (absl::Status s = file.Add(e.name, std::move(t)); !s.ok()) return Annotate(s, absl::StrCat(path, ": "));
  }
  file.mutable_metadata() = std::move(header->metadata);
  return file;
}

absl::StatusOr<SafetensorsFile> ReadShardedSafetensors(const std::string& path) {
  const std::string index_path = IsDirectory(path) ? JoinPath(path, kIndexFileName) : path;
  absl::StatusOr<std::string> text = ReadFile(index_path);
  if (!text.ok()) return text.status();
  auto fail = [&index_path](absl::string_view message) {
    return absl::InvalidArgumentError(absl::StrCat(index_path, ": ", message));
  };

  Json index;
  try {
    index = Json::parse(*text);
  } catch (const Json::exception& e) {
    return fail(absl::StrCat("not valid JSON: ", Printable(e.what())));
  }
  if (!index.is_object()) return fail(absl::StrCat("must be a JSON object, found ", JsonTypeName(index)));
  // The index's "metadata" (total_size, ...) is informational and not needed to load.
  if (!index.contains("weight_map")) return fail("missing \"weight_map\"");
  const Json& weight_map = index.at("weight_map");
  if (!weight_map.is_object()) {
    return fail(absl::StrCat("\"weight_map\" must be an object, found ", JsonTypeName(weight_map)));
  }

  // Shards in order of first mention, each with the tensors the index assigns to it.
  std::vector<std::string> shard_order;
  std::map<std::string, std::set<std::string>> listed;           // shard -> tensors
  std::map<std::string, std::string> first_tensor;               // shard -> its first tensor, for messages
  std::vector<std::pair<std::string, std::string>> assignments;  // (tensor, shard), weight_map order
  for (auto it = weight_map.begin(); it != weight_map.end(); ++it) {
    if (!it.value().is_string()) {
      return fail(absl::StrCat("\"weight_map\" entry for tensor ", Quoted(it.key()),
                               " must be a file name string, found ", JsonTypeName(it.value())));
    }
    const std::string shard = it.value().get<std::string>();
    if (listed.count(shard) == 0) {
      shard_order.push_back(shard);
      first_tensor[shard] = it.key();
    }
    listed[shard].insert(it.key());
    assignments.emplace_back(it.key(), shard);
  }
  if (assignments.empty()) return fail("\"weight_map\" is empty");

  const std::string dir = DirName(index_path);
  std::map<std::string, SafetensorsFile> shards;
  SafetensorsFile out;
  for (const std::string& shard : shard_order) {
    const std::string shard_path = JoinPath(dir, shard);
    absl::StatusOr<SafetensorsFile> file = ReadSafetensors(shard_path);
    if (!file.ok()) {
      return Annotate(file.status(), absl::StrCat(index_path, ": shard ", Quoted(shard), " (holding tensor ",
                                                  Quoted(first_tensor[shard]), "): "));
    }
    const std::set<std::string>& expected = listed[shard];
    for (const std::string& name : file->Names()) {
      if (expected.count(name) == 0) {
        return fail(absl::StrCat("shard ", Quoted(shard), " holds tensor ", Quoted(name),
                                 " that \"weight_map\" does not assign to it"));
      }
    }
    for (const std::string& name : expected) {
      if (!file->Contains(name)) {
        return absl::NotFoundError(absl::StrCat(index_path, ": tensor ", Quoted(name), " is listed in shard ",
                                                Quoted(shard), " but missing from ", shard_path));
      }
    }
    for (const auto& [key, value] : file->metadata()) out.mutable_metadata().emplace(key, value);  // first wins
    shards.emplace(shard, *std::move(file));
  }

  // Move (not copy) every tensor into the result in weight_map order.
  for (auto& [name, shard] : assignments) {
    HostTensor* t = shards.at(shard).FindMutable(name);
    if (absl::Status s = out.Add(name, std::move(*t)); !s.ok()) return Annotate(s, absl::StrCat(index_path, ": "));
  }
  return out;
}

absl::StatusOr<SafetensorsFile> LoadCheckpoint(const std::string& dir) {
  const std::string single = JoinPath(dir, kSingleFileName);
  if (PathExists(single)) return ReadSafetensors(single);
  const std::string index = JoinPath(dir, kIndexFileName);
  if (PathExists(index)) return ReadShardedSafetensors(index);
  return absl::NotFoundError(
      absl::StrCat(dir, ": no checkpoint (neither ", kSingleFileName, " nor ", kIndexFileName, " exists)"));
}

// -----------------------------------------------------------------------------------------------
// Writing.

namespace {

// The 8-byte length prefix and the padded header JSON: everything before the data buffer.
absl::StatusOr<std::string> SerializeHeader(const SafetensorsFile& file) {
  Json header = Json::object();
  if (!file.metadata().empty()) {
    Json metadata = Json::object();
    for (const auto& [key, value] : file.metadata()) metadata[key] = value;
    header[std::string(kMetadataKey)] = std::move(metadata);
  }
  uint64_t offset = 0;
  for (const auto& [name, tensor] : file.tensors()) {
    // Add() validated, but the tensor may have been changed through FindMutable since.
    if (absl::Status s = ValidateHostTensor(tensor); !s.ok()) {
      return Annotate(s, absl::StrCat("tensor ", Quoted(name), ": "));
    }
    Json entry = Json::object();
    entry["dtype"] = std::string(DTypeName(tensor.dtype));
    entry["shape"] = tensor.shape;
    entry["data_offsets"] = Json::array({offset, offset + tensor.data.size()});
    offset += tensor.data.size();
    header[name] = std::move(entry);
  }

  std::string text;
  try {
    text = header.dump();
  } catch (const Json::exception& e) {
    // dump() throws on strings that are not valid UTF-8.
    return absl::InvalidArgumentError(absl::StrCat("cannot encode safetensors header: ", e.what()));
  }
  // Pad with spaces (valid JSON whitespace) so the data buffer starts 8-byte aligned, as the
  // reference writer does.
  text.append((8 - text.size() % 8) % 8, ' ');

  std::string out(8, '\0');
  StoreLe64(text.size(), reinterpret_cast<uint8_t*>(out.data()));
  out += text;
  return out;
}

}  // namespace

absl::StatusOr<std::string> SerializeSafetensors(const SafetensorsFile& file) {
  absl::StatusOr<std::string> out = SerializeHeader(file);
  if (!out.ok()) return out.status();
  size_t total = out->size();
  for (const auto& [name, tensor] : file.tensors()) total += tensor.data.size();
  out->reserve(total);
  for (const auto& [name, tensor] : file.tensors()) {
    out->append(reinterpret_cast<const char*>(tensor.data.data()), tensor.data.size());
  }
  return out;
}

absl::Status WriteSafetensors(const SafetensorsFile& file, const std::string& path, bool overwrite) {
  absl::StatusOr<std::string> header = SerializeHeader(file);
  if (!header.ok()) return Annotate(header.status(), absl::StrCat(path, ": "));
  // Write the tensors from where they are instead of concatenating a second copy of the checkpoint.
  std::vector<std::string_view> pieces = {*header};
  for (const auto& [name, tensor] : file.tensors()) {
    pieces.emplace_back(reinterpret_cast<const char*>(tensor.data.data()), tensor.data.size());
  }
  return WriteFileAtomically(path, pieces, overwrite);
}

}  // namespace lrb
