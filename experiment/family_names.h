// The table specs name modules as the BERT checkpoints do ("bert.encoder.layer.*.attention.self.query",
// "bert.pooler.**"); a run on another encoder family (reproduce --model=DIR with a RoBERTa or DistilBERT
// checkpoint) compresses and trains the same layers under that family's names. This is the one place that
// knows the correspondence.
//
//   BERT                                          RoBERTa                         DistilBERT
//   bert.embeddings / bert.encoder                roberta.embeddings / .encoder   distilbert.embeddings / .transformer
//   ...layer.N.attention.self.{query,key,value}   (same below roberta.)           ...layer.N.attention.{q,k,v}_lin
//   ...layer.N.attention.output.dense                                             ...layer.N.attention.out_lin
//   ...layer.N.intermediate.dense                                                 ...layer.N.ffn.lin1
//   ...layer.N.output.dense                                                       ...layer.N.ffn.lin2
//   ...LayerNorm (every layer norm)               ...LayerNorm                    ...LayerNorm, sa_layer_norm, output_layer_norm
//   bert.pooler.dense (tanh on [CLS])             classifier.dense (tanh on <s>)  pre_classifier (ReLU on [CLS])
//
// The pooler rows are the dense layer each family's classification head applies to the first token before
// its output projection: the same place in the network, not the same activation. A BERT name with no
// counterpart is refused, naming it; names outside the "bert." tree (classifier.**, **.bias, T5 names) are
// kept as they are.
#ifndef LRB_EXPERIMENT_FAMILY_NAMES_H_
#define LRB_EXPERIMENT_FAMILY_NAMES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/model/config.h"
#include "experiment/spec.h"

namespace lrb {

// The patterns (Model::LinearNames / SetTrainable syntax) that name in a `family` model what the BERT-named
// `pattern` names in a BERT model: one pattern, or several where one BERT name covers modules of different
// names ("**LayerNorm**" in DistilBERT). BERT and T5: `pattern` itself.
absl::StatusOr<std::vector<std::string>> PatternsForFamily(const std::string& pattern, ModelFamily family);

// `run` with its module patterns (linears, and those of its stages: adapters' linears, trainable parameters)
// renamed for `family`.
// The run's id and record keep the spec's BERT names (RunSpecJson of the original run).
absl::StatusOr<RunSpec> RunForFamily(const RunSpec& run, ModelFamily family);

}  // namespace lrb

#endif  // LRB_EXPERIMENT_FAMILY_NAMES_H_
