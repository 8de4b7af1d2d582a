// The command line of `lrbench` on CLI11: each command declares its flags once (name, type, default, help)
// on a CommandFlags, which gives `lrbench <command> --help` and the command's line in `lrbench --help`, takes
// --name=value and --name value alike, and checks numbers with lrbench's own messages. Only the command files
// and main.cc include this header (and CLI11 with it).
#ifndef LRB_CLI_CLI_H_
#define LRB_CLI_CLI_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/status/status.h"

namespace lrb {

// One command's flags, declared on its CLI11 subcommand. Each declaration binds a variable that keeps its
// initial value (shown as the default in the help) when the flag is absent, and returns the CLI11 option for
// ->required() or ->type_name(); an absent required flag is bad usage (exit status 2).
class CommandFlags {
 public:
  explicit CommandFlags(CLI::App* app) : app_(app) {}

  // --name=VALUE or --name VALUE.
  CLI::Option* Text(const std::string& name, std::string* value, const std::string& help);
  CLI::Option* Text(const std::string& name, std::optional<std::string>* value, const std::string& help);
  // A file or directory, made absolute against the user's directory (UserPath) once parsed.
  CLI::Option* Path(const std::string& name, std::optional<std::string>* value, const std::string& help,
                    const std::string& kind = "PATH");
  // A switch: --name, or --name=true|false.
  CLI::Option* Switch(const std::string& name, bool* value, const std::string& help);
  // A number (T: int, int64_t or double): an integer for the integer types, a finite number for double, in both
  // cases at least `at_least`. The error names the flag, its value and what it expects, e.g.
  // "--num_beams=0: expected an integer >= 1". The optional form is for a default that depends on other flags.
  template <typename T>
  CLI::Option* Number(const std::string& name, T* value, const std::string& help, double at_least = kUnbounded);
  template <typename T>
  CLI::Option* Number(const std::string& name, std::optional<T>* value, const std::string& help,
                      double at_least = kUnbounded);

  // The flags no declaration takes are a method's options (--key=value, --key value, or --key for "true"),
  // collected into *options for the method to check. Without this, the first of them is refused by name.
  void TakeMethodOptions(std::map<std::string, std::string>* options);

  // What runs the command once its flags are parsed; its error is printed once, as "lrbench <command>: <message>".
  void Runs(std::function<absl::Status()> run) { run_ = std::move(run); }

  // Once CLI11 has parsed the line: numbers converted and checked, paths resolved, the flags left over
  // collected or refused, in the order declared; then the command runs.
  absl::Status Finish();
  absl::Status Run() const { return run_(); }

  static constexpr double kUnbounded = -1e308;

 private:
  template <typename T>
  absl::Status Convert(const std::string& name, const std::string& text, double at_least, T* value);
  std::string* Storage();

  CLI::App* app_;
  std::vector<std::function<absl::Status()>> finish_;
  std::vector<std::unique_ptr<std::string>> texts_;  // what number flags hold until Finish converts them
  std::map<std::string, std::string>* method_options_ = nullptr;
  std::function<absl::Status()> run_;
};

// The `lrbench` tool: its commands, each with a one-line summary (its line in `lrbench --help`) and a
// description (what its own --help prints after the flags).
class CommandLine {
 public:
  // `footer`: what `lrbench --help` prints after the commands (the methods, the tasks).
  CommandLine(const std::string& description, const std::string& footer);
  CommandFlags& Add(const std::string& name, const std::string& summary, const std::string& description);

  // Parses argv, runs the command and prints its error once. Returns the exit status: 0, 1 for a refused
  // input or a failed run, 2 for bad usage (no command, an unknown one, a required flag missing).
  int Run(int argc, char** argv);

 private:
  CLI::App app_;
  std::map<std::string, std::unique_ptr<CommandFlags>> commands_;
};

// Bad usage found by a command itself (e.g. neither of two alternative flags given): exits with status 2.
absl::Status UsageError(const std::string& message);

// A path given on the command line, made absolute against the directory the user ran the command in:
// under `bazel run` the process starts in its runfiles tree, and Bazel passes the user's directory in
// BUILD_WORKING_DIRECTORY.
std::string UserPath(const std::string& path);

}  // namespace lrb

#endif  // LRB_CLI_CLI_H_
