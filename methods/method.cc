#include "methods/method.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace lrb {

std::string_view StatisticName(Statistic s) {
  switch (s) {
    case Statistic::kFisher:
      return "fisher";
    case Statistic::kInputSecondMoment:
      return "input_second_moment";
  }
  return "?";
}

std::string MethodOptions::Get(const OptionSpec& spec) const {
  auto it = values_.find(spec.name);
  return it == values_.end() ? spec.default_value : it->second;
}

absl::StatusOr<int64_t> MethodOptions::GetInt(const OptionSpec& spec, int64_t at_least) const {
  const std::string text = Get(spec);
  int64_t v = 0;
  if (!absl::SimpleAtoi(text, &v)) {
    return absl::InvalidArgumentError(absl::StrFormat("option --%s=%s is not an integer", spec.name, text));
  }
  if (v < at_least) {
    return absl::InvalidArgumentError(absl::StrFormat("option --%s=%s: expected at least %d", spec.name, text, at_least));
  }
  return v;
}

absl::StatusOr<double> MethodOptions::GetDouble(const OptionSpec& spec, double at_least) const {
  const std::string text = Get(spec);
  double v = 0;
  if (!absl::SimpleAtod(text, &v) || !std::isfinite(v)) {
    return absl::InvalidArgumentError(absl::StrFormat("option --%s=%s is not a finite number", spec.name, text));
  }
  if (v < at_least) {
    return absl::InvalidArgumentError(absl::StrFormat("option --%s=%s: expected at least %g", spec.name, text, at_least));
  }
  return v;
}

absl::StatusOr<std::vector<int64_t>> MethodOptions::GetIntList(const OptionSpec& spec) const {
  const std::string text = Get(spec);
  std::vector<int64_t> out;
  if (text.empty()) return out;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    int64_t v = 0;
    if (!absl::SimpleAtoi(part, &v) || v < 1) {
      return absl::InvalidArgumentError(
          absl::StrFormat("option --%s=%s is not a list of positive integers", spec.name, text));
    }
    out.push_back(v);
  }
  return out;
}

OptionSpec Method::Option(std::string_view name) const {
  for (const OptionSpec& spec : Options()) {
    if (spec.name == name) return spec;
  }
  std::fprintf(stderr, "method %s has no option %s\n", std::string(Id()).c_str(), std::string(name).c_str());
  std::abort();  // a method asked for an option it did not declare: a programming error
}

namespace {

absl::Status CheckStatistic(const Matrix* m, Statistic s, int64_t rows, int64_t cols, std::string_view method) {
  const std::string name(StatisticName(s));
  if (m == nullptr) {
    return absl::InvalidArgumentError(absl::StrFormat("method %s needs the statistic %s", method, name));
  }
  if (m->rows() != rows || m->cols() != cols) {
    return absl::InvalidArgumentError(
        absl::StrFormat("statistic %s is %dx%d, expected %dx%d", name, m->rows(), m->cols(), rows, cols));
  }
  return CheckFinite(*m, name);
}

}  // namespace

absl::Status Method::CheckSettings(const Budget& budget, const MethodOptions& options) const {
  const std::string id(Id());
  const std::vector<Budget::Kind> kinds = Budgets();
  if (std::find(kinds.begin(), kinds.end(), budget.kind) == kinds.end()) {
    std::vector<std::string> names;
    for (Budget::Kind k : kinds) names.push_back("--" + BudgetKindName(k));
    return absl::InvalidArgumentError(absl::StrFormat("method %s takes %s, not --%s", id,
                                                      absl::StrJoin(names, " or "), BudgetKindName(budget.kind)));
  }
  if (!(budget.value > 0) || (budget.kind == Budget::Kind::kParamRatio && budget.value > 1)) {
    return absl::InvalidArgumentError(absl::StrFormat("budget %s is out of range (%s)", BudgetToString(budget),
                                                      budget.kind == Budget::Kind::kParamRatio ? "(0, 1]" : ">= 1"));
  }
  const std::vector<OptionSpec> specs = Options();
  for (const auto& [name, value] : options.values()) {
    const bool known = std::any_of(specs.begin(), specs.end(), [&](const OptionSpec& o) { return o.name == name; });
    if (!known) {
      std::vector<std::string> names;
      for (const OptionSpec& o : specs) names.push_back("--" + o.name);
      return absl::InvalidArgumentError(absl::StrFormat(
          "method %s has no option --%s (its options: %s)", id, name, names.empty() ? "none" : absl::StrJoin(names, ", ")));
    }
  }
  return absl::OkStatus();
}

absl::Status Method::CheckCall(const LayerInputs& inputs, const Budget& budget, const MethodOptions& options) const {
  const std::string id(Id());
  if (inputs.weight == nullptr || inputs.weight->size() == 0) {
    return absl::InvalidArgumentError(absl::StrFormat("method %s got an empty weight", id));
  }
  if (absl::Status s = CheckFinite(*inputs.weight, "weight"); !s.ok()) return s;
  if (absl::Status s = CheckSettings(budget, options); !s.ok()) return s;
  const int64_t m = inputs.weight->rows(), n = inputs.weight->cols();
  for (Statistic s : Needs()) {
    const Matrix* stat = s == Statistic::kFisher ? inputs.fisher : inputs.input_second_moment;
    const int64_t rows = s == Statistic::kFisher ? m : n;
    if (absl::Status st = CheckStatistic(stat, s, rows, n, id); !st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::StatusOr<Compressed> Method::Compress(const LayerInputs& inputs, const Budget& budget,
                                            const MethodOptions& options) const {
  if (absl::Status s = CheckCall(inputs, budget, options); !s.ok()) return s;
  return DoCompress(inputs, budget, options);
}

absl::StatusOr<std::vector<Compressed>> Method::CompressLayers(const std::vector<LayerInputs>& layers,
                                                               const Budget& budget,
                                                               const MethodOptions& options) const {
  if (layers.empty()) return absl::InvalidArgumentError(absl::StrFormat("method %s got no layers", Id()));
  for (size_t i = 0; i < layers.size(); ++i) {
    if (absl::Status s = CheckCall(layers[i], budget, options); !s.ok()) {
      return absl::Status(s.code(), absl::StrFormat("layer %d: %s", i, s.message()));
    }
  }
  return DoCompressLayers(layers, budget, options);
}

absl::StatusOr<std::vector<Compressed>> Method::DoCompressLayers(const std::vector<LayerInputs>& layers,
                                                                 const Budget& budget,
                                                                 const MethodOptions& options) const {
  std::vector<Compressed> out;
  for (size_t i = 0; i < layers.size(); ++i) {
    absl::StatusOr<Compressed> c = DoCompress(layers[i], budget, options);
    if (!c.ok()) return absl::Status(c.status().code(), absl::StrFormat("layer %d: %s", i, c.status().message()));
    out.push_back(*std::move(c));
  }
  return out;
}

}  // namespace lrb
