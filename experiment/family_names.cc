#include "experiment/family_names.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace lrb {
namespace {

// A BERT layer's module path below "layer.N." and its DistilBERT counterpart.
constexpr std::pair<const char*, const char*> kDistilLayer[] = {
    {"attention.self.query", "attention.q_lin"}, {"attention.self.key", "attention.k_lin"},
    {"attention.self.value", "attention.v_lin"}, {"attention.output.dense", "attention.out_lin"},
    {"intermediate.dense", "ffn.lin1"},          {"output.dense", "ffn.lin2"},
};

absl::Status NoCounterpart(const std::string& pattern, const char* family) {
  return absl::InvalidArgumentError(
      absl::StrFormat("'%s' has no %s counterpart (see experiment/family_names.h)", pattern, family));
}

absl::StatusOr<std::vector<std::string>> ForDistilBert(const std::string& pattern) {
  if (pattern == "**LayerNorm**") return std::vector<std::string>{pattern, "**layer_norm**"};
  if (!absl::StartsWith(pattern, "bert.")) return std::vector<std::string>{pattern};
  const std::string rest = pattern.substr(5);
  if (rest == "pooler.dense") return std::vector<std::string>{"pre_classifier"};
  if (rest == "pooler.**" || rest == "pooler.dense.**") return std::vector<std::string>{"pre_classifier.**"};
  if (rest == "**") return std::vector<std::string>{"distilbert.**"};
  if (absl::StartsWith(rest, "embeddings.")) return std::vector<std::string>{"distilbert." + rest};
  if (rest == "encoder.**") return std::vector<std::string>{"distilbert.transformer.**"};
  // encoder.layer.<index or *>.<module>[.**]
  if (absl::StartsWith(rest, "encoder.layer.")) {
    const std::string after = rest.substr(14);
    const size_t dot = after.find('.');
    if (dot != std::string::npos) {
      const std::string index = after.substr(0, dot), module = after.substr(dot + 1);
      for (const auto& [bert, distil] : kDistilLayer) {
        for (const std::string suffix : {"", ".**"}) {
          if (module == bert + suffix) {
            return std::vector<std::string>{absl::StrCat("distilbert.transformer.layer.", index, ".", distil, suffix)};
          }
        }
      }
      if (module == "**") return std::vector<std::string>{absl::StrCat("distilbert.transformer.layer.", index, ".**")};
    }
  }
  return NoCounterpart(pattern, "DistilBERT");
}

absl::StatusOr<std::vector<std::string>> ForRoberta(const std::string& pattern) {
  if (!absl::StartsWith(pattern, "bert.")) return std::vector<std::string>{pattern};
  const std::string rest = pattern.substr(5);
  if (rest == "pooler.dense") return std::vector<std::string>{"classifier.dense"};
  if (rest == "pooler.**" || rest == "pooler.dense.**") return std::vector<std::string>{"classifier.dense.**"};
  if (absl::StartsWith(rest, "pooler")) return NoCounterpart(pattern, "RoBERTa");
  return std::vector<std::string>{"roberta." + rest};
}

absl::Status Rename(std::vector<std::string>* patterns, ModelFamily family) {
  std::vector<std::string> renamed;
  for (const std::string& p : *patterns) {
    absl::StatusOr<std::vector<std::string>> r = PatternsForFamily(p, family);
    if (!r.ok()) return r.status();
    renamed.insert(renamed.end(), r->begin(), r->end());
  }
  *patterns = std::move(renamed);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> PatternsForFamily(const std::string& pattern, ModelFamily family) {
  switch (family) {
    case ModelFamily::kDistilBert:
      return ForDistilBert(pattern);
    case ModelFamily::kRoberta:
      return ForRoberta(pattern);
    case ModelFamily::kBert:
    case ModelFamily::kT5:
      break;
  }
  return std::vector<std::string>{pattern};
}

absl::StatusOr<RunSpec> RunForFamily(const RunSpec& run, ModelFamily family) {
  RunSpec out = run;
  if (absl::Status s = Rename(&out.linears, family); !s.ok()) return s;
  const PatternRenamer rename = [family](std::vector<std::string>* patterns) { return Rename(patterns, family); };
  for (StageUse& use : out.stages) {
    if (!use.settings) continue;
    absl::StatusOr<std::shared_ptr<const StageSettings>> renamed = use.stage->ForFamily(use.settings, rename);
    if (!renamed.ok()) return renamed.status();
    use.settings = std::move(*renamed);
  }
  return out;
}

}  // namespace lrb
