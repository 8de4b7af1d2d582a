#include "cli/cli.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <type_traits>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace lrb {
namespace {

// Marks a status as bad usage (exit status 2).
constexpr char kUsagePayload[] = "lrbench/usage";

}  // namespace

absl::Status UsageError(const std::string& message) {
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kUsagePayload, absl::Cord("2"));
  return status;
}

std::string UserPath(const std::string& path) {
  const char* dir = std::getenv("BUILD_WORKING_DIRECTORY");
  if (path.empty() || path[0] == '/' || dir == nullptr || *dir == '\0') return path;
  return std::string(dir) + "/" + path;
}

std::string* CommandFlags::Storage() {
  texts_.push_back(std::make_unique<std::string>());
  return texts_.back().get();
}

CLI::Option* CommandFlags::Text(const std::string& name, std::string* value, const std::string& help) {
  CLI::Option* o = app_->add_option("--" + name, *value, help)->type_name("TEXT");
  if (!value->empty()) o->default_str(*value);
  return o;
}

CLI::Option* CommandFlags::Text(const std::string& name, std::optional<std::string>* value, const std::string& help) {
  return app_->add_option("--" + name, *value, help)->type_name("TEXT");
}

CLI::Option* CommandFlags::Path(const std::string& name, std::optional<std::string>* value, const std::string& help,
                                const std::string& kind) {
  finish_.push_back([value] {
    if (*value) *value = UserPath(**value);
    return absl::OkStatus();
  });
  return app_->add_option("--" + name, *value, help)->type_name(kind);
}

CLI::Option* CommandFlags::Switch(const std::string& name, bool* value, const std::string& help) {
  return app_->add_flag("--" + name, *value, help);
}

template <typename T>
absl::Status CommandFlags::Convert(const std::string& name, const std::string& text, double at_least, T* value) {
  constexpr bool kInteger = std::is_integral_v<T>;
  T v{};
  bool ok = false;
  if constexpr (kInteger) {
    ok = absl::SimpleAtoi(text, &v);
  } else {
    ok = absl::SimpleAtod(text, &v) && std::isfinite(v);
  }
  if (ok && static_cast<double>(v) >= at_least) {
    *value = v;
    return absl::OkStatus();
  }
  const std::string bound = at_least > kUnbounded ? absl::StrFormat(" >= %g", at_least) : "";
  return absl::InvalidArgumentError(
      absl::StrFormat("--%s=%s: expected %s%s", name, text, kInteger ? "an integer" : "a finite number", bound));
}

template <typename T>
CLI::Option* CommandFlags::Number(const std::string& name, T* value, const std::string& help, double at_least) {
  std::string* text = Storage();
  CLI::Option* o = app_->add_option("--" + name, *text, help)
                       ->type_name(std::is_integral_v<T> ? "INT" : "FLOAT")
                       ->default_str(absl::StrCat(*value));
  finish_.push_back([this, o, name, text, at_least, value] {
    return o->count() > 0 ? Convert(name, *text, at_least, value) : absl::OkStatus();
  });
  return o;
}

template <typename T>
CLI::Option* CommandFlags::Number(const std::string& name, std::optional<T>* value, const std::string& help,
                                  double at_least) {
  std::string* text = Storage();
  CLI::Option* o =
      app_->add_option("--" + name, *text, help)->type_name(std::is_integral_v<T> ? "INT" : "FLOAT");
  finish_.push_back([this, o, name, text, at_least, value] {
    if (o->count() == 0) return absl::OkStatus();
    T v{};
    absl::Status s = Convert(name, *text, at_least, &v);
    if (s.ok()) *value = v;
    return s;
  });
  return o;
}

