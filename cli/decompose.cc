// `lrbench decompose`: one weight matrix from a safetensors file through one method, to a safetensors
// file holding the factors and the reconstruction, with one JSON line of results on stdout.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "base/safetensors.h"
#include "methods/factorization.h"
#include "methods/registry.h"

namespace lrb {
namespace {

// A 2-D float tensor of the file as a matrix, with the file and tensor named in every error.
absl::StatusOr<Matrix> MatrixFromFile(const SafetensorsFile& file, const std::string& path, const std::string& name) {
  const HostTensor* t = file.Find(name);
  if (t == nullptr) {
    return absl::NotFoundError(absl::StrFormat("%s has no tensor '%s' (it has: %s)", path, name,
                                               absl::StrJoin(file.Names(), ", ")));
  }
  if (t->shape.size() != 2) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: tensor '%s' has %d dimensions, expected 2", path, name,
                                                      t->shape.size()));
  }
  if (t->dtype == DType::kI64) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: tensor '%s' is I64, expected a float type", path, name));
  }
  absl::StatusOr<std::vector<float>> values = HostTensorToFloats(*t);
  if (!values.ok()) return values.status();
  Matrix m = FromRowMajor(values->data(), t->shape[0], t->shape[1]);
  if (absl::Status s = CheckFinite(m, absl::StrFormat("%s: tensor '%s'", path, name)); !s.ok()) return s;
  return m;
}

}  // namespace

void DeclareBudget(CommandFlags& flags, BudgetFlags* budget) {
  flags.Text("rank", &budget->rank, "The budget as a rank (R >= 1)")->type_name("R");
  flags.Text("param_ratio", &budget->param_ratio, "The budget as a share of the dense parameter count, in (0, 1]")
      ->type_name("P");
  flags.Text("bits", &budget->bits, "The budget in bits per weight (quantizing methods)")->type_name("B");
}

absl::StatusOr<Budget> ParseBudget(const BudgetFlags& flags) {
  const std::optional<std::string>& rank = flags.rank;
  const std::optional<std::string>& ratio = flags.param_ratio;
  const std::optional<std::string>& bits = flags.bits;
  if ((rank ? 1 : 0) + (ratio ? 1 : 0) + (bits ? 1 : 0) != 1) {
    return absl::InvalidArgumentError("give exactly one budget: --rank=R, --param_ratio=P or --bits=B");
  }
  const Budget::Kind kind = rank ? Budget::Kind::kRank : ratio ? Budget::Kind::kParamRatio : Budget::Kind::kBits;
  const std::string& text = rank ? *rank : ratio ? *ratio : *bits;
  absl::StatusOr<Budget> budget = ParseBudget(kind, text);
  if (!budget.ok()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("--%s=%s: %s", BudgetKindName(kind), text, budget.status().message()));
  }
  return budget;
}

