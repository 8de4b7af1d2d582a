// lrbench: the command-line entry point. `lrbench --help` lists the subcommands and methods. LibTorch runs
// on every core unless $OMP_NUM_THREADS says otherwise (model.h ConfigureThreads).
#include <cstdio>
#include <exception>
#include <string>

#include "harness/commands.h"
#include "harness/model/model.h"

int main(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  try {
    lrb::ConfigureThreads(0);
    if (command == "decompose") return lrb::RunDecompose(argc, argv);
    if (command == "demo") return lrb::RunDemo(argc, argv);
    if (command == "forward") return lrb::RunForward(argc, argv);
    if (command == "finetune") return lrb::RunFinetune(argc, argv);
    if (command == "reproduce") return lrb::RunReproduce(argc, argv);
    if (command == "score") return lrb::RunScore(argc, argv);
    if (command == "tokenize") return lrb::RunTokenize(argc, argv);
    if (command == "--help" || command == "-h" || command == "help") {
      std::fputs(lrb::Usage().c_str(), stdout);
      return 0;
    }
    if (command.empty()) {
      std::fprintf(stderr, "lrbench: no command given\n%s", lrb::Usage().c_str());
    } else {
      std::fprintf(stderr,
                   "lrbench: unknown command '%s' (commands: decompose, demo, finetune, forward, reproduce, score, "
                   "tokenize; see lrbench --help)\n",
                   command.c_str());
    }
    return 2;
  } catch (const std::exception& e) {
    // Nothing in lrbench throws on bad input; this is the last line of defence (e.g. out of memory).
    std::fprintf(stderr, "lrbench %s: %s\n", command.c_str(), e.what());
    return 1;
  }
}
