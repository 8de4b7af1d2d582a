// The interface every compression method implements, and the checks every call goes through.
// A method is math on matrices: nothing here knows about models, tasks or LibTorch.
#ifndef LRB_METHODS_METHOD_H_
#define LRB_METHODS_METHOD_H_

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "methods/budget.h"
#include "methods/factorization.h"

namespace lrb {

// Statistics a method needs besides the weight, collected by the harness in one pass over data.
enum class Statistic {
  kFisher,             // per-weight mean squared gradient, [out, in] (FWSVD)
  kInputSecondMoment,  // X^T X over the layer's inputs, [in, in] (DRONE)
};
std::string_view StatisticName(Statistic s);  // "fisher", "input_second_moment"

// One weight and whatever statistics were collected for it.
struct LayerInputs {
  const Matrix* weight = nullptr;               // [out, in]
  const Matrix* fisher = nullptr;               // [out, in]
  const Matrix* input_second_moment = nullptr;  // [in, in]
};

struct OptionSpec {
  std::string name;
  std::string default_value;  // "" means "chosen from the budget" where the help says so
  std::string help;
};

// Method options given as strings (from the command line or a spec), read with typed getters that
// fall back to the declared default and name the option in every error.
class MethodOptions {
 public:
  MethodOptions() = default;
  MethodOptions(std::initializer_list<std::pair<const std::string, std::string>> values) : values_(values) {}
  explicit MethodOptions(std::map<std::string, std::string> values) : values_(std::move(values)) {}

  const std::map<std::string, std::string>& values() const { return values_; }
  void Set(const std::string& name, const std::string& value) { values_[name] = value; }

  // The raw value, or the spec's default when unset.
  std::string Get(const OptionSpec& spec) const;
  // Typed values; a value below `at_least` (or, for doubles, NaN or infinite) is an error naming the option.
  absl::StatusOr<int64_t> GetInt(const OptionSpec& spec,
                                 int64_t at_least = std::numeric_limits<int64_t>::min()) const;
  absl::StatusOr<double> GetDouble(const OptionSpec& spec,
                                   double at_least = std::numeric_limits<double>::lowest()) const;
  // Comma-separated integers ("8,8,12"); empty when unset with an empty default.
  absl::StatusOr<std::vector<int64_t>> GetIntList(const OptionSpec& spec) const;

 private:
  std::map<std::string, std::string> values_;
};

// What a compression produced: the stored form plus facts worth reporting (rank, iterations, ...).
struct Compressed {
  Factorization factorization;
  std::vector<std::pair<std::string, double>> info;
  // From CompressLayers: this Tucker factorization's core is the one core every layer of the call uses
  // (SCADA-Tucker); a model stores and trains it as one parameter (Model::ShareTuckerCore).
  bool shares_tucker_core = false;
};

class Method {
 public:
  virtual ~Method() = default;

  virtual std::string_view Id() const = 0;           // "svd", "fwsvd", ...
  virtual std::string_view DisplayName() const = 0;  // "FWSVD"
  virtual std::string_view Reference() const = 0;    // the paper
  virtual std::vector<Budget::Kind> Budgets() const = 0;
  virtual std::vector<Statistic> Needs() const { return {}; }
  virtual std::vector<OptionSpec> Options() const { return {}; }

  // Checks the call (non-empty finite weight, an accepted budget, the statistics present with the right
  // shapes and finite, no unknown option), then compresses. Bad input is an InvalidArgument naming it.
  absl::StatusOr<Compressed> Compress(const LayerInputs& inputs, const Budget& budget,
                                      const MethodOptions& options) const;
  // The checks of Compress that need no weight: an accepted budget kind in range, no unknown option
  // (experiment specs are checked with it before any work starts).
  absl::Status CheckSettings(const Budget& budget, const MethodOptions& options) const;

  // Whether these options make the method compress a model's layers together (CompressLayers) rather than
  // one at a time: its layers then share parameters (ADA-Tucker's --shared_core, SCADA-Tucker).
  virtual bool CompressesJointly(const MethodOptions& options) const { return false; }
  // Compresses several layers in one call, each checked as Compress checks it (errors name "layer i").
  // A ratio budget then bounds the layers' total: floor(p * sum of their sizes). One result per layer.
  absl::StatusOr<std::vector<Compressed>> CompressLayers(const std::vector<LayerInputs>& layers, const Budget& budget,
                                                         const MethodOptions& options) const;

 protected:
  // Called with validated inputs.
  virtual absl::StatusOr<Compressed> DoCompress(const LayerInputs& inputs, const Budget& budget,
                                                const MethodOptions& options) const = 0;
  // Called with validated layers (at least one); the default compresses them one by one.
  virtual absl::StatusOr<std::vector<Compressed>> DoCompressLayers(const std::vector<LayerInputs>& layers,
                                                                   const Budget& budget,
                                                                   const MethodOptions& options) const;

  // The declared option called `name` (programmer error if undeclared).
  OptionSpec Option(std::string_view name) const;

 private:
  absl::Status CheckCall(const LayerInputs& inputs, const Budget& budget, const MethodOptions& options) const;
};

}  // namespace lrb

#endif  // LRB_METHODS_METHOD_H_
