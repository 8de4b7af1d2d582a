#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "harness/commands.h"
#include "methods/registry.h"
#include "tasks/task.h"

namespace lrb {

bool PrintUsageIfAsked(const Flags& flags) {
  if (!flags.Has("help")) return false;
  std::fputs(Usage().c_str(), stdout);
  return true;
}

std::string Usage() {
  std::string out = R"(lrbench: compress language-model weights with matrix and tensor decompositions.

Commands:
  lrbench decompose --method=ID --input=IN.safetensors --output=OUT.safetensors [--tensor=NAME]
                    (--rank=R | --param_ratio=P | --bits=B) [--overwrite] [method options]
      Compresses one weight (tensor 'weight' by default, [out, in] as in Hugging Face checkpoints).
      Extra inputs live in the same file: 'fisher' [out, in] (per-weight mean squared gradient) for
      fwsvd; 'inputs' [samples, in] or 'input_second_moment' [in, in] for drone. The output holds the
      factors (named by format) and 'reconstruction' [out, in]; stdout gets one JSON line with method,
      format, budget, stored_params, stored_bits, rel_error (relative Frobenius) and seconds.
      An existing output is never replaced without --overwrite.
  lrbench compress --model=DIR --method=ID (--rank=R | --param_ratio=P | --bits=B) --output=DIR
                   [--linears=P1,P2] [--task=ID [--data_dir=DIR] [--statistics_examples=512]
                   [--max_length=128]] [--device=cpu|cuda] [--overwrite] [method options]
      Compresses every linear matching --linears (Model::LinearNames patterns; default: the tables' set
      for the model family, bert.encoder.** for BERT, roberta.encoder.**, distilbert.transformer.**, T5's
      attention q/k/v) as a table run does: a method that needs statistics collects them on the first N
      examples of --task's train split through the model's own (trained) head. DIR gets the compressed
      model (factors under a config.json of model_type lrbench_factored, which lrbench loads and
      transformers refuses), the tokenizer files and compress_report.json / .md (per linear: format,
      parameters before and after, bits, relative error; totals); stdout gets one JSON summary line.
  lrbench export --model=DIR --format=dense|factored [--dtype=f32|bf16|f16] --output=DIR [--overwrite]
      dense: every compressed layer written as its reconstruction (LoRA adapters merged) under the
      Hugging Face keys and config (architecture, labels): transformers loads it as the original model.
      factored: the factors kept, config model_type lrbench_factored (lrbench and
      tools/lrbench_factored.py load it; transformers refuses it). --dtype converts float tensors;
      integer ones stay. The directory is written beside DIR and renamed onto it when complete.
  lrbench forward --model=DIR --inputs=IN.safetensors --output=OUT.safetensors [--generate=N]
                  [--min_new_tokens=M] [--num_beams=K] [--length_penalty=1] [--device=cpu|cuda] [--overwrite]
      Runs a Hugging Face checkpoint (config.json + model.safetensors, a sharded index or a zip-format
      pytorch_model.bin; BERT, DistilBERT, RoBERTa, T5; published layouts and legacy names load as
      transformers loads them, unused heads are listed) on input_ids, attention_mask, token_type_ids and decoder_input_ids
      (I64 [batch, seq]) and writes logits, last_hidden_state (encoders) or encoder_last_hidden_state
      (T5), and greedy_generate ([batch, 1 + N], decoder start token first) when asked, or
      beam_generate with --num_beams=K > 1 (scores: sum of log-probs / length^length_penalty).
  lrbench finetune --model=DIR --task=ID --output=DIR [--epochs=3] [--lr=2e-5] [--batch_size=32]
                   [--max_length=128|512] [--max_target_length=128] [--source_prefix="summarize: "]
                   [--seed=42] [--weight_decay=0.01] [--warmup_ratio=0] [--max_grad_norm=1]
                   [--train_split=NAME] [--eval_split=NAME] [--max_train_examples=N] [--max_eval_examples=N]
                   [--generate=64] [--num_beams=1] [--device=cpu|cuda] [--data_dir=DIR] [--tokenizer=FILE]
                   [--threads=N] [--log_every=50] [--overwrite]
      Fine-tunes on the task's train split with the head it needs (a classifier with the task's
      labels or a one-output regression head on BERT/DistilBERT/RoBERTa, initialised when the
      checkpoint has none; T5 sequence-to-sequence with teacher forcing), AdamW with decoupled weight decay (none on
      biases and LayerNorm), linear decay, gradient clipping, seeded length-bucketed batches; dev loss
      each epoch with progress and ETA on stderr; then scores the evaluation split with the task's
      metrics (T5: generated text, greedy or beam). Saves model, tokenizer, predictions_<split> (the
      format `lrbench score` reads) and finetune.json to DIR.
  lrbench tokenize --tokenizer=FILE --input=IN.jsonl --output=OUT.jsonl --max_length=N [--overwrite]
      FILE is a tokenizer.json (BERT WordPiece, RoBERTa byte-level BPE; other components refused by
      name), a vocab.txt (WordPiece; a tokenizer_config.json beside it sets do_lower_case,
      strip_accents), a vocab.json with merges.txt beside it (RoBERTa) or T5's spiece.model (--vocab=FILE
      is the older name). Each line {"text": ..., "text_pair": ...} becomes {"input_ids",
      "token_type_ids"} with the tokenizer's special tokens ([CLS]/[SEP], <s>/</s>), truncated to N
      (longest first for pairs); spiece.model: {"input_ids"}, pieces + EOS, single texts only.
  lrbench score --task=ID --predictions=FILE [--split=NAME] [--data_dir=DIR]
      Scores predictions against the split's gold labels (default: the task's evaluation split) and
      prints one JSON line of metrics. FILE is GLUE-style TSV (header 'index<TAB>prediction', labels by
      name or index, floats for STS-B) or, when named *.jsonl, {"id": ..., "prediction": ...} per line.
  lrbench reproduce [--tables=all|t1,t2] [--tasks=glue/rte,...] [--profile=default|fast|smoke] [--model=DIR]
                    [--out=DIR]
                    [--data_dir=DIR] [--device=cpu|cuda] [--kernels=onednn|libtorch]
                    [--shard_index=I --shard_count=N] [--render_only] [--golden=DIR] [--tolerance=0.5]
                    [--results_md=FILE] [--specs=DIR]
      Runs the grids of the paper tables (results/papers/*.json, or --specs=DIR) resumably, records every run, and
      renders the tables beside the published rows (results/README.md). CPU inference runs on the
      oneDNN kernels unless --kernels=libtorch.
  lrbench demo [--shapes=768x768,768x3072,3072x768] [--param_ratio=0.25] [--bits=4]
      Compresses synthetic BERT-base-shaped layers with every method and prints a table.

Methods (budgets; statistics; options with defaults):
)";
  for (const Method* m : AllMethods()) {
    std::vector<std::string> budgets, needs;
    for (Budget::Kind k : m->Budgets()) budgets.push_back("--" + BudgetKindName(k));
    for (Statistic s : m->Needs()) needs.emplace_back(StatisticName(s));
    absl::StrAppend(&out, absl::StrFormat("  %-11s %s. Budget: %s.%s\n", std::string(m->Id()),
                                          std::string(m->DisplayName()), absl::StrJoin(budgets, " or "),
                                          needs.empty() ? "" : " Needs: " + absl::StrJoin(needs, ", ") + "."));
    for (const OptionSpec& o : m->Options()) {
      absl::StrAppend(&out, absl::StrFormat("      --%s=%s  %s\n", o.name,
                                            o.default_value.empty() ? "(auto)" : o.default_value, o.help));
    }
  }
  absl::StrAppend(&out, R"(
Tasks (--task=ID; splits, evaluation split first; metrics, the tables' metric first):
)");
  for (const TaskInfo& t : AllTasks()) {
    std::vector<std::string> splits = {t.eval_split}, metrics = {MetricName(t.table_metric)};
    for (const SplitInfo& s : t.splits) {
      if (s.name != t.eval_split) splits.push_back(s.name);
    }
    for (Metric m : t.metrics) {
      if (m != t.table_metric) metrics.push_back(MetricName(m));
    }
    absl::StrAppend(&out, absl::StrFormat("  %-10s %s, %s; splits %s; metrics %s\n", t.id, t.title, TaskKindName(t.kind),
                                          absl::StrJoin(splits, " "), absl::StrJoin(metrics, " ")));
  }
  absl::StrAppend(&out, R"(
Data: each split is looked up under --data_dir, then $LRB_DATA_DIR, then the embedded default
(third_party/embedded/data), then ../shared/data beside the workspace; the first directory holding
it wins. Layout as the originals: glue/<TASK>/*.tsv, imdb/*.jsonl or aclImdb/{train,test}/{pos,neg},
samsum/*.jsonl or samsum/*.json (tools/fetch_data.sh downloads them).
)");
  return out;
}

}  // namespace lrb
