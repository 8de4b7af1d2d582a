#include "runtime/model/torch_checkpoint.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <vector>

#include <caffe2/serialize/inline_container.h>
#include <torch/torch.h>

#include "absl/strings/str_format.h"

namespace lrb {
namespace {

// What the refusals suggest: re-save the state dict as safetensors with untied copies (save_file refuses
// tensors that share memory).
std::string ConversionHint(const std::string& path) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  return absl::StrFormat(
      "convert it to model.safetensors, e.g. python3 -c \"import torch, safetensors.torch as st; "
      "sd = torch.load('%s', map_location='cpu'); st.save_file({k: v.contiguous().clone() for k, v in sd.items()}, "
      "'%s/model.safetensors', metadata={'format': 'pt'})\"",
      path, dir.empty() ? "." : dir);
}

absl::Status Refuse(const std::string& path, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrFormat("%s: %s; %s", path, why, ConversionHint(path)));
}

// The values a torch.save state dict's pickle builds.
struct PyValue;
using Py = std::shared_ptr<PyValue>;
struct PyValue {
  enum Kind { kNone, kBool, kInt, kFloat, kString, kTuple, kList, kDict, kGlobal, kTensor } kind = kNone;
  int64_t i = 0;
  double f = 0;
  std::string s;                          // string; global "module.name"
  std::vector<Py> items;                  // tuple, list
  std::vector<std::pair<Py, Py>> pairs;   // dict, in insertion order
  torch::Tensor tensor;
};

Py Make(PyValue::Kind kind) {
  auto v = std::make_shared<PyValue>();
  v->kind = kind;
  return v;
}

// A pickle machine for what torch.save writes for a state dict (protocol 2; 3 to 5 opcodes too): dicts and
// OrderedDicts (their _metadata attribute is dropped), tuples, lists, strings, numbers, and tensors rebuilt
// from the archive's storages by torch._utils._rebuild_tensor_v2 or _rebuild_parameter. Anything else
// (another callable, an unknown opcode) is an error naming it: nothing is guessed.
class StateDictUnpickler {
 public:
  StateDictUnpickler(std::string_view data, caffe2::serialize::PyTorchStreamReader& archive)
      : data_(data), archive_(archive) {}

  absl::StatusOr<Py> Run() {
    while (pos_ < data_.size()) {
      const uint8_t op = Byte();
      absl::Status s = Step(op);
      if (!s.ok()) return s;
      if (op == '.') {
        if (stack_.size() != 1) return absl::InvalidArgumentError("malformed pickle (stack at STOP)");
        return stack_.back();
      }
    }
    return absl::InvalidArgumentError("pickle ends without STOP");
  }

