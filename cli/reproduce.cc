// `lrbench reproduce`: runs the grids of the paper tables (results/papers/*.json) for a profile, resumably
// (experiment/runner.h), and renders every table (markdown, LaTeX, CSV, SVG) from all records found
// (experiment/publish.h), so shards merge by running this again with --render_only. Comparing two runs' records
// (CI's smoke check against results/golden/smoke) is `lrbench compare`. This file reads the flags.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "base/file.h"
#include "base/runfiles.h"
#include "runtime/model/config.h"
#include "runtime/model/model.h"
#include "experiment/publish.h"
#include "experiment/runner.h"
#include "tasks/data.h"

namespace lrb {
namespace {

std::string Workspace() {
  const char* ws = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  return ws != nullptr && *ws != '\0' ? ws : std::filesystem::current_path().string();
}

// --name=N when given (CommandFlags checked it), else the environment variable `env` (Bazel's test sharding), else
// `fallback`.
absl::StatusOr<int> ShardFlag(const std::optional<int>& flag, const char* env, int fallback) {
  if (flag) return *flag;
  int value = fallback;
  if (std::getenv(env) != nullptr && (!absl::SimpleAtoi(std::getenv(env), &value) || value < 0)) {
    return absl::InvalidArgumentError(absl::StrFormat("%s=%s: expected an integer >= 0", env, std::getenv(env)));
  }
  return value;
}

struct ReproduceArgs {
  std::string profile = "default", device = "cpu", kernels = "onednn", tables = "all";
  std::optional<std::string> model, data_dir, out, tasks, specs, results_md;
  std::optional<int> shard_index, shard_count;
  bool render_only = false;
  bool rerun_unscored = false;
};

absl::Status Reproduce(const ReproduceArgs& a) {
  RunnerOptions options;
  options.workspace = Workspace();
  options.profile = a.profile;
  absl::StatusOr<Device> device = ParseDevice(a.device);
  if (!device.ok()) return device.status();
  options.device = *device;
  options.kernels = a.kernels;
  if (absl::Status k = CheckKernels(options.kernels); !k.ok()) return k;
  if (absl::Status d = CheckDevice(options.device); !d.ok()) return d;
  if (const std::optional<std::string>& m = a.model) {
    options.model_override = UserPath(*m);
    if (absl::StatusOr<ModelConfig> config = ReadModelConfig(options.model_override); !config.ok()) {
      return absl::Status(config.status().code(), "--model=" + *m + ": " + std::string(config.status().message()));
    }
  }
  if (const std::optional<std::string>& d = a.data_dir) {
    options.data_dir = UserPath(*d);
    if (absl::Status s = CheckDataDir(*options.data_dir); !s.ok()) return s;
  }
  const std::optional<std::string>& out = a.out;
  options.out_dir = out ? UserPath(*out) : options.workspace + "/results/out/" + options.profile;
  const std::string& tables_flag = a.tables;
  if (const std::optional<std::string>& t = a.tasks) {
    options.tasks = absl::StrSplit(*t, ',', absl::SkipEmpty());
    if (options.tasks.empty()) return absl::InvalidArgumentError("--tasks is empty: name task ids, e.g. glue/rte");
  }
  const std::optional<std::string>& specs_flag = a.specs;
  const std::optional<std::string>& results_md = a.results_md;
  absl::StatusOr<int> shard_index = ShardFlag(a.shard_index, "TEST_SHARD_INDEX", 0);
  absl::StatusOr<int> shard_count = ShardFlag(a.shard_count, "TEST_TOTAL_SHARDS", 1);
  if (!shard_index.ok()) return shard_index.status();
  if (!shard_count.ok()) return shard_count.status();
  options.shard_index = *shard_index;
  options.shard_count = *shard_count;
  options.rerun_unscored = a.rerun_unscored;
  if (const char* status_file = std::getenv("TEST_SHARD_STATUS_FILE"); status_file != nullptr) {
    (void)WriteFileAtomically(status_file, "", /*overwrite=*/true);  // tells Bazel this test shards
  }

  std::string specs_dir = specs_flag ? UserPath(*specs_flag) : FindRunfile("results/papers");
  if (specs_dir.empty()) specs_dir = options.workspace + "/results/papers";
  absl::StatusOr<std::vector<TableSpec>> all = ReadTableSpecs(specs_dir);
  if (!all.ok()) return all.status();
  std::vector<TableSpec> tables;
  if (tables_flag == "all") {
    tables = *all;
  } else {
    for (absl::string_view id : absl::StrSplit(tables_flag, ',')) {
      auto it = std::find_if(all->begin(), all->end(), [&](const TableSpec& t) { return t.id == id; });
      if (it == all->end()) {
        return absl::NotFoundError(absl::StrFormat("no table '%s' in %s", std::string(id), specs_dir));
      }
      tables.push_back(*it);
    }
  }
  for (TableSpec& t : tables) {
    if (absl::Status s = ValidateTable(t); !s.ok()) return s;  // also before --render_only
    // The measured rows are the --model checkpoint's: the table says so in its row group and model column.
    if (t.grid && !options.model_override.empty()) t.grid->model_label = ModelLabel(options.model_override);
    if (options.profile != "default" && t.status == TableStatus::kMeasured && !t.profiles.count(options.profile)) {
      return absl::NotFoundError(absl::StrFormat("%s has no profile '%s'", t.path, options.profile));
    }
  }

  if (absl::Status s = CheckTasks(tables, options.tasks); !s.ok()) return s;
  int failed = 0, ran = 0;  // by this call
  if (!a.render_only) {
    options.progress = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
    std::fprintf(stderr, "lrbench reproduce: %zu table(s), profile %s, shard %d/%d, out %s\n", tables.size(),
                 options.profile.c_str(), options.shard_index, options.shard_count, options.out_dir.c_str());
    absl::StatusOr<RunnerSummary> summary = RunTables(tables, options);
    if (!summary.ok()) return summary.status();
    failed = summary->failed;
    ran = summary->ran;
    std::fprintf(stderr,
                 "lrbench reproduce: %d run(s): %d done earlier, %d left to another process, %d ran (%d failed, "
                 "%d without data) in %.0f s\n",
                 summary->total, summary->done, summary->busy, summary->ran, summary->failed, summary->no_data,
                 summary->seconds);
  }

  PublishOptions publish;
  publish.out_dir = options.out_dir;
  publish.profile = options.profile;
  publish.model_override = options.model_override;
  if (results_md) publish.results_md = UserPath(*results_md);
  absl::StatusOr<PublishedTables> published = PublishTables(tables, *all, publish);
  if (!published.ok()) return published.status();
  std::printf("tables: %s (markdown, LaTeX, CSV, SVG); all tables: %s\n", published->tables_dir.c_str(),
              published->results_md.c_str());
  // The tables show the failures; the exit status tells a script or CI job that there were some.
  if (failed > 0) {
    return absl::AbortedError(absl::StrFormat(
        "%d of the %d runs this call ran failed (each error is in its record and its table's footnotes)", failed, ran));
  }
  return absl::OkStatus();
}

}  // namespace

void AddReproduce(CommandLine& line) {
  CommandFlags& flags = line.Add("reproduce", "Runs the paper tables' grids and renders the tables", R"(
Runs the grids of the paper tables (results/papers/*.json, or --specs=DIR) resumably, records every run, and
renders the tables beside the published rows (results/README.md). CPU inference runs on the oneDNN kernels unless
--kernels=libtorch.)");
  auto a = std::make_shared<ReproduceArgs>();
  flags.Text("tables", &a->tables, "all, or table ids, comma-separated (t1,t2)");
  flags.Text("tasks", &a->tasks, "Only the columns of these tasks, comma-separated")->type_name("glue/rte,...");
  flags.Text("profile", &a->profile, "default, fast or smoke");
  flags.Text("model", &a->model, "Run the grids on this checkpoint instead of the embedded default")->type_name("DIR");
  flags.Text("out", &a->out, "Records, cached base models and rendered tables (default: results/out/PROFILE)")
      ->type_name("DIR");
  flags.Text("data_dir", &a->data_dir, "Where the tasks' data is looked up first")->type_name("DIR");
  flags.Text("device", &a->device, "cpu or cuda");
  flags.Text("kernels", &a->kernels, "CPU inference kernels: onednn or libtorch");
  flags.Number("shard_index", &a->shard_index, "This shard (default: $TEST_SHARD_INDEX, else 0)", 0)->type_name("I");
  flags.Number("shard_count", &a->shard_count, "Shards in all (default: $TEST_TOTAL_SHARDS, else 1)", 0)
      ->type_name("N");
  flags.Switch("render_only", &a->render_only, "Render the tables from the records found, run nothing");
  flags.Switch("rerun_unscored", &a->rerun_unscored,
               "Also re-run recorded runs whose records keep no per-example scores (older records), for intervals");
  flags.Text("results_md", &a->results_md, "Also write the committed rendering (plots, records beside it)")
      ->type_name("FILE");
  flags.Text("specs", &a->specs, "The table specs (default: results/papers)")->type_name("DIR");
  flags.Runs([a] { return Reproduce(*a); });
}

}  // namespace lrb
