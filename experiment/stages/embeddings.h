// The embeddings stage ("embeddings": {"method", "budget", "options"}): the token-embedding tables compressed
// too (KroneckerBERT), by their own method, after the row's linears.
#ifndef LRB_EXPERIMENT_STAGES_EMBEDDINGS_H_
#define LRB_EXPERIMENT_STAGES_EMBEDDINGS_H_

#include <map>
#include <string>

#include "methods/budget.h"

namespace lrb {

struct EmbeddingSpec {
  std::string method;
  Budget budget;
  std::map<std::string, std::string> options;
};

}  // namespace lrb

#endif  // LRB_EXPERIMENT_STAGES_EMBEDDINGS_H_
