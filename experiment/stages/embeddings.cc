#include "experiment/stages/embeddings.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/stopwatch.h"
#include "experiment/stages/stage.h"
#include "methods/registry.h"

namespace lrb {
namespace {

class EmbeddingsStage : public Stage {
 public:
  std::string_view Key() const override { return "embeddings"; }
  StagePhase Phase() const override { return StagePhase::kCompress; }

  absl::StatusOr<std::shared_ptr<const StageSettings>> Parse(const SpecReader& r, const nlohmann::json& j,
                                                             const std::string& where,
                                                             const RowCore& row) const override {
    LRB_RETURN_IF_ERROR(r.Keys(j, where, {"method", "budget", "options"}));
    EmbeddingSpec e;
    LRB_RETURN_IF_ERROR(r.Get(j, "method", where, &e.method));
    if (e.method.empty() || !j.contains("budget")) return r.Error(where, "needs a method and a budget");
    absl::StatusOr<Budget> budget = r.BudgetOf(j["budget"], where + ".budget");
    if (!budget.ok()) return budget.status();
    e.budget = *budget;
    LRB_RETURN_IF_ERROR(r.StringMap(j, "options", where, &e.options));
    if (row.method.empty()) return r.Error(where, "compresses alongside the row's linears: give the row a method");
    return std::make_shared<SettingsOf<EmbeddingSpec>>(std::move(e));
  }

  absl::Status Validate(const StageSettings* settings, const RowCore&) const override {
    const EmbeddingSpec& e = SettingsAs<EmbeddingSpec>(settings);
    absl::StatusOr<const Method*> m = FindMethod(e.method);
    if (!m.ok()) return absl::InvalidArgumentError(absl::StrCat("embeddings: ", m.status().message()));
    if (absl::Status s = (*m)->CheckSettings(e.budget, MethodOptions(e.options)); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("embeddings: ", s.message()));
    }
    if (!(*m)->Needs().empty()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "embeddings: %s needs statistics, which embedding tables do not collect", e.method));
    }
    return absl::OkStatus();
  }

  nlohmann::json ToJson(const StageSettings& settings) const override {
    const EmbeddingSpec& e = SettingsAs<EmbeddingSpec>(&settings);
    return {{"method", e.method}, {"budget", BudgetToString(e.budget)}, {"options", e.options}};
  }

  // No statistics; the tables train when the row trains after compressing.
  absl::Status Run(const StageSettings* settings, StageContext& c) const override {
    const EmbeddingSpec& e = SettingsAs<EmbeddingSpec>(settings);
    absl::StatusOr<const Method*> method = FindMethod(e.method);
    if (!method.ok()) return method.status();
    const MethodOptions method_options(e.options);
    const LinearCompressor compress = [&](const std::string& name, const Matrix& table) -> absl::StatusOr<Factorization> {
      absl::StatusOr<Compressed> out = (*method)->Compress({&table}, e.budget, method_options);
      if (!out.ok()) return absl::Status(out.status().code(), name + ": " + std::string(out.status().message()));
      return std::move(out->factorization);
    };
    const Stopwatch clock;
    absl::StatusOr<std::vector<LinearReplacement>> replaced =
        c.model->ReplaceEmbeddings("**", compress, /*trainable=*/c.row.refinetune.has_value());
    if (!replaced.ok()) return replaced.status();
    double before = 0, after = 0;
    for (const LinearReplacement& r : *replaced) {
      before += static_cast<double>(r.params_before);
      after += static_cast<double>(r.params_after);
    }
    c.record.method_info["embedding_params_before"] = before;
    c.record.method_info["embedding_params_after"] = after;
    c.record.compression_seconds += clock.Seconds();
    return absl::OkStatus();
  }

  std::string Describe(const StageSettings* settings, const RowCore&, const std::string& text) const override {
    const EmbeddingSpec& e = SettingsAs<EmbeddingSpec>(settings);
    std::string out = absl::StrCat(text, ", embeddings ", e.method, " ", BudgetToString(e.budget));
    for (const auto& [k, v] : e.options) absl::StrAppend(&out, " ", k, "=", v);
    return out;
  }
};

}  // namespace

std::unique_ptr<Stage> MakeEmbeddingsStage() { return std::make_unique<EmbeddingsStage>(); }

}  // namespace lrb
