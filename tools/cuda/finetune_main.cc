// The `lrbench finetune` command alone, for the GPU machine (built by tools/cuda/finetune.sh without
// Bazel, and without the methods' LAPACK dependencies that the full tool links).
#include "harness/commands.h"

int main(int argc, char** argv) { return lrb::RunFinetune(argc, argv); }
