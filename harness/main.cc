// lrbench: the command-line entry point. `lrbench --help` lists the subcommands and methods. LibTorch runs
// on every core unless $OMP_NUM_THREADS says otherwise (model.h ConfigureThreads).
#include <cstdio>
#include <exception>
#include <string>

#include "harness/commands.h"
#include "harness/model/model.h"

namespace {

struct Command {
  const char* name;
  int (*run)(int, char**);
};

constexpr Command kCommands[] = {
    {"compress", lrb::RunCompress}, {"decompose", lrb::RunDecompose}, {"demo", lrb::RunDemo},
    {"export", lrb::RunExport},     {"finetune", lrb::RunFinetune},   {"forward", lrb::RunForward},
    {"reproduce", lrb::RunReproduce}, {"score", lrb::RunScore},       {"tokenize", lrb::RunTokenize},
};

}  // namespace

int main(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  try {
    lrb::ConfigureThreads(0);
    for (const Command& c : kCommands) {
      if (command == c.name) return c.run(argc, argv);
    }
    if (command == "--help" || command == "-h" || command == "help") {
      std::fputs(lrb::Usage().c_str(), stdout);
      return 0;
    }
    if (command.empty()) {
      std::fprintf(stderr, "lrbench: no command given\n%s", lrb::Usage().c_str());
    } else {
      std::string names;
      for (const Command& c : kCommands) names += (names.empty() ? "" : ", ") + std::string(c.name);
      std::fprintf(stderr, "lrbench: unknown command '%s' (commands: %s; see lrbench --help)\n", command.c_str(),
                   names.c_str());
    }
    return 2;
  } catch (const std::exception& e) {
    // Nothing in lrbench throws on bad input; this is the last line of defence (e.g. out of memory).
    std::fprintf(stderr, "lrbench %s: %s\n", command.c_str(), e.what());
    return 1;
  }
}
