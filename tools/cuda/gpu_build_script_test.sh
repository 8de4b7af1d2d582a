#!/bin/bash
# gpu_build_script.py on a small aquery answer shaped like Bazel 4's (a library and a binary: PIC and non-PIC
# compiles, an archive, a link with a params file), then the script it writes run with a stand-in compiler that
# records each argument vector: the arguments must arrive exactly as Bazel's, with the stand-in LibTorch,
# bazel-out and /usr/include replaced by $LRB_LIBTORCH, $OUT and $DEPS/include, dependency-file flags and
# execution-root include directories dropped, -isystem $DEPS/include added, the copied libraries on the link's
# search path and rpath; only the objects the link reads are compiled; LIBS lists what the GPU machine lacks.
set -uo pipefail
PY=/usr/bin/python3
GEN=tools/cuda/gpu_build_script.py
TMP="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0
passed=0
check() {  # NAME WANT GOT
  if [ "$2" = "$3" ]; then passed=$((passed + 1)); echo "ok   $1"; else
    failures=$((failures + 1)); printf 'FAIL %s\n  want: %s\n  got:  %s\n' "$1" "$2" "$3"; fi
}

B=bazel-out/k8-opt/bin
cat > "$TMP/aquery.json" <<JSON
{"targets": [{"id": 1, "label": "//a:bin"}, {"id": 2, "label": "//a:lib"}],
 "actions": [
  {"targetId": 2, "mnemonic": "CppCompile", "arguments": ["/usr/bin/gcc", "-O2", "-MD", "-MF", "$B/a/_objs/lib/lib.d",
    "-frandom-seed=$B/a/_objs/lib/lib.o", "-iquote", ".", "-iquote", "$B", "-iquote", "external/libtorch",
    "-isystem", "external/libtorch/include", "-isystem", "$B/external/libtorch/include",
    "-isystem", "external/libtorch/include/torch/csrc/api/include", "-isystem/usr/include/eigen3",
    "-D__DATE__=\"redacted\"", "-c", "a/lib.cc", "-o", "$B/a/_objs/lib/lib.o"]},
  {"targetId": 2, "mnemonic": "CppCompile", "arguments": ["/usr/bin/gcc", "-fPIC", "-c", "a/lib.cc", "-o", "$B/a/_objs/lib/lib.pic.o"]},
  {"targetId": 1, "mnemonic": "CppCompile", "arguments": ["/usr/bin/gcc", "-c", "a/main.cc", "-o", "$B/a/_objs/bin/main.o"]},
  {"targetId": 2, "mnemonic": "CppLink", "arguments": ["/usr/bin/ar", "rcsD", "$B/a/liblib.a", "$B/a/_objs/lib/lib.o"]},
  {"targetId": 1, "mnemonic": "CppLink", "arguments": ["/usr/bin/gcc", "-o", "$B/a/bin", "-fuse-ld=gold",
    "$B/a/_objs/bin/main.o", "-Wl,--start-lib", "$B/a/_objs/lib/lib.o", "-Wl,--end-lib", "-labsl_status", "-ldnnl",
    "-L/standin/lib", "-Wl,-rpath,/standin/lib", "-ltorch", "-lc10_cuda", "-lgtest", "-lgomp", "-lpthread", "-lstdc++",
    "@$B/a/bin-2.params"]}]}
JSON
"$PY" "$GEN" "$TMP/aquery.json" /standin "$TMP/build.sh" "$TMP/libs.txt" //a:bin
check generated $'0' "$?"
check libs_the_gpu_machine_lacks $'absl_status\ndnnl' "$(cat "$TMP/libs.txt")"
check syntax 0 "$(bash -n "$TMP/build.sh"; echo $?)"

# The stand-in compiler: one line per call, arguments separated by '|'; creates the -o output.
cat > "$TMP/cc" <<'CC'
#!/bin/bash
(IFS='|'; echo "$*") >> "$CALLS"
while [ $# -gt 0 ]; do [ "$1" = -o ] && touch "$2"; shift; done
CC
chmod +x "$TMP/cc"
export CALLS="$TMP/calls"
: > "$CALLS"
(cd "$TMP" && CC="$TMP/cc" OUT="$TMP/out" DEPS=/deps LRB_LIBTORCH=/lt bash build.sh > /dev/null)
check ran 0 "$?"
O="$TMP/out"
check compile_lib "-O2|-frandom-seed=$O/a/_objs/lib/lib.o|-iquote|.|-isystem|/lt/include|-isystem|/lt/include/torch/csrc/api/include|-isystem/deps/include/eigen3|-D__DATE__=\"redacted\"|-isystem|/deps/include|-c|a/lib.cc|-o|$O/a/_objs/lib/lib.o" \
  "$(grep -- '-c|a/lib.cc' "$CALLS")"
check compile_main "-isystem|/deps/include|-c|a/main.cc|-o|$O/a/_objs/bin/main.o" "$(grep -- '-c|a/main.cc' "$CALLS")"
check link "-o|$O/a/bin|-L/deps/lib|-Wl,-rpath,/deps/lib|-Wl,--disable-new-dtags|-fuse-ld=gold|$O/a/_objs/bin/main.o|-Wl,--start-lib|$O/a/_objs/lib/lib.o|-Wl,--end-lib|-labsl_status|-ldnnl|-L/lt/lib|-Wl,-rpath,/lt/lib|-ltorch|-lc10_cuda|-lgtest|-lgomp|-lpthread|-lstdc++" \
  "$(grep -- "^-o|$O/a/bin|" "$CALLS")"
check no_pic_compile_no_archive 3 "$(wc -l < "$CALLS")"

# A target the answer has no link for is an error naming it.
out=$("$PY" "$GEN" "$TMP/aquery.json" /standin "$TMP/b2.sh" "$TMP/l2.txt" //a:bin //a:missing 2>&1)
check missing_target "gpu_build_script.py: aquery has no link of //a:missing" "$out"

echo "$passed passed, $failures failed"
[ "$failures" = 0 ]
