// The subcommands of the `lrbench` tool. Each takes its flags (after the subcommand name) and returns
// the process exit code: 0 success, 1 a refused input or failed run (one line on stderr), 2 bad usage.
#ifndef LRB_HARNESS_COMMANDS_H_
#define LRB_HARNESS_COMMANDS_H_

#include <string>

#include "absl/status/statusor.h"
#include "harness/flags.h"
#include "methods/budget.h"

namespace lrb {

// lrbench decompose --method=ID --input=IN.safetensors --output=OUT.safetensors [--tensor=NAME]
//   (--rank=R | --param_ratio=P | --bits=B) [--overwrite] [method options]
int RunDecompose(int argc, char** argv);

// lrbench compress --model=DIR --method=ID (--rank=R | --param_ratio=P | --bits=B) --output=DIR
//   [--linears=P1,P2] [--task=ID [--data_dir=DIR] [--statistics_examples=N] [--max_length=N]] [--device=cpu]
//   [--overwrite] [method options]
int RunCompress(int argc, char** argv);

// lrbench export --model=DIR --format=dense|factored [--dtype=f32|bf16|f16] --output=DIR [--overwrite]
int RunExport(int argc, char** argv);

// lrbench forward --model=DIR --inputs=IN.safetensors --output=OUT.safetensors [--generate=N]
//   [--min_new_tokens=M] [--num_beams=K] [--length_penalty=1] [--device=cpu|cuda] [--overwrite]
int RunForward(int argc, char** argv);

// lrbench finetune --model=DIR --task=ID --output=DIR [recipe, data and generation flags; see Usage()]
int RunFinetune(int argc, char** argv);

// lrbench tokenize --tokenizer=FILE --input=IN.jsonl --output=OUT.jsonl --max_length=N [--overwrite]
int RunTokenize(int argc, char** argv);

// lrbench score --task=ID --predictions=FILE [--split=NAME] [--data_dir=DIR]
int RunScore(int argc, char** argv);

// lrbench reproduce [--tables=all|t1,t2] [--profile=default|smoke|fast] [--model=DIR] [--out=DIR]
//   [--data_dir=DIR] [--device=cpu] [--kernels=onednn|libtorch] [--shard_index=I --shard_count=N]
//   [--render_only] [--golden=DIR] [--tolerance=0.5] [--results_md=FILE]
int RunReproduce(int argc, char** argv);

// lrbench demo [--shapes=768x768,768x3072,3072x768] [--param_ratio=0.25] [--bits=4]
// Compresses synthetic BERT-base-shaped layers with every method and prints a table.
int RunDemo(int argc, char** argv);

// Takes the budget flags (decompose, compress): exactly one of --rank, --param_ratio, --bits.
absl::StatusOr<Budget> TakeBudget(Flags& flags);

// With --help among the flags: prints Usage() on stdout and returns true.
bool PrintUsageIfAsked(const Flags& flags);

// The usage text, listing every registered method with its budgets, statistics and options.
std::string Usage();

}  // namespace lrb

#endif  // LRB_HARNESS_COMMANDS_H_
