#include "runtime/model/row_pruning.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <variant>

#include "absl/strings/str_format.h"
#include "runtime/model/model_impl.h"

namespace lrb {
namespace {

// One low rank + sparse layer under pruning: its S parameter [k, n] and the per-row importance state.
// The score of a row is the mean of its entries' scores, and windowed means and moving averages are
// linear, so keeping them per row equals the authors' per-entry bookkeeping followed by a row mean.
struct Tracked {
  std::string name;
  std::shared_ptr<LinearImpl> linear;
  torch::Tensor s;        // the layer's "sparse_rows" parameter
  torch::Tensor window;   // [k] mean of |S * dL/dS| over the current window's steps (float64)
  torch::Tensor average;  // [k] moving average of finished windows
  int64_t rows_before = 0;
};

class RowPruner {
 public:
  RowPruner(std::vector<Tracked> layers, const RowPruningOptions& options)
      : layers_(std::move(layers)), options_(options) {}

  // Steps per importance window: delta_t, but at most the initial warm-up's step count, so that windows
  // have ended when pruning starts (the authors warm up for 675 steps with windows of 10; short runs would
  // otherwise start pruning with every score still 0 and prune nothing).
  int64_t Window(int64_t total) const {
    return std::max<int64_t>(1, std::min<int64_t>(options_.delta_t, static_cast<int64_t>(options_.initial_warmup * total)));
  }

  // The authors' update_and_pruning, called after the optimizer step of step `step` (0-based).
  absl::Status AfterStep(int64_t step, int64_t total) {
    const int64_t local = step % Window(total);
    for (Tracked& t : layers_) {
      const torch::Tensor grad = t.s.grad();
      const torch::Tensor now = grad.defined() ? (t.s.detach() * grad).abs().mean(1).to(torch::kCPU, torch::kFloat64)
                                               : torch::zeros({t.s.size(0)}, torch::kFloat64);
      if (local == 0) {  // a window ends: fold it into the average, start the next with this step
        t.average = options_.beta * t.average + (1 - options_.beta) * t.window;
        t.window = now;
      } else {
        t.window = (t.window * static_cast<double>(local) + now) / static_cast<double>(local + 1);
      }
    }
    if (!MaskAt(step, total)) return absl::OkStatus();
    Mask(KeptShareAt(step, total, options_));
    ++maskings_;
    return absl::OkStatus();
  }

  bool MaskAt(int64_t step, int64_t total) const {
    const double initial = options_.initial_warmup * total, final = options_.final_warmup * total;
    if (step <= initial) return false;
    if (step > total - final) return true;
    return step % Window(total) == 0;
  }

  // Zeroes the rows whose score is below the score of the entry at rank floor(N (1 - kept)) in increasing
  // order (torch.kthvalue over all entries, a row's entries sharing its score): the global threshold.
  void Mask(double kept) {
    struct Row {
      double score;
      int64_t entries;
    };
    std::vector<Row> rows;
    int64_t total_entries = 0;
    for (const Tracked& t : layers_) {
      const torch::Tensor a = t.average.contiguous();
      const double* p = a.data_ptr<double>();
      for (int64_t r = 0; r < a.size(0); ++r) rows.push_back({p[r], t.s.size(1)});
      total_entries += t.s.numel();
    }
    const int64_t k = static_cast<int64_t>(static_cast<double>(total_entries) * (1 - kept));
    if (k < 1 || rows.empty()) return;
    std::vector<Row> sorted = rows;
    std::sort(sorted.begin(), sorted.end(), [](const Row& a, const Row& b) { return a.score < b.score; });
    double threshold = sorted.back().score;
    int64_t cumulative = 0;
    for (const Row& r : sorted) {
      cumulative += r.entries;
      if (cumulative >= k) {
        threshold = r.score;
        break;
      }
    }
    for (Tracked& t : layers_) {
      const torch::Tensor keep = (t.average >= threshold).to(t.s.device(), t.s.scalar_type()).unsqueeze(1);
      t.s.detach().mul_(keep);
    }
  }

  int maskings() const { return maskings_; }
  std::vector<Tracked>& layers() { return layers_; }

