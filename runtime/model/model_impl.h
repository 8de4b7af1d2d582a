// Model's private state, shared by the .cc files of runtime/model (it pulls in torch/torch.h).
#ifndef LRB_RUNTIME_MODEL_MODEL_IMPL_H_
#define LRB_RUNTIME_MODEL_MODEL_IMPL_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/model/linear.h"
#include "runtime/model/model.h"
#include "runtime/model/transformer.h"

namespace lrb {

struct Model::Impl {
  ModelConfig config;
  LoadReport report;
  std::shared_ptr<LanguageModelImpl> module;
  torch::Device device{torch::kCPU};
};

// Every linear layer of the module with its name, in model order (what Model::LinearNames matches).
std::vector<std::pair<std::string, std::shared_ptr<LinearImpl>>> Linears(LanguageModelImpl& module);

}  // namespace lrb

#endif  // LRB_RUNTIME_MODEL_MODEL_IMPL_H_
