#include "tasks/glue/glue.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "tasks/text_file.h"

namespace lrb {
namespace {

// The header names a task's columns go by in glue_data; for each role the first name present wins.
struct ColumnNames {
  std::vector<std::string> id;
  std::vector<std::string> text;
  std::vector<std::string> text_pair;  // pair tasks only
  std::vector<std::string> label;
  bool headerless_cola = false;  // a first line without a text column starts CoLA's positional rows
};

// Positions of the columns in one file.
struct Columns {
  size_t count = 0;  // fields per row
  int id = -1;       // -1: the 0-based data-row number
  int text = -1;
  int text_pair = -1;  // -1: single-text task
  int label = -1;      // -1: unlabeled split
};

absl::StatusOr<ColumnNames> NamesFor(const TaskInfo& task) {
  const std::vector<std::string> index = {"index"};
  const std::vector<std::string> s1 = {"sentence1"};
  const std::vector<std::string> s2 = {"sentence2"};
  const std::vector<std::string> label = {"label"};
  if (task.id == "glue/cola") return ColumnNames{index, {"sentence"}, {}, label, true};
  if (task.id == "glue/sst2") return ColumnNames{index, {"sentence"}, {}, label};
  if (task.id == "glue/mrpc") return ColumnNames{index, {"#1 String"}, {"#2 String"}, {"Quality"}};
  if (task.id == "glue/stsb") return ColumnNames{index, s1, s2, {"score"}};
  if (task.id == "glue/qqp") return ColumnNames{{"id"}, {"question1"}, {"question2"}, {"is_duplicate"}};
  if (task.id == "glue/mnli") return ColumnNames{index, s1, s2, {"gold_label"}};
  if (task.id == "glue/qnli") return ColumnNames{index, {"question"}, {"sentence"}, label};
  if (task.id == "glue/rte" || task.id == "glue/wnli") return ColumnNames{index, s1, s2, label};
  // diagnostic.tsv: index sentence1 sentence2; diagnostic-full.tsv: ... Premise Hypothesis Label.
  if (task.id == "glue/ax") return ColumnNames{index, {"sentence1", "Premise"}, {"sentence2", "Hypothesis"}, {"Label"}};
  return absl::InvalidArgumentError(absl::StrCat("task ", task.id, " has no GLUE TSV layout"));
}

// CoLA train/dev: source, label, original label (or empty), sentence; no id column.
Columns ColaPositional() {
  Columns c;
  c.count = 4;
  c.text = 3;
  c.label = 1;
  return c;
}

int FindColumn(const std::vector<absl::string_view>& header, const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return static_cast<int>(i);
    }
  }
  return -1;
}

// The position of a needed column, or an error naming the header line.
absl::StatusOr<int> NeededColumn(const std::vector<absl::string_view>& header, const std::vector<std::string>& names,
                                 const std::string& path, int64_t line) {
  const int column = FindColumn(header, names);
  if (column >= 0) return column;
  std::string seen = absl::StrJoin(header, ", ");
  if (seen.size() > 200) seen = absl::StrCat(seen.substr(0, 200), "...");
  return LineError(path, line,
                   absl::StrCat("no header column ", absl::StrJoin(names, " or "), " (first line: ", seen, ")"));
}

absl::StatusOr<Columns> ColumnsFromHeader(const std::vector<absl::string_view>& header, const ColumnNames& names,
                                          const TaskInfo& task, const SplitInfo& split, const std::string& path,
                                          int64_t line) {
  Columns c;
  c.count = header.size();
  c.id = FindColumn(header, names.id);
  absl::StatusOr<int> text = NeededColumn(header, names.text, path, line);
  if (!text.ok()) return text.status();
  c.text = *text;
  if (task.pair) {
    absl::StatusOr<int> pair = NeededColumn(header, names.text_pair, path, line);
    if (!pair.ok()) return pair.status();
    c.text_pair = *pair;
  }
  if (split.labeled) {
    absl::StatusOr<int> label = NeededColumn(header, names.label, path, line);
    if (!label.ok()) return label.status();
    c.label = *label;
  }
  return c;
}

absl::StatusOr<float> ParseLabel(absl::string_view field, const TaskInfo& task) {
  if (task.kind == TaskKind::kRegression) {
    float score = 0;
    if (!absl::SimpleAtof(field, &score) || !std::isfinite(score)) {
      return absl::InvalidArgumentError(absl::StrCat("score '", field, "' is not a finite number"));
    }
    return score;
  }
  absl::StatusOr<int> index = task.LabelIndex(std::string(field));
  if (!index.ok()) return index.status();
  return static_cast<float>(*index);
}

// One data row (`row`: its 0-based position among the data rows); errors name no location.
absl::StatusOr<TextExample> ParseRow(absl::string_view line, int64_t row, const Columns& c, const TaskInfo& task) {
  const std::vector<absl::string_view> fields = absl::StrSplit(line, '\t');
  if (fields.size() != c.count) {
    return absl::InvalidArgumentError(absl::StrCat(fields.size(), " columns, expected ", c.count));
  }
  TextExample example;
  example.id = c.id >= 0 ? std::string(fields[c.id]) : absl::StrCat(row);
  example.text = std::string(fields[c.text]);
  if (c.text_pair >= 0) example.text_pair = std::string(fields[c.text_pair]);
  if (c.label >= 0) {
    absl::StatusOr<float> label = ParseLabel(fields[c.label], task);
    if (!label.ok()) return label.status();
    example.label = *label;
    example.labeled = true;
  }
  return example;
}

absl::Status AddRow(const TextLine& line, int64_t row, const Columns& columns, const TaskInfo& task,
                    const std::string& path, const ReadOptions& options, ReadResult* result) {
  if (absl::Status utf8 = CheckUtf8(line.text, path, line.number); !utf8.ok()) {
    return SkipOrFail(utf8, options, result);
  }
  absl::StatusOr<TextExample> example = ParseRow(line.text, row, columns, task);
  if (!example.ok()) return SkipOrFail(LineError(path, line.number, example.status().message()), options, result);
  result->examples.push_back(*std::move(example));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ReadResult> ReadGlueTsv(const TaskInfo& task, const SplitInfo& split, const std::string& path,
                                       const ReadOptions& options) {
  absl::StatusOr<ColumnNames> names = NamesFor(task);
  if (!names.ok()) return names.status();
  absl::StatusOr<std::string> contents = ReadTextFile(path);
  if (!contents.ok()) return contents.status();
  const std::vector<TextLine> lines = SplitLines(*contents);  // not empty: ReadTextFile saw text

  const TextLine& first = lines.front();
  if (absl::Status utf8 = CheckUtf8(first.text, path, first.number); !utf8.ok()) return utf8;
  const std::vector<absl::string_view> header = absl::StrSplit(first.text, '\t');
  const bool has_header = !names->headerless_cola || FindColumn(header, names->text) >= 0;
  absl::StatusOr<Columns> columns = has_header ? ColumnsFromHeader(header, *names, task, split, path, first.number)
                                               : absl::StatusOr<Columns>(ColaPositional());
  if (!columns.ok()) return columns.status();
  if (!split.labeled) columns->label = -1;

  ReadResult result;
  result.path = path;
  int64_t row = 0;
  for (size_t i = has_header ? 1 : 0; i < lines.size() && !LimitReached(options, result); ++i, ++row) {
    absl::Status status = AddRow(lines[i], row, *columns, task, path, options, &result);
    if (!status.ok()) return status;
  }
  return result;
}

}  // namespace lrb
