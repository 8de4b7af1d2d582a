"""Counts test cases from Bazel's test results and prints `N passed, N failed`.

Reads every bazel-testlogs/**/test.xml (GoogleTest's XML, one <testcase> per case). A test
target whose test.log exists but whose XML is missing (a crash before GoogleTest wrote it),
and every target Bazel listed as failed to build, count as one failure each.
"""
import os
import subprocess
import sys
import xml.etree.ElementTree as ET


def main() -> int:
    root = "bazel-testlogs"
    passed = failed = 0
    if os.path.isdir(root):
        for dirpath, _, files in os.walk(root, followlinks=True):
            if "test.log" not in files:
                continue
            xml_path = os.path.join(dirpath, "test.xml")
            try:
                cases = list(ET.parse(xml_path).getroot().iter("testcase"))
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
                failed += bad
                passed += not bad
    # Test targets that did not build leave no log at all.
    # (Targets tagged "manual" are not part of `bazel test //...`.)
    targets = subprocess.run(["bazel", "query", "tests(//...) except attr(tags, manual, //...)"],
                             capture_output=True, text=True).stdout.split()
    for t in targets:
        log = os.path.join(root, t.lstrip("/").replace(":", "/"), "test.log")
        if not os.path.exists(log):
            failed += 1
            print(f"no test result (build failure?): {t}", file=sys.stderr)
    print(f"{passed} passed, {failed} failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
