// `lrbench reproduce`: runs the grids of the paper tables (results/papers/*.json) for a profile, resumably,
// and renders every table (markdown, LaTeX, CSV, SVG) from all records found, so shards merge by running
// this again with --render_only. With --golden=DIR the rendered CSVs must match DIR/<table>.csv within
// --tolerance (CI's smoke check).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
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
#include "experiment/report/report.h"
#include "experiment/golden.h"
#include "experiment/runner.h"
#include "tasks/data.h"

namespace lrb {
namespace {

// Makes DIR hold exactly the records `run_ids` of FROM (FROM/<id>.json): copies them and removes any other
// record left there by an earlier rendering.
absl::Status CopyRecords(const std::string& from, const std::vector<std::string>& run_ids, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrFormat("%s: cannot create (%s)", dir, ec.message()));
  const std::set<std::string> keep(run_ids.begin(), run_ids.end());
  for (const std::string& id : keep) {
    absl::StatusOr<std::string> text = ReadFile(from + "/" + id + ".json");
    if (!text.ok()) return text.status();
    if (absl::Status s = WriteFileAtomically(dir + "/" + id + ".json", *text, /*overwrite=*/true); !s.ok()) return s;
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::filesystem::path& p = entry.path();
    if (p.extension() == ".json" && !keep.count(p.stem().string())) std::filesystem::remove(p, ec);
  }
  return absl::OkStatus();
}

// The sections of a rendering by table id, each from its "## <id>. " line to the next "## " line, ending in
// one blank line.
std::map<std::string, std::string> SectionsById(const std::string& doc) {
  std::map<std::string, std::string> sections;
  std::string* current = nullptr;
  for (absl::string_view line : absl::StrSplit(doc, '\n')) {
    if (absl::StartsWith(line, "## ")) {
      const size_t dot = line.find('.');
      current = dot == absl::string_view::npos ? nullptr : &sections[std::string(line.substr(3, dot - 3))];
    }
    if (current != nullptr) absl::StrAppend(current, line, "\n");
  }
  for (auto& [id, text] : sections) text = absl::StrCat(absl::StripTrailingAsciiWhitespace(text), "\n\n");
  return sections;
}

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

// What the table footer says about the measured rows: commit, machine, newest date, summed run time.
RenderContext Context(const std::string& profile, const std::vector<RunRecord>& records) {
  RenderContext c;
  c.profile = profile;
  double seconds = 0;
  for (const RunRecord& r : records) {
    if (r.profile != profile) continue;
    if (r.provenance.date > c.date) {
      c.date = r.provenance.date;
      c.commit = r.provenance.git_sha.substr(0, 12) + (r.provenance.git_dirty ? "+dirty" : "");
      c.machine = absl::StrCat(r.provenance.cpu, r.provenance.gpu.empty() ? "" : " + " + r.provenance.gpu, ", ",
                               r.provenance.threads, " threads");
    }
    seconds += (r.base_cached ? 0 : r.base_finetune_seconds) + r.statistics_seconds + r.compression_seconds +
               r.refinetune_seconds + r.evaluation_seconds;
  }
  c.duration = absl::StrFormat("%.0f s of runs", seconds);
  return c;
}

struct ReproduceArgs {
  std::string profile = "default", device = "cpu", kernels = "onednn", tables = "all";
  std::optional<std::string> model, data_dir, out, tasks, specs, golden, results_md;
  std::optional<int> shard_index, shard_count;
  double tolerance = 0.5;
  bool render_only = false;
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
  const std::optional<std::string>& golden = a.golden;
  const std::optional<std::string>& results_md = a.results_md;
  absl::StatusOr<int> shard_index = ShardFlag(a.shard_index, "TEST_SHARD_INDEX", 0);
  absl::StatusOr<int> shard_count = ShardFlag(a.shard_count, "TEST_TOTAL_SHARDS", 1);
  if (!shard_index.ok()) return shard_index.status();
  if (!shard_count.ok()) return shard_count.status();
  options.shard_index = *shard_index;
  options.shard_count = *shard_count;
  const double tolerance = a.tolerance;
  if (golden && !std::filesystem::is_directory(UserPath(*golden))) {
    return absl::NotFoundError("--golden=" + *golden + " is not a directory");
  }
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
    if (options.profile != "default" && t.status == "measured" && !t.profiles.count(options.profile)) {
      return absl::NotFoundError(absl::StrFormat("%s has no profile '%s'", t.path, options.profile));
    }
  }

