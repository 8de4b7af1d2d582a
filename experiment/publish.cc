#include "experiment/publish.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "base/file.h"
#include "experiment/record.h"
#include "experiment/report/claims.h"
#include "experiment/report/exports.h"
#include "experiment/report/report.h"

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

// The records under DIR/<id>/ of the runs `t`, the profile and the model expand to now: records of older
// specs, other profiles or another --model in the same directory stay on disk but never reach the table.
absl::StatusOr<std::vector<RunRecord>> CurrentRecords(const TableSpec& t, const PublishOptions& o,
                                                      const std::string& dir) {
  absl::StatusOr<std::vector<RunRecord>> all_records = ReadRecords(dir, t.id);
  if (!all_records.ok()) return all_records.status();
  absl::StatusOr<std::vector<RunSpec>> runs = ExpandRuns(t, o.profile, o.model_override);
  if (!runs.ok()) return runs.status();
  std::set<std::string> current;
  for (const RunSpec& r : *runs) current.insert(RunSpecJson(r));
  std::vector<RunRecord> kept;
  for (RunRecord& r : *all_records) {
    if (current.count(r.spec_json)) kept.push_back(std::move(r));
  }
  return kept;
}

}  // namespace

absl::StatusOr<PublishedTables> PublishTables(const std::vector<TableSpec>& tables, const std::vector<TableSpec>& all,
                                              const PublishOptions& o) {
  // Render every table from every record under OUT (all shards).
  std::string all_markdown;
  std::map<std::string, std::vector<std::string>> rendered_run_ids;  // table id -> the records it renders
  std::vector<TableClaims> claims;  // of the tables rendered, in their order
  const std::string tables_dir = o.out_dir + "/tables";
  std::filesystem::create_directories(tables_dir);
  std::vector<TableRecords> exported;  // for results.json and results.csv
  for (const TableSpec& t : tables) {
    absl::StatusOr<std::vector<RunRecord>> kept = CurrentRecords(t, o, o.out_dir + "/runs");
    if (!kept.ok()) return kept.status();
    for (const RunRecord& r : *kept) rendered_run_ids[t.id].push_back(r.run_id);
    exported.push_back({&t, *kept});
    const std::vector<RunRecord>* records = &*kept;
    const RenderedTable rendered = RenderTable(t, *records, Context(o.profile, *records));
    claims.push_back({t.id, EvaluateClaims(t, *records, o.profile)});
    for (auto [ext, text] : {std::make_pair(".md", &rendered.markdown), std::make_pair(".tex", &rendered.latex),
                             std::make_pair(".csv", &rendered.csv), std::make_pair(".svg", &rendered.svg)}) {
      if (absl::Status s = WriteFileAtomically(tables_dir + "/" + t.id + ext, *text, /*overwrite=*/true); !s.ok()) {
        return s;
      }
    }
    absl::StrAppend(&all_markdown, rendered.markdown, "\n");
  }
  // OUT/results.md opens with the claims of its tables, each table's section with the numbers behind them.
  all_markdown = absl::StrCat(ClaimsSummaryMarkdown(claims), all_markdown);
  if (absl::Status s = WriteFileAtomically(o.out_dir + "/results.md", all_markdown, /*overwrite=*/true);
      !s.ok()) {
    return s;
  }
  // The same records for programs: lm-evaluation-harness-shaped JSON and a tidy CSV.
  for (auto [name, text] : {std::make_pair("/results.json", ResultsJson(exported, o.profile)),
                            std::make_pair("/results.csv", TidyCsv(exported))}) {
    if (absl::Status s = WriteFileAtomically(o.out_dir + name, text, /*overwrite=*/true); !s.ok()) return s;
  }
  PublishedTables out;
  out.tables_dir = tables_dir;
  out.results_md = o.out_dir + "/results.md";
  if (o.results_md) {
    // The committed copy (docs/results.md for the default profile, docs/results-<profile>.md for another): a
    // header, then each table with its plot beside it in the folder named like the file (results/<id>.svg,
    // results-fast/<id>.svg), so two renderings in one folder never share a plot, and the records each table
    // renders copied to that folder's runs/<id>/ (so the committed rendering keeps its evidence when OUT is lost;
    // copied back into OUT/runs/, they resume the grid). A table not rendered by this call (--tables names
    // others) keeps its section of the earlier file, its plot and its records.
    const std::string md_path = *o.results_md;
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
        o.profile == "default" ? "" : " --profile=" + o.profile, o.profile, o.profile,
        plots_name, o.profile);
    absl::StatusOr<std::string> earlier = ReadFile(md_path);
    const std::map<std::string, std::string> kept_sections =
        earlier.ok() ? SectionsById(*earlier) : std::map<std::string, std::string>();
    // The opening claims table covers every table of the file: those rendered now, and the others from the
    // records their kept sections were rendered from (the copies beside the file, runs/<id>/).
    std::vector<TableClaims> all_claims;
    for (const TableSpec& t : all) {
      auto rendered =
          std::find_if(claims.begin(), claims.end(), [&](const TableClaims& c) { return c.table_id == t.id; });
      if (rendered != claims.end()) {
        all_claims.push_back(*rendered);
      } else if (kept_sections.count(t.id)) {
        absl::StatusOr<std::vector<RunRecord>> committed = CurrentRecords(t, o, (plots / "runs").string());
        if (!committed.ok()) return committed.status();
        all_claims.push_back({t.id, EvaluateClaims(t, *committed, o.profile)});
      }
    }
    absl::StrAppend(&doc, ClaimsSummaryMarkdown(all_claims));
    for (const TableSpec& t : all) {
      if (std::none_of(tables.begin(), tables.end(), [&](const TableSpec& r) { return r.id == t.id; })) {
        if (auto it = kept_sections.find(t.id); it != kept_sections.end()) absl::StrAppend(&doc, it->second);
        continue;
      }
      absl::StatusOr<std::string> md = ReadFile(tables_dir + "/" + t.id + ".md");
      absl::StatusOr<std::string> svg = ReadFile(tables_dir + "/" + t.id + ".svg");
      if (!md.ok()) return md.status();
      std::string section = *md;
      if (svg.ok() && t.status == TableStatus::kMeasured) {
        if (absl::Status s = WriteFileAtomically((plots / (t.id + ".svg")).string(), *svg, true); !s.ok()) {
          return s;
        }
        absl::StrAppend(&section, "\n![", t.id, ": metric against stored parameters](", plots_name, "/", t.id,
                        ".svg)\n");
      }
      absl::StrAppend(&doc, absl::StripTrailingAsciiWhitespace(section), "\n\n");
      if (t.status == TableStatus::kMeasured) {
        const std::string records_dir = (plots / "runs" / t.id).string();
        if (absl::Status s = CopyRecords(o.out_dir + "/runs/" + t.id, rendered_run_ids[t.id], records_dir);
            !s.ok()) {
          return s;
        }
      }
    }
    if (absl::Status s = WriteFileAtomically(md_path, doc, /*overwrite=*/true); !s.ok()) return s;
    out.results_md = md_path;
  }
  return out;
}

}  // namespace lrb