 private:
  uint8_t Byte() { return pos_ < data_.size() ? static_cast<uint8_t>(data_[pos_++]) : (truncated_ = true, 0); }
  uint64_t Uint(int bytes) {  // little-endian
    uint64_t v = 0;
    for (int k = 0; k < bytes; ++k) v |= static_cast<uint64_t>(Byte()) << (8 * k);
    return v;
  }
  std::string Bytes(uint64_t n) {
    if (n > data_.size() - pos_) {
      truncated_ = true;
      pos_ = data_.size();
      return "";
    }
    std::string out(data_.substr(pos_, n));
    pos_ += n;
    return out;
  }
  std::string Line() {
    const size_t end = data_.find('\n', pos_);
    if (end == std::string_view::npos) return Bytes(data_.size() - pos_);
    std::string out(data_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return out;
  }
  Py Pop() {
    if (stack_.empty()) return nullptr;
    Py v = stack_.back();
    stack_.pop_back();
    return v;
  }
  // The values pushed since the last MARK (which is removed).
  absl::StatusOr<std::vector<Py>> PopMark() {
    if (marks_.empty() || marks_.back() > stack_.size()) return absl::InvalidArgumentError("malformed pickle (no MARK)");
    std::vector<Py> out(stack_.begin() + marks_.back(), stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return out;
  }
  Py Str(std::string s) {
    Py v = Make(PyValue::kString);
    v->s = std::move(s);
    return v;
  }
  Py Int(int64_t i) {
    Py v = Make(PyValue::kInt);
    v->i = i;
    return v;
  }
  Py Tuple(std::vector<Py> items) {
    Py v = Make(PyValue::kTuple);
    v->items = std::move(items);
    return v;
  }

  absl::Status SetItems(const Py& dict, const std::vector<Py>& kv) {
    if (!dict || dict->kind != PyValue::kDict || kv.size() % 2 != 0) {
      return absl::InvalidArgumentError("malformed pickle (SETITEM outside a dict)");
    }
    for (size_t k = 0; k < kv.size(); k += 2) dict->pairs.push_back({kv[k], kv[k + 1]});
    return absl::OkStatus();
  }

  // BINPERSID ('storage', storage type, key, location, numel): the archive's data/<key> as a flat tensor.
  absl::StatusOr<Py> Storage(const Py& id) {
    if (!id || id->kind != PyValue::kTuple || id->items.size() < 5 || id->items[0]->kind != PyValue::kString ||
        id->items[0]->s != "storage" || id->items[1]->kind != PyValue::kGlobal || id->items[2]->kind != PyValue::kString) {
      return absl::InvalidArgumentError("a persistent id that is not a storage");
    }
    static const std::map<std::string, torch::ScalarType> kTypes = {
        {"torch.FloatStorage", torch::kFloat32}, {"torch.HalfStorage", torch::kFloat16},
        {"torch.BFloat16Storage", torch::kBFloat16}, {"torch.LongStorage", torch::kInt64},
        {"torch.DoubleStorage", torch::kFloat64}, {"torch.IntStorage", torch::kInt32},
        {"torch.ShortStorage", torch::kInt16}, {"torch.CharStorage", torch::kInt8},
        {"torch.ByteStorage", torch::kUInt8}, {"torch.BoolStorage", torch::kBool}};
    auto type = kTypes.find(id->items[1]->s);
    if (type == kTypes.end()) return absl::InvalidArgumentError("storage type " + id->items[1]->s + " is not supported");
    const std::string& key = id->items[2]->s;
    auto cached = storages_.find(key);  // tied weights share one storage
    if (cached != storages_.end()) return cached->second;
    const std::string record = "data/" + key;
    if (!archive_.hasRecord(record)) return absl::InvalidArgumentError("the archive lacks storage " + record);
    auto [ptr, bytes] = archive_.getRecord(record);
    const int64_t element = c10::elementSize(type->second);
    torch::Tensor t = torch::empty({static_cast<int64_t>(bytes) / element}, torch::TensorOptions().dtype(type->second));
    std::memcpy(t.data_ptr(), ptr.get(), static_cast<size_t>(t.numel() * element));
    Py v = Make(PyValue::kTensor);
    v->tensor = t;
    storages_[key] = v;
    return v;
  }

  static absl::StatusOr<std::vector<int64_t>> Ints(const Py& v, const char* what) {
    if (!v || v->kind != PyValue::kTuple) return absl::InvalidArgumentError(std::string("tensor ") + what + " is not a tuple");
    std::vector<int64_t> out;
    for (const Py& x : v->items) {
      if (x->kind != PyValue::kInt) return absl::InvalidArgumentError(std::string("tensor ") + what + " holds a non-integer");
      out.push_back(x->i);
    }
    return out;
  }

  absl::StatusOr<Py> Call(const Py& callable, const Py& args) {
    if (!callable || callable->kind != PyValue::kGlobal || !args || args->kind != PyValue::kTuple) {
      return absl::InvalidArgumentError("malformed pickle (REDUCE)");
    }
    const std::string& f = callable->s;
    const std::vector<Py>& a = args->items;
    if (f == "collections.OrderedDict" && a.empty()) return Make(PyValue::kDict);
    if (f == "torch._utils._rebuild_tensor_v2" && a.size() >= 4 && a[0]->kind == PyValue::kTensor &&
        a[1]->kind == PyValue::kInt) {
      absl::StatusOr<std::vector<int64_t>> size = Ints(a[2], "size"), stride = Ints(a[3], "stride");
      if (!size.ok()) return size.status();
      if (!stride.ok()) return stride.status();
      if (size->size() != stride->size()) return absl::InvalidArgumentError("tensor size and stride differ in length");
      int64_t last = a[1]->i, elements = 1;  // the last element the view reads must lie in the storage
      for (size_t d = 0; d < size->size(); ++d) {
        if ((*size)[d] < 0 || (*stride)[d] < 0) return absl::InvalidArgumentError("a tensor with a negative size or stride");
        elements *= (*size)[d];
        last += ((*size)[d] > 0 ? (*size)[d] - 1 : 0) * (*stride)[d];
      }
      if (a[1]->i < 0 || (elements > 0 && last >= a[0]->tensor.numel())) {
        return absl::InvalidArgumentError("a tensor view reaches past its storage");
      }
      Py v = Make(PyValue::kTensor);
      v->tensor = a[0]->tensor.as_strided(*size, *stride, a[1]->i);
      return v;
    }
    if (f == "torch._utils._rebuild_parameter" && !a.empty() && a[0]->kind == PyValue::kTensor) return a[0];
    return absl::InvalidArgumentError("it calls " + f + ", which a state dict does not need");
  }

  absl::Status Step(uint8_t op) {
    switch (op) {
      case 0x80: Byte(); break;                  // PROTO
      case 0x95: Uint(8); break;                 // FRAME (protocol 4): framing only
      case '(': marks_.push_back(stack_.size()); break;
      case 'N': stack_.push_back(Make(PyValue::kNone)); break;
      case 0x88: case 0x89: {                    // NEWTRUE, NEWFALSE
        Py v = Make(PyValue::kBool);
        v->i = op == 0x88;
        stack_.push_back(v);
        break;
      }
      case 'K': stack_.push_back(Int(Byte())); break;
      case 'M': stack_.push_back(Int(Uint(2))); break;
      case 'J': stack_.push_back(Int(static_cast<int32_t>(Uint(4)))); break;
      case 0x8a: {                               // LONG1: little-endian two's complement
        const int n = Byte();
        if (n > 8) return absl::InvalidArgumentError("an integer wider than 64 bits");
        uint64_t v = Uint(n);
        if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);
        stack_.push_back(Int(static_cast<int64_t>(v)));
        break;
      }
      case 'G': {                                // BINFLOAT, big-endian
        uint64_t bits = 0;
        for (int k = 0; k < 8; ++k) bits = (bits << 8) | Byte();
        Py v = Make(PyValue::kFloat);
        std::memcpy(&v->f, &bits, 8);
        stack_.push_back(v);
        break;
      }
      case 'X': stack_.push_back(Str(Bytes(Uint(4)))); break;
      case 0x8c: stack_.push_back(Str(Bytes(Byte()))); break;  // SHORT_BINUNICODE
      case 0x8d: stack_.push_back(Str(Bytes(Uint(8)))); break;  // BINUNICODE8
      case 'U': stack_.push_back(Str(Bytes(Byte()))); break;    // SHORT_BINSTRING
      case 'T': stack_.push_back(Str(Bytes(Uint(4)))); break;   // BINSTRING
      case 'c': {                                // GLOBAL "module\nname\n"
        Py v = Make(PyValue::kGlobal);
        const std::string module = Line();
        v->s = module + "." + Line();
        stack_.push_back(v);
        break;
      }
      case 0x93: {                               // STACK_GLOBAL
        Py name = Pop(), module = Pop();
        if (!name || !module || name->kind != PyValue::kString || module->kind != PyValue::kString) {
          return absl::InvalidArgumentError("malformed pickle (STACK_GLOBAL)");
        }
        Py v = Make(PyValue::kGlobal);
        v->s = module->s + "." + name->s;
        stack_.push_back(v);
        break;
      }
      case 'q': case 'r': case 0x94: {           // BINPUT, LONG_BINPUT, MEMOIZE
        const uint64_t key = op == 'q' ? Byte() : op == 'r' ? Uint(4) : memo_.size();
        if (stack_.empty()) return absl::InvalidArgumentError("malformed pickle (PUT on an empty stack)");
        memo_[key] = stack_.back();
        break;
      }
      case 'h': case 'j': {                      // BINGET, LONG_BINGET
        auto it = memo_.find(op == 'h' ? Byte() : Uint(4));
        if (it == memo_.end()) return absl::InvalidArgumentError("malformed pickle (GET of an unset memo)");
        stack_.push_back(it->second);
        break;
      }
      case ')': stack_.push_back(Tuple({})); break;
      case 0x85: case 0x86: case 0x87: {         // TUPLE1..3
        const size_t n = op - 0x84;
        if (stack_.size() < n) return absl::InvalidArgumentError("malformed pickle (TUPLE)");
        std::vector<Py> items(stack_.end() - n, stack_.end());
        stack_.resize(stack_.size() - n);
        stack_.push_back(Tuple(std::move(items)));
        break;
      }
      case 't': {
        absl::StatusOr<std::vector<Py>> items = PopMark();
        if (!items.ok()) return items.status();
        stack_.push_back(Tuple(std::move(*items)));
        break;
      }
      case '}': stack_.push_back(Make(PyValue::kDict)); break;
      case ']': stack_.push_back(Make(PyValue::kList)); break;
      case 's': {
        Py value = Pop(), key = Pop();
        if (!value || !key || stack_.empty()) return absl::InvalidArgumentError("malformed pickle (SETITEM)");
        return SetItems(stack_.back(), {key, value});
      }
      case 'u': {
        absl::StatusOr<std::vector<Py>> kv = PopMark();
        if (!kv.ok()) return kv.status();
        if (stack_.empty()) return absl::InvalidArgumentError("malformed pickle (SETITEMS)");
        return SetItems(stack_.back(), *kv);
      }
      case 'a': case 'e': {                      // APPEND, APPENDS
        std::vector<Py> items;
        if (op == 'a') {
          items.push_back(Pop());
        } else {
          absl::StatusOr<std::vector<Py>> marked = PopMark();
          if (!marked.ok()) return marked.status();
          items = std::move(*marked);
        }
        if (stack_.empty() || stack_.back()->kind != PyValue::kList) {
          return absl::InvalidArgumentError("malformed pickle (APPEND outside a list)");
        }
        stack_.back()->items.insert(stack_.back()->items.end(), items.begin(), items.end());
        break;
      }
      case 'R': {
        Py args = Pop(), callable = Pop();
        absl::StatusOr<Py> v = Call(callable, args);
        if (!v.ok()) return v.status();
        stack_.push_back(*v);
        break;
      }
      case 'b': {                                // BUILD: only an OrderedDict's attributes (state_dict's _metadata)
        Py state = Pop();
        if (!state || stack_.empty() || stack_.back()->kind != PyValue::kDict) {
          return absl::InvalidArgumentError("it sets the state of an object other than a dict");
        }
        break;
      }
      case 'Q': {                                // BINPERSID
        absl::StatusOr<Py> v = Storage(Pop());
        if (!v.ok()) return v.status();
        stack_.push_back(*v);
        break;
      }
      case '.': break;
      default:
        return absl::InvalidArgumentError(absl::StrFormat("pickle opcode 0x%02x is not one a state dict uses", op));
    }
    if (truncated_) return absl::InvalidArgumentError("the pickle is truncated");
    return absl::OkStatus();
  }

  std::string_view data_;
  caffe2::serialize::PyTorchStreamReader& archive_;
  size_t pos_ = 0;
  bool truncated_ = false;
  std::vector<Py> stack_;
  std::vector<size_t> marks_;
  std::map<uint64_t, Py> memo_;
  std::map<std::string, Py> storages_;
};

}  // namespace