namespace {

struct DecomposeArgs {
  std::optional<std::string> method_id, input, output;
  std::string weight_name = "weight";
  bool overwrite = false;
  BudgetFlags budget;
  std::map<std::string, std::string> options;  // the method's
};

absl::Status Decompose(const DecomposeArgs& a) {
  absl::StatusOr<Budget> budget = ParseBudget(a.budget);
  if (!budget.ok()) return budget.status();
  absl::StatusOr<const Method*> method = FindMethod(*a.method_id);
  if (!method.ok()) return method.status();
  // The method refuses unknown options.
  MethodOptions options;
  for (const auto& [name, value] : a.options) options.Set(name, value);

  // Refuse before any work: a result is never silently overwritten, and never written over its input.
  std::error_code ec;
  if (std::filesystem::equivalent(*a.input, *a.output, ec)) {
    return absl::InvalidArgumentError(absl::StrFormat("--output=%s is the input file", *a.output));
  }
  if (!a.overwrite && std::filesystem::exists(*a.output)) {
    return absl::AlreadyExistsError(absl::StrFormat("%s exists; pass --overwrite to replace it", *a.output));
  }

  absl::StatusOr<SafetensorsFile> file = ReadSafetensors(*a.input);
  if (!file.ok()) return file.status();
  absl::StatusOr<Matrix> weight = MatrixFromFile(*file, *a.input, a.weight_name);
  if (!weight.ok()) return weight.status();
  LayerInputs layer{&*weight};
  Matrix fisher, second_moment;
  for (Statistic s : (*method)->Needs()) {
    if (s == Statistic::kFisher) {
      absl::StatusOr<Matrix> f = MatrixFromFile(*file, *a.input, "fisher");
      if (!f.ok()) return f.status();
      fisher = std::move(*f);
      layer.fisher = &fisher;
    } else if (s == Statistic::kInputSecondMoment) {
      // Either the samples themselves ([samples, in], C = X^T X) or C directly.
      const bool has_inputs = file->Contains("inputs");
      absl::StatusOr<Matrix> x = MatrixFromFile(*file, *a.input, has_inputs ? "inputs" : "input_second_moment");
      if (!x.ok()) {
        return has_inputs ? x.status()
                          : absl::NotFoundError(absl::StrFormat(
                                "%s: method %s needs tensor 'inputs' [samples, %d] or 'input_second_moment' "
                                "[%d, %d]",
                                *a.input, *a.method_id, weight->cols(), weight->cols(), weight->cols()));
      }
      if (has_inputs && x->cols() != weight->cols()) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "%s: tensor 'inputs' is [%d, %d]; its rows are samples of the layer input, expected [samples, %d]",
            *a.input, x->rows(), x->cols(), weight->cols()));
      }
      second_moment = has_inputs ? Matrix(x->transpose() * *x) : std::move(*x);
      layer.input_second_moment = &second_moment;
    }
  }

  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<Compressed> result = (*method)->Compress(layer, *budget, options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!result.ok()) return result.status();

  const Matrix w_hat = Reconstruct(result->factorization);
  const double rel_error = RelativeError(*weight, w_hat);
  const int64_t stored_params = StoredParams(result->factorization);
  const int64_t stored_bits = StoredBits(result->factorization);

  SafetensorsFile out;
  for (const NamedArray& a : ExportArrays(result->factorization)) {
    absl::StatusOr<HostTensor> t =
        a.values.empty() && !a.ints.empty() ? HostTensorFromInt64(a.shape, a.ints)
                                            : HostTensorFromFloats(DType::kF32, a.shape, a.values);
    if (!t.ok()) return t.status();
    if (absl::Status s = out.Add(a.name, std::move(*t)); !s.ok()) return s;
  }
  absl::StatusOr<HostTensor> recon = HostTensorFromFloats(DType::kF32, {w_hat.rows(), w_hat.cols()}, RowMajor(w_hat));
  if (!recon.ok()) return recon.status();
  if (absl::Status s = out.Add("reconstruction", std::move(*recon)); !s.ok()) return s;

  nlohmann::json line;
  line["method"] = *a.method_id;
  line["format"] = std::string(FormatName(result->factorization));
  line["budget"] = BudgetToString(*budget);
  line["tensor"] = a.weight_name;
  line["shape"] = {weight->rows(), weight->cols()};
  line["dense_params"] = weight->size();
  line["stored_params"] = stored_params;
  line["stored_bits"] = stored_bits;
  line["param_ratio"] = static_cast<double>(stored_params) / static_cast<double>(weight->size());
  line["rel_error"] = rel_error;
  line["seconds"] = seconds;
  for (const auto& [key, value] : result->info) line["info"][key] = value;

  auto& meta = out.mutable_metadata();
  meta["lrbench.method"] = *a.method_id;
  meta["lrbench.format"] = line["format"];
  meta["lrbench.budget"] = line["budget"];
  meta["lrbench.result"] = line.dump();
  if (absl::Status s = WriteSafetensors(out, *a.output, a.overwrite); !s.ok()) return s;
  std::printf("%s\n", line.dump().c_str());
  return absl::OkStatus();
}

}  // namespace

void AddDecompose(CommandLine& line) {
  CommandFlags& flags = line.Add("decompose", "Compresses one weight matrix with one method", R"(
Compresses one weight (tensor 'weight' by default, [out, in] as in Hugging Face checkpoints) with exactly one
budget. Extra inputs live in the same file: 'fisher' [out, in] (per-weight mean squared gradient) for fwsvd;
'inputs' [samples, in] or 'input_second_moment' [in, in] for drone. The output holds the factors (named by
format) and 'reconstruction' [out, in]; stdout gets one JSON line with method, format, budget, stored_params,
stored_bits, rel_error (relative Frobenius) and seconds. An existing output is never replaced without
--overwrite. Any other --key=value is an option of the method (lrbench --help lists them).)");
  auto a = std::make_shared<DecomposeArgs>();
  flags.Text("method", &a->method_id, "The method (lrbench --help lists them)")->type_name("ID")->required();
  flags.Path("input", &a->input, "The safetensors file holding the weight", "IN.safetensors")->required();
  flags.Path("output", &a->output, "Where the factors and the reconstruction go", "OUT.safetensors")->required();
  flags.Text("tensor", &a->weight_name, "The weight's tensor in the input")->type_name("NAME");
  DeclareBudget(flags, &a->budget);
  flags.Switch("overwrite", &a->overwrite, "Replace an existing output");
  flags.TakeMethodOptions(&a->options);
  flags.Runs([a] { return Decompose(*a); });
}

}  // namespace lrb