 private:
  std::vector<Tracked> layers_;
  RowPruningOptions options_;
  int maskings_ = 0;
};

}  // namespace

double KeptShareAt(int64_t step, int64_t total, const RowPruningOptions& o) {
  const double initial = o.initial_warmup * total, final = o.final_warmup * total;
  if (step <= initial) return 1.0;
  if (step > total - final) return o.keep;
  const double t = (step - initial) / std::max(1.0, total - initial - final);
  const double rest = 1 - std::min(1.0, t);
  return o.keep + (1 - o.keep) * rest * rest * rest;
}

absl::Status CheckRowPruningOptions(const RowPruningOptions& o) {
  if (!(o.keep >= 0 && o.keep <= 1)) return absl::InvalidArgumentError(absl::StrFormat("pruning keep %g is outside [0, 1]", o.keep));
  if (!(o.beta >= 0 && o.beta < 1)) return absl::InvalidArgumentError(absl::StrFormat("pruning beta %g is outside [0, 1)", o.beta));
  if (o.delta_t < 1) return absl::InvalidArgumentError(absl::StrFormat("pruning delta_t %d is below 1", o.delta_t));
  if (!(o.initial_warmup >= 0 && o.final_warmup >= 0 && o.initial_warmup + o.final_warmup < 1)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "pruning warm-up shares %g and %g must be >= 0 with a sum below 1", o.initial_warmup, o.final_warmup));
  }
  return absl::OkStatus();
}

absl::StatusOr<RowPruningReport> FinetuneWithRowPruning(Model& model, const std::vector<Example>& train,
                                                        const std::vector<Example>& dev, FinetuneRecipe recipe,
                                                        const RowPruningOptions& options,
                                                        const ProgressSink& progress) {
  if (absl::Status s = CheckRowPruningOptions(options); !s.ok()) return s;
  Model::Impl& impl = model.internals();
  std::vector<Tracked> layers;
  for (const auto& [name, linear] : Linears(*impl.module)) {
    if (linear->format() != "low_rank_sparse") continue;
    torch::Tensor* s = linear->named_parameters(/*recurse=*/false).find("sparse_rows");
    if (s == nullptr || s->dim() != 2) continue;
    if (!s->requires_grad()) {
      return absl::InvalidArgumentError(absl::StrFormat("%s: its sparse part does not train (compress with trainable factors)", name));
    }
    Tracked t;
    t.name = name;
    t.linear = linear;
    t.s = *s;
    t.window = torch::zeros({s->size(0)}, torch::kFloat64);
    t.average = torch::zeros({s->size(0)}, torch::kFloat64);
    t.rows_before = s->size(0);
    layers.push_back(std::move(t));
  }
  if (layers.empty()) return absl::InvalidArgumentError("row pruning needs low rank + sparse layers (method losparse)");
  RowPruner pruner(std::move(layers), options);
  // The caller's own hook, if any, runs after the pruning of the same step.
  recipe.after_step = [&pruner, own = recipe.after_step](int64_t step, int64_t total) {
    if (absl::Status s = pruner.AfterStep(step, total); !s.ok()) return s;
    return own ? own(step, total) : absl::OkStatus();
  };
  absl::StatusOr<FinetuneReport> finetune = Finetune(model, train, dev, recipe, progress);
  if (!finetune.ok()) return finetune.status();

  RowPruningReport report;
  report.finetune = std::move(*finetune);
  report.maskings = pruner.maskings();
  for (Tracked& t : pruner.layers()) {
    Factorization f = t.linear->CurrentFactorization();
    auto* ls = std::get_if<LowRankPlusSparse>(&f);
    if (ls == nullptr) return absl::InternalError(t.name + ": no longer low rank + sparse");
    LowRankPlusSparse trimmed;
    trimmed.low_rank = ls->low_rank;
    std::vector<int64_t> kept;
    for (int64_t r = 0; r < static_cast<int64_t>(ls->rows.size()); ++r) {
      if ((ls->sparse_rows.row(r).array() != 0).any()) kept.push_back(r);
    }
    trimmed.sparse_rows.resize(static_cast<Eigen::Index>(kept.size()), ls->sparse_rows.cols());
    for (size_t i = 0; i < kept.size(); ++i) {
      trimmed.rows.push_back(ls->rows[kept[i]]);
      trimmed.sparse_rows.row(static_cast<Eigen::Index>(i)) = ls->sparse_rows.row(kept[i]);
    }
    report.entries_before += t.s.numel();
    report.entries_kept += static_cast<int64_t>(kept.size()) * ls->sparse_rows.cols();
    PrunedLayer layer{t.name, t.rows_before, static_cast<int64_t>(kept.size()), 0, 0};
    Factorization stored = std::move(trimmed);
    layer.params_after = StoredParams(stored);
    layer.bits_after = StoredBits(stored);
    try {
      t.linear->SetFactorization(stored, /*trainable=*/true);
    } catch (const c10::Error& e) {
      return absl::InternalError(absl::StrFormat("%s: %s", t.name, e.what_without_backtrace()));
    }
    report.layers.push_back(std::move(layer));
  }
  impl.module->eval();
  if (progress) {
    progress(absl::StrFormat("pruning: %d maskings; S keeps %d of %d entries (%.1f %%)", report.maskings,
                             report.entries_kept, report.entries_before,
                             100.0 * report.entries_kept / std::max<int64_t>(1, report.entries_before)));
  }
  return report;
}

}  // namespace lrb
