"""Markdown report of tools/bench_linear.sh: each case of //runtime/kernels:linear_benchmark beside its dense
twin (same backend, shape, tokens and threads), and the dense layer beside PyTorch eager's.

Usage: kernel_report.py LINEAR.json [PYTORCH.json] — Google Benchmark JSON of linear_benchmark (real_time
per case; repetitions are reduced to their median) and of tools/torch_linear_reference.py.
Columns: time per call; speedup = dense twin's time / this case's; bound = 1 / flop_ratio, the speedup the
plan's multiply-adds allow; and the plan that ran.
"""
import collections
import json
import re
import statistics
import sys

NAME = re.compile(r"^(?P<format>[a-z_]+)/(?P<backend>[a-z_]+)/out:(?P<out>\d+)/in:(?P<in>\d+)/(?P<size>.*?)"
                  r"tokens:(?P<tokens>\d+)/threads:(?P<threads>\d+)")


def load(path):
    with open(path) as f:
        data = json.load(f)
    times, extra = collections.defaultdict(list), {}
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate" or b.get("error_occurred"):
            continue
        m = NAME.match(b["name"])
        if not m:
            continue
        scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3}[b.get("time_unit", "us")]
        key = (m["format"], m["backend"], int(m["out"]), int(m["in"]), m["size"].rstrip("/"), int(m["tokens"]),
               int(m["threads"]))
        times[key].append(b["real_time"] * scale)
        extra[key] = (b.get("flop_ratio"), b.get("label", ""))
    return {k: statistics.median(v) for k, v in times.items()}, extra, data.get("context", {})


def main() -> None:
    times, extra, context = load(sys.argv[1])
    torch_times = load(sys.argv[2])[0] if len(sys.argv) > 2 else {}
    print(f"Machine: {context.get('host_name', '?')}, {context.get('num_cpus', '?')} CPUs at "
          f"{context.get('mhz_per_cpu', '?')} MHz; {context.get('date', '?')}; load average at start "
          f"{context.get('load_avg', ['?'])[0]}.\n")
    print("| format | backend | out x in | size | tokens | threads | µs per call | speedup vs dense | bound | plan |")
    print("|---|---|---|---|---|---|---:|---:|---:|---|")
    for key in sorted(times, key=lambda k: (k[6], k[2], k[3], k[5], k[0] != "dense", k[0], k[4], k[1])):
        fmt, backend, m, n, size, tokens, threads = key
        dense = times.get(("dense", backend, m, n, "", tokens, threads))
        ratio, label = extra[key]
        speedup = f"{dense / times[key]:.2f}x" if dense else "—"
        bound = f"{1 / ratio:.2f}x" if ratio else "—"
        print(f"| {fmt} | {backend} | {m}x{n} | {size or '—'} | {tokens} | {threads} | {times[key]:.1f} | "
              f"{speedup} | {bound} | {label} |")
    if torch_times:
        print("\nDense layer, lrbench vs PyTorch eager (same shapes, tokens and threads):\n")
        print("| out x in | tokens | threads | PyTorch eager µs | lrbench onednn µs | lrbench torch µs | "
              "onednn / PyTorch speed |")
        print("|---|---|---|---:|---:|---:|---:|")
        for key in sorted(torch_times, key=lambda k: (k[6], k[2], k[3], k[5])):
            _, _, m, n, _, tokens, threads = key
            ours = times.get(("dense", "onednn", m, n, "", tokens, threads))
            lt = times.get(("dense", "torch", m, n, "", tokens, threads))
            if ours is None:
                continue
            print(f"| {m}x{n} | {tokens} | {threads} | {torch_times[key]:.1f} | {ours:.1f} | "
                  f"{lt:.1f} | {torch_times[key] / ours:.2f}x |" if lt else
                  f"| {m}x{n} | {tokens} | {threads} | {torch_times[key]:.1f} | {ours:.1f} | — | "
                  f"{torch_times[key] / ours:.2f}x |")


if __name__ == "__main__":
    main()
