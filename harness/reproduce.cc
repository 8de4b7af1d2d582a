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
#include <optional>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "harness/commands.h"
#include "harness/flags.h"
#include "harness/io/file.h"
#include "harness/io/runfiles.h"
#include "harness/model/config.h"
#include "harness/model/model.h"
#include "harness/report/report.h"
#include "harness/run/golden.h"
#include "harness/run/runner.h"
#include "tasks/data.h"
#include "tasks/metric.h"

namespace lrb {
namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "lrbench reproduce: %s\n", std::string(status.message()).c_str());
  return 1;
}

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

// --name=N (an integer >= 0), else the environment variable `env` (Bazel's test sharding), else `fallback`.
absl::StatusOr<int> ShardFlag(Flags& flags, const std::string& name, const char* env, int fallback) {
  int value = fallback;
  if (!flags.Has(name) && std::getenv(env) != nullptr) {
    if (!absl::SimpleAtoi(std::getenv(env), &value) || value < 0) {
      return absl::InvalidArgumentError(absl::StrFormat("%s=%s: expected an integer >= 0", env, std::getenv(env)));
    }
    return value;
  }
  if (absl::Status s = flags.TakeNumber(name, &value, 0); !s.ok()) return s;
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

}  // namespace

int RunReproduce(int argc, char** argv) {
  absl::StatusOr<Flags> parsed = Flags::Parse(argc, argv, 2);
  if (!parsed.ok()) return Fail(parsed.status());
  Flags& flags = *parsed;
  RunnerOptions options;
  options.workspace = Workspace();
  options.profile = flags.Take("profile").value_or("default");
  absl::StatusOr<Device> device = ParseDevice(flags.Take("device").value_or("cpu"));
  if (!device.ok()) return Fail(device.status());
  options.device = *device;
  options.kernels = flags.Take("kernels").value_or("onednn");
  if (absl::Status k = CheckKernels(options.kernels); !k.ok()) return Fail(k);
  if (absl::Status d = CheckDevice(options.device); !d.ok()) return Fail(d);
  if (std::optional<std::string> m = flags.Take("model")) {
    options.model_override = UserPath(*m);
    if (absl::StatusOr<ModelConfig> config = ReadModelConfig(options.model_override); !config.ok()) {
      return Fail(absl::Status(config.status().code(), "--model=" + *m + ": " + std::string(config.status().message())));
    }
  }
  if (std::optional<std::string> d = flags.Take("data_dir")) {
    options.data_dir = UserPath(*d);
    if (absl::Status s = CheckDataDir(*options.data_dir); !s.ok()) return Fail(s);
  }
  std::optional<std::string> out = flags.Take("out");
  options.out_dir = out ? UserPath(*out) : options.workspace + "/results/out/" + options.profile;
  const std::string tables_flag = flags.Take("tables").value_or("all");
  if (std::optional<std::string> t = flags.Take("tasks")) {
    options.tasks = absl::StrSplit(*t, ',', absl::SkipEmpty());
    if (options.tasks.empty()) return Fail(absl::InvalidArgumentError("--tasks is empty: name task ids, e.g. glue/rte"));
  }
  std::optional<std::string> specs_flag = flags.Take("specs"), golden = flags.Take("golden"),
                             results_md = flags.Take("results_md");
  absl::StatusOr<int> shard_index = ShardFlag(flags, "shard_index", "TEST_SHARD_INDEX", 0);
  absl::StatusOr<int> shard_count = ShardFlag(flags, "shard_count", "TEST_TOTAL_SHARDS", 1);
  if (!shard_index.ok()) return Fail(shard_index.status());
  if (!shard_count.ok()) return Fail(shard_count.status());
  options.shard_index = *shard_index;
  options.shard_count = *shard_count;
  double tolerance = 0.5;
  if (absl::Status s = flags.TakeNumber("tolerance", &tolerance, 0); !s.ok()) return Fail(s);
  absl::StatusOr<bool> render_only = flags.TakeBool("render_only");
  if (!render_only.ok()) return Fail(render_only.status());
  if (!flags.rest().empty()) return Fail(absl::InvalidArgumentError("unknown flag --" + flags.rest().begin()->first));
  if (golden && !std::filesystem::is_directory(UserPath(*golden))) {
    return Fail(absl::NotFoundError("--golden=" + *golden + " is not a directory"));
  }
  if (const char* status_file = std::getenv("TEST_SHARD_STATUS_FILE"); status_file != nullptr) {
    (void)WriteFileAtomically(status_file, "", /*overwrite=*/true);  // tells Bazel this test shards
  }

  std::string specs_dir = specs_flag ? UserPath(*specs_flag) : FindRunfile("results/papers");
  if (specs_dir.empty()) specs_dir = options.workspace + "/results/papers";
  absl::StatusOr<std::vector<TableSpec>> all = ReadTableSpecs(specs_dir);
  if (!all.ok()) return Fail(all.status());
  std::vector<TableSpec> tables;
  if (tables_flag == "all") {
    tables = *all;
  } else {
    for (absl::string_view id : absl::StrSplit(tables_flag, ',')) {
      auto it = std::find_if(all->begin(), all->end(), [&](const TableSpec& t) { return t.id == id; });
      if (it == all->end()) {
        return Fail(absl::NotFoundError(absl::StrFormat("no table '%s' in %s", std::string(id), specs_dir)));
      }
      tables.push_back(*it);
    }
  }
  for (TableSpec& t : tables) {
    if (absl::Status s = ValidateTable(t); !s.ok()) return Fail(s);  // also before --render_only
    // The measured rows are the --model checkpoint's: the table says so in its row group and model column.
    if (t.grid && !options.model_override.empty()) t.grid->model_label = ModelLabel(options.model_override);
    if (options.profile != "default" && t.status == "measured" && !t.profiles.count(options.profile)) {
      return Fail(absl::NotFoundError(absl::StrFormat("%s has no profile '%s'", t.path, options.profile)));
    }
  }

  if (absl::Status s = CheckTasks(tables, options.tasks); !s.ok()) return Fail(s);
  if (!*render_only) {
    options.progress = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
    std::fprintf(stderr, "lrbench reproduce: %zu table(s), profile %s, shard %d/%d, out %s\n", tables.size(),
                 options.profile.c_str(), options.shard_index, options.shard_count, options.out_dir.c_str());
    absl::StatusOr<RunnerSummary> summary = RunTables(tables, options);
    if (!summary.ok()) return Fail(summary.status());
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
    if (!all_records.ok()) return Fail(all_records.status());
    // Only the records of the runs this table, profile and model expand to: records of older specs, other
    // profiles or another --model in the same directory stay on disk but never reach the table.
    absl::StatusOr<std::vector<RunSpec>> runs = ExpandRuns(t, options.profile, options.model_override);
    if (!runs.ok()) return Fail(runs.status());
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
        return Fail(s);
      }
    }
    absl::StrAppend(&all_markdown, rendered.markdown, "\n");
    if (golden) {
      const std::string path = UserPath(*golden) + "/" + t.id + ".csv";
      absl::StatusOr<std::string> want = ReadFile(path);
      if (!want.ok()) return Fail(want.status());
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
    return Fail(s);
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
      if (!md.ok()) return Fail(md.status());
      std::string section = *md;
      if (svg.ok() && t.status == "measured") {
        if (absl::Status s = WriteFileAtomically((plots / (t.id + ".svg")).string(), *svg, true); !s.ok()) {
          return Fail(s);
        }
        absl::StrAppend(&section, "\n![", t.id, ": metric against stored parameters](", plots_name, "/", t.id,
                        ".svg)\n");
      }
      absl::StrAppend(&doc, absl::StripTrailingAsciiWhitespace(section), "\n\n");
      if (t.status == "measured") {
        const std::string records_dir = (plots / "runs" / t.id).string();
        if (absl::Status s = CopyRecords(options.out_dir + "/runs/" + t.id, rendered_run_ids[t.id], records_dir);
            !s.ok()) {
          return Fail(s);
        }
      }
    }
    if (absl::Status s = WriteFileAtomically(md_path, doc, /*overwrite=*/true); !s.ok()) return Fail(s);
  }
  std::printf("tables: %s (markdown, LaTeX, CSV, SVG); all tables: %s\n", tables_dir.c_str(), md_path.c_str());
  if (!mismatches.empty()) {
    for (const std::string& m : mismatches) std::fprintf(stderr, "golden mismatch: %s\n", m.c_str());
    std::fprintf(stderr, "lrbench reproduce: %zu cell(s) differ from %s (tolerance %g)\n", mismatches.size(),
                 golden->c_str(), tolerance);
    return 1;
  }
  return 0;
}

}  // namespace lrb