  if (absl::Status s = CheckTasks(tables, options.tasks); !s.ok()) return s;
  if (!a.render_only) {
    options.progress = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
    std::fprintf(stderr, "lrbench reproduce: %zu table(s), profile %s, shard %d/%d, out %s\n", tables.size(),
                 options.profile.c_str(), options.shard_index, options.shard_count, options.out_dir.c_str());
    absl::StatusOr<RunnerSummary> summary = RunTables(tables, options);
    if (!summary.ok()) return summary.status();
    std::fprintf(stderr,
                 "lrbench reproduce: %d run(s): %d done earlier, %d left to another process, %d ran (%d failed, "
                 "%d without data) in %.0f s\n",
                 summary->total, summary->done, summary->busy, summary->ran, summary->failed, summary->no_data,
                 summary->seconds);
  }

  // Render every table from every record under OUT (all shards), and check against the golden tables.
  std::string all_markdown;
  std::vector<std::string> mismatches;
  std::map<std::string, std::vector<std::string>> rendered_run_ids;  // table id -> the records it renders
  const std::string tables_dir = options.out_dir + "/tables";
  std::filesystem::create_directories(tables_dir);
  for (const TableSpec& t : tables) {
    absl::StatusOr<std::vector<RunRecord>> all_records = ReadRecords(options.out_dir + "/runs", t.id);
    if (!all_records.ok()) return all_records.status();
    // Only the records of the runs this table, profile and model expand to: records of older specs, other
    // profiles or another --model in the same directory stay on disk but never reach the table.
    absl::StatusOr<std::vector<RunSpec>> runs = ExpandRuns(t, options.profile, options.model_override);
    if (!runs.ok()) return runs.status();
    std::set<std::string> current;
    for (const RunSpec& r : *runs) current.insert(RunSpecJson(r));
    std::vector<RunRecord> kept;
    for (RunRecord& r : *all_records) {
      if (current.count(r.spec_json)) kept.push_back(std::move(r));
    }
    for (const RunRecord& r : kept) rendered_run_ids[t.id].push_back(r.run_id);
    const std::vector<RunRecord>* records = &kept;
    const RenderedTable rendered = RenderTable(t, *records, Context(options.profile, *records));
    for (auto [ext, text] : {std::make_pair(".md", &rendered.markdown), std::make_pair(".tex", &rendered.latex),
                             std::make_pair(".csv", &rendered.csv), std::make_pair(".svg", &rendered.svg)}) {
      if (absl::Status s = WriteFileAtomically(tables_dir + "/" + t.id + ext, *text, /*overwrite=*/true); !s.ok()) {
        return s;
      }
    }
    absl::StrAppend(&all_markdown, rendered.markdown, "\n");
    if (golden) {
      const std::string path = UserPath(*golden) + "/" + t.id + ".csv";
      absl::StatusOr<std::string> want = ReadFile(path);
      if (!want.ok()) return want.status();
      std::vector<std::string> timing;  // latencies differ between machines and runs: not compared
      for (const ColumnSpec& c : t.columns) {
        if (absl::StatusOr<Metric> m = ParseMetric(c.metric); m.ok() && IsLatencyMetric(*m)) timing.push_back(c.name);
      }
      for (const std::string& d : CompareCsv(rendered.csv, *want, tolerance, timing)) {
        mismatches.push_back(t.id + ": " + d);
      }
    }
  }
  if (absl::Status s = WriteFileAtomically(options.out_dir + "/results.md", all_markdown, /*overwrite=*/true);
      !s.ok()) {
    return s;
  }
  std::string md_path = options.out_dir + "/results.md";
  if (results_md) {
    // The committed copy (docs/results.md for the default profile, docs/results-<profile>.md for another): a
    // header, then each table with its plot beside it in the folder named like the file (results/<id>.svg,
    // results-fast/<id>.svg), so two renderings in one folder never share a plot, and the records each table
    // renders copied to that folder's runs/<id>/ (so the committed rendering keeps its evidence when OUT is lost;
    // copied back into OUT/runs/, they resume the grid). A table not rendered by this call (--tables names
    // others) keeps its section of the earlier file, its plot and its records.
    md_path = UserPath(*results_md);
    const std::string plots_name = std::filesystem::path(md_path).stem().string();
    const std::filesystem::path plots = std::filesystem::path(md_path).parent_path() / plots_name;
    std::filesystem::create_directories(plots);
    std::string doc = absl::StrFormat(
        "# Results\n\nGenerated by `bazel run //results:reproduce -- --update_docs%s` (profile `%s`; each table's footer names "
        "the commit, machine, date and run time of its measured rows). Published rows are typed in from the papers "
        "with their sources; measured rows come from the run records under `results/out/%s/runs/`, copied beside "
        "this file to `%s/runs/`. Tables in LaTeX and CSV: `results/out/%s/tables/`. The spec of each table, with its settings and the reasons for "
        "every deviation from the paper: `results/papers/<id>.json`. A measured cell reading `pending` has no "
        "run record yet: the grid has not finished, and the same command resumes it.\n\n",
        options.profile == "default" ? "" : " --profile=" + options.profile, options.profile, options.profile,
        plots_name, options.profile);
    absl::StatusOr<std::string> earlier = ReadFile(md_path);
    const std::map<std::string, std::string> kept_sections =
        earlier.ok() ? SectionsById(*earlier) : std::map<std::string, std::string>();
    for (const TableSpec& t : *all) {
      if (std::none_of(tables.begin(), tables.end(), [&](const TableSpec& r) { return r.id == t.id; })) {
        if (auto it = kept_sections.find(t.id); it != kept_sections.end()) absl::StrAppend(&doc, it->second);
        continue;
      }
      absl::StatusOr<std::string> md = ReadFile(tables_dir + "/" + t.id + ".md");
      absl::StatusOr<std::string> svg = ReadFile(tables_dir + "/" + t.id + ".svg");
      if (!md.ok()) return md.status();
      std::string section = *md;
      if (svg.ok() && t.status == "measured") {
        if (absl::Status s = WriteFileAtomically((plots / (t.id + ".svg")).string(), *svg, true); !s.ok()) {
          return s;
        }
        absl::StrAppend(&section, "\n![", t.id, ": metric against stored parameters](", plots_name, "/", t.id,
                        ".svg)\n");
      }
      absl::StrAppend(&doc, absl::StripTrailingAsciiWhitespace(section), "\n\n");
      if (t.status == "measured") {
        const std::string records_dir = (plots / "runs" / t.id).string();
        if (absl::Status s = CopyRecords(options.out_dir + "/runs/" + t.id, rendered_run_ids[t.id], records_dir);
            !s.ok()) {
          return s;
        }
      }
    }
    if (absl::Status s = WriteFileAtomically(md_path, doc, /*overwrite=*/true); !s.ok()) return s;
  }
  std::printf("tables: %s (markdown, LaTeX, CSV, SVG); all tables: %s\n", tables_dir.c_str(), md_path.c_str());
  if (!mismatches.empty()) {
    for (const std::string& m : mismatches) std::fprintf(stderr, "golden mismatch: %s\n", m.c_str());
    return absl::FailedPreconditionError(
        absl::StrFormat("%zu cell(s) differ from %s (tolerance %g)", mismatches.size(), *golden, tolerance));
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
  flags.Text("golden", &a->golden, "Check the rendered CSVs against DIR/<table>.csv")->type_name("DIR");
  flags.Number("tolerance", &a->tolerance, "Largest difference from --golden, per cell", 0);
  flags.Text("results_md", &a->results_md, "Also write the committed rendering (plots, records beside it)")
      ->type_name("FILE");
  flags.Text("specs", &a->specs, "The table specs (default: results/papers)")->type_name("DIR");
  flags.Runs([a] { return Reproduce(*a); });
}

}  // namespace lrb
