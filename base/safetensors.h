// Reading and writing the safetensors format (Hugging Face checkpoints and lrbench's own outputs).
//
// A file is: an 8-byte little-endian u64 N, N bytes of JSON header
//   {"__metadata__": {str: str}, name: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ..}
// and then the data buffer; offsets are relative to the buffer's first byte. Readers here refuse
// anything the reference implementation would refuse (and say why, naming the file and tensor),
// so that a corrupt or truncated checkpoint fails at load time rather than as wrong numbers later.
#ifndef LRB_BASE_SAFETENSORS_H_
#define LRB_BASE_SAFETENSORS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace lrb {

// The element types lrbench reads and writes. Other safetensors dtypes (F64, I32, U8, F8_*, ...)
// are refused with Unimplemented, naming the dtype.
enum class DType { kF32, kF16, kBF16, kI64 };

// The safetensors spelling: "F32", "F16", "BF16", "I64".
std::string DTypeName(DType dtype);
// Inverse of DTypeName. InvalidArgument for an unknown string, Unimplemented for a valid
// safetensors dtype that lrbench does not support; both name the string.
absl::StatusOr<DType> ParseDType(std::string_view name);
// Bytes per element: 4, 2, 2, 8.
int64_t DTypeSize(DType dtype);

// IEEE binary16 and bfloat16 <-> float32 on bit patterns. Narrowing rounds to nearest, ties to
// even, overflows to infinity, keeps subnormals (F16) and the sign of zero; NaN stays a quiet NaN
// with its sign. Widening is exact.
uint16_t FloatToHalfBits(float value);
float HalfBitsToFloat(uint16_t bits);
uint16_t FloatToBFloat16Bits(float value);
float BFloat16BitsToFloat(uint16_t bits);

// A tensor on the host exactly as stored in a file: row-major (last index fastest) elements as
// little-endian bytes, data.size() == NumElements(shape) * DTypeSize(dtype). An empty shape is a
// scalar (one element); a zero dimension makes the tensor empty.
struct HostTensor {
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;
};

// Product of the dimensions (1 for a scalar). Assumes a valid shape (non-negative, no overflow).
int64_t NumElements(const HostTensor& tensor);

// OK when every dimension is non-negative, the byte size does not overflow and data.size()
// matches shape and dtype; otherwise InvalidArgument saying which.
absl::Status ValidateHostTensor(const HostTensor& tensor);

// A tensor of a floating dtype (F32, F16, BF16) holding `values` (rounded as above for F16/BF16).
// InvalidArgument when dtype is I64, a dimension is negative, or values.size() does not match shape.
absl::StatusOr<HostTensor> HostTensorFromFloats(DType dtype, std::vector<int64_t> shape,
                                                absl::Span<const float> values);
// An I64 tensor holding `values`. InvalidArgument when values.size() does not match shape.
absl::StatusOr<HostTensor> HostTensorFromInt64(std::vector<int64_t> shape, absl::Span<const int64_t> values);

// The elements of a floating tensor as float32 (exact for all three dtypes). InvalidArgument for
// I64 (int64 does not fit float32 losslessly; use HostTensorToInt64) or an invalid tensor.
absl::StatusOr<std::vector<float>> HostTensorToFloats(const HostTensor& tensor);
// The elements of an I64 tensor. InvalidArgument for any other dtype or an invalid tensor.
absl::StatusOr<std::vector<int64_t>> HostTensorToInt64(const HostTensor& tensor);

// The contents of one safetensors file (or of a whole sharded checkpoint): named tensors in
// insertion order plus the free-form "__metadata__" string map.
class SafetensorsFile {
 public:
  SafetensorsFile() = default;
  SafetensorsFile(SafetensorsFile&&) = default;
  SafetensorsFile& operator=(SafetensorsFile&&) = default;
  // Tensors can be gigabytes: copies must be explicit (Clone()).
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;
  SafetensorsFile Clone() const;

  // Appends a tensor. AlreadyExists for a name already present; InvalidArgument for the reserved
  // name "__metadata__" or a tensor that fails ValidateHostTensor (the message names the tensor).
  absl::Status Add(std::string name, HostTensor tensor);

  bool Contains(std::string_view name) const;
  // nullptr when absent.
  const HostTensor* Find(std::string_view name) const;
  HostTensor* FindMutable(std::string_view name);
  // NotFound naming the tensor when absent.
  absl::StatusOr<const HostTensor*> Get(std::string_view name) const;

  // Removes and returns a tensor (NotFound when absent); later tensors keep their order.
  absl::StatusOr<HostTensor> Take(std::string_view name);

  size_t size() const { return tensors_.size(); }
  bool empty() const { return tensors_.empty(); }
  // Names in insertion order.
  std::vector<std::string> Names() const;
  // (name, tensor) pairs in insertion order.
  const std::vector<std::pair<std::string, HostTensor>>& tensors() const { return tensors_; }

  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  std::map<std::string, std::string>& mutable_metadata() { return metadata_; }

 private:
  std::vector<std::pair<std::string, HostTensor>> tensors_;
  std::unordered_map<std::string, size_t> index_;  // name -> position in tensors_
  std::map<std::string, std::string> metadata_;
};

// Parses a whole safetensors file held in memory. `source_name` names it in error messages.
absl::StatusOr<SafetensorsFile> ParseSafetensors(std::string_view bytes, std::string_view source_name);

// Reads one safetensors file. Tensors come in the order of the header's keys. Each tensor is read
// straight into its own buffer, so peak memory is about the checkpoint's size, not twice it.
absl::StatusOr<SafetensorsFile> ReadSafetensors(const std::string& path);

// Reads a sharded checkpoint. `path` is either the index file (model.safetensors.index.json or any
// file of that layout) or a directory holding model.safetensors.index.json. The index's
// "weight_map" maps tensor name -> shard file (relative to the index's directory); every shard is
// read once and tensors come in weight_map order. Fails, naming the tensor and shard, when a shard
// is missing or unreadable, a listed tensor is absent from its shard, or a shard holds a tensor the
// index does not list for it. The shards' "__metadata__" maps are merged (first shard wins).
absl::StatusOr<SafetensorsFile> ReadShardedSafetensors(const std::string& path);

// The checkpoint in directory `dir`: dir/model.safetensors when it exists, else the sharded
// checkpoint described by dir/model.safetensors.index.json; NotFound naming both otherwise.
absl::StatusOr<SafetensorsFile> LoadCheckpoint(const std::string& dir);

// The exact bytes WriteSafetensors writes: the header JSON ("__metadata__" first when non-empty,
// then tensors in insertion order, each {"dtype", "shape", "data_offsets"}; no whitespace) padded
// with spaces to a multiple of 8 bytes, and the tensors' data back to back in insertion order.
absl::StatusOr<std::string> SerializeSafetensors(const SafetensorsFile& file);

// Serializes `file` and writes it with WriteFileAtomically (AlreadyExists when `path` exists and
// overwrite is false).
absl::Status WriteSafetensors(const SafetensorsFile& file, const std::string& path, bool overwrite);

}  // namespace lrb

#endif  // LRB_BASE_SAFETENSORS_H_
