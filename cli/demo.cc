// `lrbench demo`: every registered method on synthetic BERT-base-shaped layers, as a table.
// The layers have the slowly decaying spectrum of trained transformer weights (s_i ~ i^-0.5), a
// Fisher with uneven input-feature importance, and inputs with an anisotropic second moment.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "methods/linalg/svd.h"
#include "methods/registry.h"

namespace lrb {
namespace {

struct SyntheticLayer {
  Matrix weight, fisher, second_moment;
};

SyntheticLayer MakeLayer(int64_t out, int64_t in, uint64_t seed) {
  const int64_t k = std::min(out, in);
  Vector s(k);
  for (int64_t i = 0; i < k; ++i) s[i] = static_cast<float>(std::pow(i + 1.0, -0.5));
  SyntheticLayer l;
  const Matrix u = ExactSvd(GaussianMatrix(out, k, seed))->u, v = ExactSvd(GaussianMatrix(in, k, seed + 1))->u;
  l.weight = 0.05f * (u * s.asDiagonal() * v.transpose());
  Vector importance(in);
  for (int64_t j = 0; j < in; ++j) importance[j] = 1.0f + 9.0f * static_cast<float>((j * 7919) % 97) / 96.0f;
  l.fisher = GaussianMatrix(out, in, seed + 2).cwiseAbs2() * importance.asDiagonal();
  Vector scale(in);
  for (int64_t j = 0; j < in; ++j) scale[j] = std::pow(0.999f, static_cast<float>(j));
  const Matrix x = GaussianMatrix(in + 256, in, seed + 3) * scale.asDiagonal() *
                   ExactSvd(GaussianMatrix(in, in, seed + 4))->u.transpose();
  l.second_moment = x.transpose() * x;
  return l;
}

struct DemoArgs {
  std::string shapes = "768x768,768x3072,3072x768", param_ratio = "0.25";
  int bits = 4;
};

absl::Status Demo(const DemoArgs& a) {
  const std::string& shapes_text = a.shapes;
  const std::string& ratio_text = a.param_ratio;
  const int bits = a.bits;
  absl::StatusOr<Budget> ratio_budget = ParseBudget(Budget::Kind::kParamRatio, ratio_text);
  if (!ratio_budget.ok()) {
    return absl::InvalidArgumentError("--param_ratio=" + ratio_text + ": " + std::string(ratio_budget.status().message()));
  }
  const double ratio = ratio_budget->value;
  std::vector<std::pair<int64_t, int64_t>> shapes;
  for (absl::string_view s : absl::StrSplit(shapes_text, ',')) {
    std::vector<std::string> parts = absl::StrSplit(s, 'x');
    int64_t out = 0, in = 0;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &out) || !absl::SimpleAtoi(parts[1], &in) || out < 1 ||
        in < 1) {
      return absl::InvalidArgumentError("--shapes: '" + std::string(s) + "' is not OUTxIN");
    }
    shapes.push_back({out, in});
  }

  // Settings a method refuses are refused here, before any layer is built.
  for (const Method* m : AllMethods()) {
    const bool quantizes = m->Budgets()[0] == Budget::Kind::kBits;
    if (absl::Status st = m->CheckSettings(quantizes ? Budget::Bits(bits) : Budget::ParamRatio(ratio), MethodOptions());
        !st.ok()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: %s", quantizes ? absl::StrCat("--bits=", bits) : "--param_ratio=" + ratio_text, st.message()));
    }
  }
  std::printf("| method | shape | budget | stored params | of dense | bits/weight | rel. error | seconds |\n");
  std::printf("|---|---|---|---:|---:|---:|---:|---:|\n");
  for (auto [out, in] : shapes) {
    const SyntheticLayer layer = MakeLayer(out, in, 1);
    const LayerInputs inputs{&layer.weight, &layer.fisher, &layer.second_moment};
    for (const Method* m : AllMethods()) {
      const Budget budget = m->Budgets()[0] == Budget::Kind::kBits ? Budget::Bits(bits) : Budget::ParamRatio(ratio);
      const auto start = std::chrono::steady_clock::now();
      absl::StatusOr<Compressed> r = m->Compress(inputs, budget, MethodOptions());
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const std::string shape = absl::StrFormat("%dx%d", out, in);
      if (!r.ok()) {
        std::printf("| %s | %s | %s | failed: %s |||||\n", std::string(m->DisplayName()).c_str(), shape.c_str(),
                    BudgetToString(budget).c_str(), std::string(r.status().message()).c_str());
        continue;
      }
      const double dense = static_cast<double>(out * in);
      const double err = (layer.weight - Reconstruct(r->factorization)).norm() / layer.weight.norm();
      std::printf("| %s | %s | %s | %ld | %.3f | %.2f | %.4f | %.2f |\n", std::string(m->DisplayName()).c_str(),
                  shape.c_str(), BudgetToString(budget).c_str(), StoredParams(r->factorization),
                  StoredParams(r->factorization) / dense, StoredBits(r->factorization) / dense, err, seconds);
      std::fflush(stdout);
    }
  }
  return absl::OkStatus();
}

}  // namespace

void AddDemo(CommandLine& line) {
  CommandFlags& flags =
      line.Add("demo", "Compresses synthetic BERT-base-shaped layers with every method and prints a table", "");
  auto a = std::make_shared<DemoArgs>();
  flags.Text("shapes", &a->shapes, "The layers, comma-separated")->type_name("OUTxIN,...");
  flags.Text("param_ratio", &a->param_ratio, "The budget of the factorizing methods, in (0, 1]")->type_name("P");
  flags.Number("bits", &a->bits, "The budget of the quantizing methods, in bits per weight");
  flags.Runs([a] { return Demo(*a); });
}

}  // namespace lrb
