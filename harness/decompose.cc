// `lrbench decompose`: one weight matrix from a safetensors file through one method, to a safetensors
// file holding the factors and the reconstruction, with one JSON line of results on stdout.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "harness/commands.h"
#include "harness/flags.h"
#include "harness/io/safetensors.h"
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

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "lrbench decompose: %s\n", std::string(status.message()).c_str());
  return 1;
}

}  // namespace

absl::StatusOr<Budget> TakeBudget(Flags& flags) {
  std::optional<std::string> rank = flags.Take("rank"), ratio = flags.Take("param_ratio"), bits = flags.Take("bits");
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

int RunDecompose(int argc, char** argv) {
  absl::StatusOr<Flags> parsed = Flags::Parse(argc, argv, 2);
  if (!parsed.ok()) return Fail(parsed.status());
  Flags& flags = *parsed;
  if (PrintUsageIfAsked(flags)) return 0;
  std::optional<std::string> method_id = flags.Take("method"), input = flags.Take("input"),
                             output = flags.Take("output"), tensor = flags.Take("tensor");
  if (!method_id || !input || !output) {
    std::fprintf(stderr, "lrbench decompose: --method, --input and --output are required (see lrbench --help)\n");
    return 2;
  }
  input = UserPath(*input);
  output = UserPath(*output);
  const std::string weight_name = tensor.value_or("weight");
  absl::StatusOr<bool> overwrite = flags.TakeBool("overwrite");
  if (!overwrite.ok()) return Fail(overwrite.status());
  absl::StatusOr<Budget> budget = TakeBudget(flags);
  if (!budget.ok()) return Fail(budget.status());
  absl::StatusOr<const Method*> method = FindMethod(*method_id);
  if (!method.ok()) return Fail(method.status());
  // What is left are the method's options; the method refuses unknown ones.
  MethodOptions options;
  for (const auto& [name, value] : flags.rest()) options.Set(name, value);

  // Refuse before any work: a result is never silently overwritten, and never written over its input.
  std::error_code ec;
  if (std::filesystem::equivalent(*input, *output, ec)) {
    return Fail(absl::InvalidArgumentError(absl::StrFormat("--output=%s is the input file", *output)));
  }
  if (!*overwrite && std::filesystem::exists(*output)) {
    return Fail(absl::AlreadyExistsError(
        absl::StrFormat("%s exists; pass --overwrite to replace it", *output)));
  }

  absl::StatusOr<SafetensorsFile> file = ReadSafetensors(*input);
  if (!file.ok()) return Fail(file.status());
  absl::StatusOr<Matrix> weight = MatrixFromFile(*file, *input, weight_name);
  if (!weight.ok()) return Fail(weight.status());
  LayerInputs layer{&*weight};
  Matrix fisher, second_moment;
  for (Statistic s : (*method)->Needs()) {
    if (s == Statistic::kFisher) {
      absl::StatusOr<Matrix> f = MatrixFromFile(*file, *input, "fisher");
      if (!f.ok()) return Fail(f.status());
      fisher = std::move(*f);
      layer.fisher = &fisher;
    } else if (s == Statistic::kInputSecondMoment) {
      // Either the samples themselves ([samples, in], C = X^T X) or C directly.
      const bool has_inputs = file->Contains("inputs");
      absl::StatusOr<Matrix> x = MatrixFromFile(*file, *input, has_inputs ? "inputs" : "input_second_moment");
      if (!x.ok()) {
        return Fail(has_inputs ? x.status()
                               : absl::NotFoundError(absl::StrFormat(
                                     "%s: method %s needs tensor 'inputs' [samples, %d] or 'input_second_moment' "
                                     "[%d, %d]",
                                     *input, *method_id, weight->cols(), weight->cols(), weight->cols())));
      }
      if (has_inputs && x->cols() != weight->cols()) {
        return Fail(absl::InvalidArgumentError(absl::StrFormat(
            "%s: tensor 'inputs' is [%d, %d]; its rows are samples of the layer input, expected [samples, %d]",
            *input, x->rows(), x->cols(), weight->cols())));
      }
      second_moment = has_inputs ? Matrix(x->transpose() * *x) : std::move(*x);
      layer.input_second_moment = &second_moment;
    }
  }

  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<Compressed> result = (*method)->Compress(layer, *budget, options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!result.ok()) return Fail(result.status());

  const Matrix w_hat = Reconstruct(result->factorization);
  const double rel_error = (*weight - w_hat).norm() / std::max(weight->norm(), 1e-30f);
  const int64_t stored_params = StoredParams(result->factorization);
  const int64_t stored_bits = StoredBits(result->factorization);

  SafetensorsFile out;
  for (const NamedArray& a : ExportArrays(result->factorization)) {
    absl::StatusOr<HostTensor> t =
        a.values.empty() && !a.ints.empty() ? HostTensorFromInt64(a.shape, a.ints)
                                            : HostTensorFromFloats(DType::kF32, a.shape, a.values);
    if (!t.ok()) return Fail(t.status());
    if (absl::Status s = out.Add(a.name, std::move(*t)); !s.ok()) return Fail(s);
  }
  absl::StatusOr<HostTensor> recon = HostTensorFromFloats(DType::kF32, {w_hat.rows(), w_hat.cols()}, RowMajor(w_hat));
  if (!recon.ok()) return Fail(recon.status());
  if (absl::Status s = out.Add("reconstruction", std::move(*recon)); !s.ok()) return Fail(s);

  nlohmann::json line;
  line["method"] = *method_id;
  line["format"] = std::string(FormatName(result->factorization));
  line["budget"] = BudgetToString(*budget);
  line["tensor"] = weight_name;
  line["shape"] = {weight->rows(), weight->cols()};
  line["dense_params"] = weight->size();
  line["stored_params"] = stored_params;
  line["stored_bits"] = stored_bits;
  line["param_ratio"] = static_cast<double>(stored_params) / static_cast<double>(weight->size());
  line["rel_error"] = rel_error;
  line["seconds"] = seconds;
  for (const auto& [key, value] : result->info) line["info"][key] = value;

  auto& meta = out.mutable_metadata();
  meta["lrbench.method"] = *method_id;
  meta["lrbench.format"] = line["format"];
  meta["lrbench.budget"] = line["budget"];
  meta["lrbench.result"] = line.dump();
  if (absl::Status s = WriteSafetensors(out, *output, *overwrite); !s.ok()) return Fail(s);
  std::printf("%s\n", line.dump().c_str());
  return 0;
}

}  // namespace lrb
