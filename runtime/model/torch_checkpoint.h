// A checkpoint directory's weights, whichever file holds them: model.safetensors (or its sharded index),
// else a pytorch_model.bin read with LibTorch's archive reader. This header hides LibTorch.
#ifndef LRB_RUNTIME_MODEL_TORCH_CHECKPOINT_H_
#define LRB_RUNTIME_MODEL_TORCH_CHECKPOINT_H_

#include <string>

#include "absl/status/statusor.h"
#include "base/safetensors.h"

namespace lrb {

// Reads a state dict saved by torch.save in its zip format (PyTorch >= 1.6, what transformers writes as
// pytorch_model.bin): the archive through LibTorch's own reader (caffe2::serialize::PyTorchStreamReader),
// its data.pkl by a small pickle machine of ours that builds dicts, OrderedDicts (their _metadata dropped) and
// tensors (torch._utils._rebuild_tensor_v2 / _rebuild_parameter over the archive's storages) and refuses
// anything else by name. LibTorch 1.13's torch::jit::pickle_load cannot do this: it unpickles every
// collections.OrderedDict, which a state dict is, as None. Entries come in the file's order, each a float32,
// float16, bfloat16 or int64 tensor; tensors sharing storage (tied weights) come back as separate copies.
// Anything else -- the legacy non-zip torch.save format, a pickle holding other objects, another dtype --
// is InvalidArgument, one line naming the file and how to convert it to model.safetensors.
absl::StatusOr<SafetensorsFile> ReadPytorchModelBin(const std::string& path);

// DIR/model.safetensors or DIR/model.safetensors.index.json (LoadCheckpoint), else DIR/pytorch_model.bin
// (ReadPytorchModelBin). A sharded pytorch_model.bin.index.json is refused naming the file and the
// conversion; no weights at all is NotFound naming the files looked for.
absl::StatusOr<SafetensorsFile> LoadModelCheckpoint(const std::string& dir);

}  // namespace lrb

#endif  // LRB_RUNTIME_MODEL_TORCH_CHECKPOINT_H_