template CLI::Option* CommandFlags::Number<int>(const std::string&, int*, const std::string&, double);
template CLI::Option* CommandFlags::Number<int64_t>(const std::string&, int64_t*, const std::string&, double);
template CLI::Option* CommandFlags::Number<uint64_t>(const std::string&, uint64_t*, const std::string&, double);
template CLI::Option* CommandFlags::Number<double>(const std::string&, double*, const std::string&, double);
template CLI::Option* CommandFlags::Number<int>(const std::string&, std::optional<int>*, const std::string&, double);
template CLI::Option* CommandFlags::Number<int64_t>(const std::string&, std::optional<int64_t>*, const std::string&,
                                                    double);

void CommandFlags::TakeMethodOptions(std::map<std::string, std::string>* options) { method_options_ = options; }

absl::Status CommandFlags::Finish() {
  for (const auto& f : finish_) {
    if (absl::Status s = f(); !s.ok()) return s;
  }
  // CLI11 leaves what no declaration took, in order: "--key=value", or "--key" and its value as two.
  const std::vector<std::string> rest = app_->remaining();
  for (size_t i = 0; i < rest.size(); ++i) {
    const std::string& arg = rest[i];
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      return absl::InvalidArgumentError(
          absl::StrFormat("unexpected argument '%s' (flags look like --name=value or --name value)", arg));
    }
    const size_t eq = arg.find('=');
    const std::string key = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    if (method_options_ == nullptr) return absl::InvalidArgumentError("unknown flag --" + key);
    std::string value = "true";
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
    } else if (i + 1 < rest.size() && rest[i + 1].compare(0, 2, "--") != 0) {
      value = rest[++i];
    }
    if (method_options_->count(key)) return absl::InvalidArgumentError(absl::StrFormat("flag --%s given twice", key));
    (*method_options_)[key] = value;
  }
  return absl::OkStatus();
}

CommandLine::CommandLine(const std::string& description, const std::string& footer) : app_(description, "lrbench") {
  app_.require_subcommand(1);
  app_.footer(footer);
  app_.get_formatter()->label("SUBCOMMAND", "COMMAND");
  app_.get_formatter()->column_width(40);
}

CommandFlags& CommandLine::Add(const std::string& name, const std::string& summary, const std::string& description) {
  CLI::App* sub = app_.add_subcommand(name, summary);
  sub->group("Commands");
  // A description may start on the line after its R"( for legibility; the help puts a blank line before it.
  sub->footer(description.empty() || description[0] != '\n' ? description : description.substr(1));
  sub->allow_extras();  // CommandFlags::Finish collects or refuses them, naming the first
  return *(commands_[name] = std::make_unique<CommandFlags>(sub));
}

int CommandLine::Run(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  if (command == "help") {
    std::fputs(app_.help().c_str(), stdout);
    return 0;
  }
  if (command.empty() || (!commands_.count(command) && command != "--help" && command != "-h")) {
    std::vector<std::string> names;
    for (const auto& [name, flags] : commands_) names.push_back(name);
    const std::string what = command.empty() ? "no command given" : "unknown command '" + command + "'";
    std::fprintf(stderr, "lrbench: %s (commands: %s; see lrbench --help)\n", what.c_str(),
                 absl::StrJoin(names, ", ").c_str());
    return 2;
  }
  try {
    app_.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app_.exit(e);  // the help of the command named, or of lrbench, on stdout
  } catch (const CLI::RequiredError& e) {
    std::fprintf(stderr, "lrbench %s: %s (see lrbench %s --help)\n", command.c_str(), e.what(), command.c_str());
    return 2;
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "lrbench %s: %s\n", command.c_str(), e.what());
    return 1;
  }
  CommandFlags& flags = *commands_.at(command);
  absl::Status status = flags.Finish();
  if (status.ok()) status = flags.Run();
  if (status.ok()) return 0;
  std::fprintf(stderr, "lrbench %s: %s\n", command.c_str(), std::string(status.message()).c_str());
  return status.GetPayload(kUsagePayload).has_value() ? 2 : 1;
}

}  // namespace lrb
