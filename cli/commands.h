// The commands of the `lrbench` tool. Each declares its flags, summary and description on the command line
// (cli.h: CLI11), in its own file, and returns its error as a Status that main prints once.
#ifndef LRB_CLI_COMMANDS_H_
#define LRB_CLI_COMMANDS_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "methods/budget.h"

namespace lrb {

class CommandFlags;
class CommandLine;

void AddDecompose(CommandLine& line);  // one weight through one method
void AddCompress(CommandLine& line);   // a whole model through one method
void AddExport(CommandLine& line);     // a model directory written dense or factored
void AddForward(CommandLine& line);    // a checkpoint run on stored inputs
void AddFinetune(CommandLine& line);   // a checkpoint fine-tuned and scored on a task
void AddTokenize(CommandLine& line);   // JSON lines of texts through a tokenizer
void AddScore(CommandLine& line);      // a predictions file against gold labels
void AddReproduce(CommandLine& line);  // the paper tables' grids, run and rendered
void AddCompare(CommandLine& line);    // a head against a base: accuracy deltas, speed ratios, regressions
void AddDemo(CommandLine& line);       // every method on synthetic layers

// The budget flags of decompose and compress: exactly one of --rank, --param_ratio, --bits.
struct BudgetFlags {
  std::optional<std::string> rank, param_ratio, bits;
};
void DeclareBudget(CommandFlags& flags, BudgetFlags* budget);
absl::StatusOr<Budget> ParseBudget(const BudgetFlags& flags);

}  // namespace lrb

#endif  // LRB_CLI_COMMANDS_H_