absl::StatusOr<SafetensorsFile> ReadPytorchModelBin(const std::string& path) {
  char magic[4] = {0, 0, 0, 0};
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrFormat("cannot open %s", path));
    in.read(magic, 4);
  }
  if (std::memcmp(magic, "PK\x03\x04", 4) != 0) {
    return Refuse(path, "not torch.save's zip format (a legacy torch.save file, which LibTorch cannot read)");
  }
  Py root;
  try {
    caffe2::serialize::PyTorchStreamReader archive(path);  // LibTorch's reader of torch.save archives
    if (!archive.hasRecord("data.pkl")) return Refuse(path, "the archive has no data.pkl");
    auto [ptr, bytes] = archive.getRecord("data.pkl");
    StateDictUnpickler unpickler(std::string_view(static_cast<const char*>(ptr.get()), bytes), archive);
    absl::StatusOr<Py> value = unpickler.Run();
    if (!value.ok()) return Refuse(path, std::string(value.status().message()));
    root = *value;
  } catch (const c10::Error& e) {
    return Refuse(path, absl::StrFormat("LibTorch cannot read it (%s)", e.what_without_backtrace()));
  }
  if (root->kind != PyValue::kDict) return Refuse(path, "it holds no state dict");
  SafetensorsFile out;
  for (const auto& [key, value] : root->pairs) {
    if (key->kind != PyValue::kString) return Refuse(path, "a state-dict key is not a string");
    const std::string& name = key->s;
    if (value->kind != PyValue::kTensor) return Refuse(path, absl::StrFormat("entry '%s' is not a tensor", name));
    const torch::Tensor t = value->tensor.contiguous();
    HostTensor h;
    switch (t.scalar_type()) {
      case torch::kFloat32: h.dtype = DType::kF32; break;
      case torch::kFloat16: h.dtype = DType::kF16; break;
      case torch::kBFloat16: h.dtype = DType::kBF16; break;
      case torch::kInt64: h.dtype = DType::kI64; break;
      default:
        return Refuse(path, absl::StrFormat("tensor '%s' has dtype %s (float32, float16, bfloat16 or int64 expected)",
                                            name, c10::toString(t.scalar_type())));
    }
    h.shape = t.sizes().vec();
    const auto* data = static_cast<const uint8_t*>(t.data_ptr());
    h.data.assign(data, data + t.numel() * t.element_size());  // little-endian, as safetensors stores it
    if (absl::Status s = out.Add(name, std::move(h)); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrFormat("%s: %s", path, s.message()));
    }
  }
  return out;
}

absl::StatusOr<SafetensorsFile> LoadModelCheckpoint(const std::string& dir) {
  namespace fs = std::filesystem;
  if (fs::exists(dir + "/model.safetensors") || fs::exists(dir + "/model.safetensors.index.json")) {
    return LoadCheckpoint(dir);
  }
  if (fs::exists(dir + "/pytorch_model.bin")) return ReadPytorchModelBin(dir + "/pytorch_model.bin");
  if (fs::exists(dir + "/pytorch_model.bin.index.json")) {
    const std::string index = dir + "/pytorch_model.bin.index.json";
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: sharded pytorch_model.bin checkpoints are not read; convert them to model.safetensors, e.g. "
        "python3 -c \"from transformers import AutoModel; AutoModel.from_pretrained('%s').save_pretrained('%s')\" "
        "(use the AutoModelFor... class of the checkpoint's head to keep it)",
        index, dir, dir));
  }
  return absl::NotFoundError(absl::StrFormat(
      "%s: no checkpoint (none of model.safetensors, model.safetensors.index.json, pytorch_model.bin exists)", dir));
}

}  // namespace lrb
