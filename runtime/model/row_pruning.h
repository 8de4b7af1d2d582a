// LoSparse's pruning during fine-tuning (Li et al., ICML 2023, Sec. 3.2 and the authors' `Pruner` in
// yxli2123/LoSparse): the sparse part S of every low rank + sparse layer loses whole rows (output
// neurons) while the model fine-tunes, by an importance score with one global threshold and a cubic
// schedule of the kept share. Hides LibTorch like model.h.
#ifndef LRB_RUNTIME_MODEL_ROW_PRUNING_H_
#define LRB_RUNTIME_MODEL_ROW_PRUNING_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/model/model.h"
#include "runtime/model/training.h"
#include "tasks/encode.h"  // Example

namespace lrb {

// Defaults are the authors' (run_glue.py defaults; warm-up shares from their MNLI script, train_glue.sh:
// 675 of 12,272 steps before pruning starts and 5 x 675 at the final share; beta2 = 1, i.e. no
// uncertainty term).
struct RowPruningOptions {
  double keep = 0.15;             // final share of the sparse parts' entries kept, over all layers together
  double beta = 0.85;             // moving average of the importance (beta1)
  int64_t delta_t = 10;           // steps per importance window, and between maskings in the cubic phase
                                  // (at most the initial warm-up's step count, so that a window has ended
                                  // when pruning starts)
  double initial_warmup = 0.055;  // share of the steps before pruning starts (kept share 1)
  double final_warmup = 0.275;    // share of the steps at the final kept share (masked at every step)
};

// The kept share after `step` of `total` steps (0-based): 1 during the initial warm-up, `keep` in the
// final phase, and between them keep + (1 - keep) (1 - t)^3 with t the progress through the middle phase.
double KeptShareAt(int64_t step, int64_t total, const RowPruningOptions& options);

struct PrunedLayer {
  std::string name;
  int64_t rows_before = 0, rows_kept = 0;         // rows of S at the start and at the end
  int64_t params_after = 0, bits_after = 0;       // the trimmed factorization's StoredParams / StoredBits
};

struct RowPruningReport {
  FinetuneReport finetune;
  std::vector<PrunedLayer> layers;
  int64_t entries_before = 0, entries_kept = 0;  // entries of S over all layers
  int maskings = 0;
};

// Checks the options: keep in [0, 1], beta in [0, 1), delta_t >= 1, warm-up shares >= 0 with a sum < 1.
absl::Status CheckRowPruningOptions(const RowPruningOptions& options);

// Fine-tunes the whole model (Finetune with `recipe`) while pruning the rows of S in every
// low_rank_sparse layer (compressed with trainable factors, usually with every row kept: the losparse
// method's keep_all_rows). The importance of an entry is |S * dL/dS| averaged over a window of delta_t
// steps, then a moving average (beta) over windows; a row's score is the mean over its entries; rows
// whose score falls below the global threshold that keeps `KeptShareAt` of all entries are zeroed
// (after the optimizer step). At the end each layer stores only its non-zero rows. InvalidArgument when
// no layer is low rank + sparse or the options are out of range. A recipe's own after_step runs after the
// pruning of each step.
absl::StatusOr<RowPruningReport> FinetuneWithRowPruning(Model& model, const std::vector<Example>& train,
                                                        const std::vector<Example>& dev, FinetuneRecipe recipe,
                                                        const RowPruningOptions& options,
                                                        const ProgressSink& progress);

}  // namespace lrb

#endif  // LRB_RUNTIME_MODEL_ROW_PRUNING_H_
