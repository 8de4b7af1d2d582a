// lrbench: the command-line entry point. Each command declares its flags in its own file (commands.h, on the
// CLI11 command line of cli.h); `lrbench --help` lists the commands, methods and tasks, `lrbench COMMAND --help`
// a command's flags. LibTorch runs on every core unless $OMP_NUM_THREADS says otherwise (model.h
// ConfigureThreads).
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "runtime/model/model.h"
#include "methods/registry.h"
#include "tasks/metric.h"
#include "tasks/task.h"

namespace lrb {
namespace {

// What `lrbench --help` prints after the commands: every registered method with its budgets, statistics and
// options, every task with its splits and metrics, and where data is looked up.
std::string MethodsAndTasks() {
  std::string out =
      "Methods (budgets; statistics; options with defaults, given to decompose and compress as --NAME=VALUE):\n";
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
  absl::StrAppend(&out, "\nTasks (--task=ID; splits, evaluation split first; metrics, the tables' metric first):\n");
  for (const TaskInfo& t : AllTasks()) {
    std::vector<std::string> splits = {t.eval_split}, metrics = {MetricName(t.table_metric)};
    for (const SplitInfo& s : t.splits) {
      if (s.name != t.eval_split) splits.push_back(s.name);
    }
    for (Metric m : t.metrics) {
      if (m != t.table_metric) metrics.push_back(MetricName(m));
    }
    absl::StrAppend(&out,
                    absl::StrFormat("  %-10s %s, %s; splits %s; metrics %s\n", t.id, t.title, TaskKindName(t.kind),
                                    absl::StrJoin(splits, " "), absl::StrJoin(metrics, " ")));
  }
  absl::StrAppend(&out, R"(
Data: each split is looked up under --data_dir, then $LRB_DATA_DIR, then the embedded default
(third_party/embedded/data), then ../shared/data beside the workspace; the first directory holding
it wins. Layout as the originals: glue/<TASK>/*.tsv, imdb/*.jsonl or aclImdb/{train,test}/{pos,neg},
samsum/*.jsonl or samsum/*.json (tools/fetch_data.sh downloads them).)");
  return out;
}

}  // namespace
}  // namespace lrb

int main(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  try {
    lrb::ConfigureThreads(0);
    lrb::CommandLine line("lrbench: compress language-model weights with matrix and tensor decompositions.",
                          lrb::MethodsAndTasks());
    for (void (*add)(lrb::CommandLine&) :
         {lrb::AddDecompose, lrb::AddCompress, lrb::AddExport, lrb::AddForward, lrb::AddFinetune, lrb::AddTokenize,
          lrb::AddScore, lrb::AddReproduce, lrb::AddCompare, lrb::AddDemo}) {
      add(line);
    }
    return line.Run(argc, argv);
  } catch (const std::exception& e) {
    // Nothing in lrbench throws on bad input; this is the last line of defence (e.g. out of memory).
    std::fprintf(stderr, "lrbench %s: %s\n", command.c_str(), e.what());
    return 1;
  }
}
