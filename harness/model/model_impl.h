// Model's private state, shared by the .cc files of harness/model (it pulls in torch/torch.h).
#ifndef LRB_HARNESS_MODEL_MODEL_IMPL_H_
#define LRB_HARNESS_MODEL_MODEL_IMPL_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "harness/model/linear.h"
#include "harness/model/model.h"
#include "harness/model/transformer.h"

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

#endif  // LRB_HARNESS_MODEL_MODEL_IMPL_H_
