"""Counts test cases from Bazel's test results and prints `N passed, N failed`.

Reads bazel-testlogs/<target>/test.xml (GoogleTest's XML, one <testcase> per case) of every test
target of `bazel test //...`, and of each of its shards. A test target whose test.log exists but
whose XML is missing (a crash before GoogleTest wrote it), and one with no log at all (it did not
build), count as one failure each; logs of other targets are not counted. Skipped cases (GTEST_SKIP)
count as neither and are reported on a line of their own before the last.
"""
import glob
import os
import subprocess
import sys
import xml.etree.ElementTree as ET


def main() -> int:
    root = "bazel-testlogs"
    passed = failed = skipped = 0
    # The test targets of `bazel test //...` (targets tagged "manual" are not part of it); logs of other
    # targets (a manual target run earlier, a removed test) are not counted.
    query = subprocess.run(["bazel", "query", "tests(//...) except attr(tags, manual, //...)"],
                           capture_output=True, text=True)
    if query.returncode != 0:
        # Without the list of targets no log can be counted: report that rather than "0 passed".
        failed += 1
        last_line = (query.stderr.strip().splitlines() or ["(no error output)"])[-1]
        print(f"bazel query for the test targets failed: {last_line}", file=sys.stderr)
    targets = query.stdout.split()
    for t in targets:
        target_dir = os.path.join(root, t.lstrip("/").replace(":", "/"))
        # One log per target, or one per shard or run (shard_I_of_N/, run_I_of_N/).
        logs = [d for d in [target_dir] + sorted(glob.glob(os.path.join(target_dir, "*_of_*")))
                if os.path.exists(os.path.join(d, "test.log"))]
        if not logs:
            # Test targets that did not build leave no log at all.
            failed += 1
            print(f"no test result (build failure?): {t}", file=sys.stderr)
        for dirpath in logs:
            try:
                cases = list(ET.parse(os.path.join(dirpath, "test.xml")).getroot().iter("testcase"))
            except (OSError, ET.ParseError):
                cases = []
            if not cases:
                failed += 1
                print(f"no test cases recorded: {dirpath}", file=sys.stderr)
                continue
            for case in cases:
                bad = case.find("failure") is not None or case.find("error") is not None
                if case.get("status") == "notrun":
                    continue
                if not bad and (case.get("result") == "skipped" or case.find("skipped") is not None):
                    skipped += 1  # GTEST_SKIP: e.g. the cuda cases without a CUDA device; not a pass
                    continue
                failed += bad
                passed += not bad
    if skipped:
        print(f"{skipped} skipped (GTEST_SKIP, e.g. CUDA cases without a GPU)")
    print(f"{passed} passed, {failed} failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
