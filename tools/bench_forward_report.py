"""Markdown report of tools/bench_forward.sh: lrbench's forward and fine-tuning throughput beside PyTorch eager's.

usage: bench_forward_report.py FILE...
Each FILE is either Google Benchmark JSON from //runtime/model:forward_benchmark or the JSON of
tools/torch_forward_reference.py (told apart by their keys). Every case ran several times (rounds or
repetitions); the tables show the best (the run least disturbed by other work on the machine) and the median.
The overhead table (what Model::Forward's host tensors cost) reads the counters of the overhead/ cases.
"""
import json
import re
import statistics
import sys

NAME = re.compile(r"(?P<kind>forward|finetune|overhead)/(?P<impl>[^/]+)/(?P<model>[^/]+)/"
                  r"batch:(?P<b>\d+)/seq:(?P<s>\d+)/threads:(?P<t>\d+)")


def parse(name: str):
    m = NAME.match(name)
    return (m["kind"], m["impl"], m["model"], int(m["b"]), int(m["s"]), int(m["t"])) if m else None


def load(paths):
    """{key: [(rate, steps) per run]}, {key: [Google Benchmark entries]} and a description of the runs, where key is
    (kind, impl, model, batch, seq, threads)."""
    rates, counters, torch_info = {}, {}, {}
    machine, dates, loads, tunables = "", [], {"lrbench": [], "PyTorch": []}, set()
    for path in paths:
        data = json.load(open(path))
        if "context" in data:  # Google Benchmark
            ctx = data["context"]
            machine = f"{ctx.get('num_cpus')} CPUs at {ctx.get('mhz_per_cpu')} MHz"
            dates.append(ctx.get("date", ""))
            tunables.add(ctx.get("glibc_tunables", "?"))
            loads["lrbench"].append(ctx.get("load_avg", [float("nan")])[0])
            for b in data["benchmarks"]:
                key = parse(b["name"])
                if not key or b.get("run_type", "iteration") != "iteration" or b.get("error_occurred"):
                    continue
                rate = b.get("sequences_per_second", b.get("examples_per_second"))
                rates.setdefault(key, []).append((rate, b.get("steps")))
                counters.setdefault(key, []).append(b)
        else:  # tools/torch_forward_reference.py
            torch_info = data
            dates.append(data.get("date", ""))
            tunables.add(data.get("glibc_tunables", "?"))
            loads["PyTorch"].append(data.get("load_avg", [float("nan")])[0])
            for b in data["benchmarks"]:
                key = parse(b["name"])
                rate = b.get("sequences_per_second", b.get("examples_per_second"))
                rates.setdefault(key, []).append((rate, b.get("steps")))
    dates = sorted(d[:19] for d in dates if d) or ["?"]
    version = torch_info.get("torch_version", "?")
    load_text = "; ".join(f"{side} {', '.join(f'{x:.2f}' for x in v)}" for side, v in loads.items() if v)
    tunables_text = " / ".join(f"`{t}`" if t else "unset (glibc defaults)" for t in sorted(tunables))
    runs = (f"{len(loads['lrbench'])} lrbench and {len(loads['PyTorch'])} PyTorch {version} runs, alternating, "
            f"{dates[0]} to {dates[-1]} on {machine}; 1-minute load average at the start of each: {load_text}. "
            f"GLIBC_TUNABLES: {tunables_text}")
    return rates, counters, runs, torch_info


def cell(values):
    return f"{max(values):.1f} ({statistics.median(values):.1f})" if values else "—"


def ratio(ours, theirs, pick):
    return f"{pick(ours) / pick(theirs):.2f}x" if ours and theirs else "—"


def main() -> None:
    rates, counters, runs, torch_info = load(sys.argv[1:])
    values = {k: [r for r, _ in v if r is not None] for k, v in rates.items()}
    print(runs + ".")
    check = torch_info.get("self_check")
    if check:
        errs = ", ".join(f"{k} {v:.1e}" for k, v in check["max_abs_error"].items())
        print(f"\nThe PyTorch reference BERT reproduces Hugging Face's outputs for `{check['fixture']}` "
              f"(max abs error: {errs}).")

    print("\n### Forward throughput (sequences/s: best of the runs, median in parentheses)\n")
    print("| model | batch | seq | threads | lrbench | PyTorch eager | ratio (best) | ratio (median) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    order = {"bert-mini": 0, "bert-base": 1}
    keys = sorted({k for k in values if k[0] == "forward" and k[1] == "lrbench"},
                  key=lambda k: (order.get(k[2], 9), k[2], k[5], k[3]))
    for kind, _, model, b, s, t in keys:
        ours, theirs = values[(kind, "lrbench", model, b, s, t)], values.get((kind, "pytorch", model, b, s, t), [])
        print(f"| {model} | {b} | {s} | {t} | {cell(ours)} | {cell(theirs)} | {ratio(ours, theirs, max)} | "
              f"{ratio(ours, theirs, statistics.median)} |")
    print("\nratio = lrbench / PyTorch throughput (above 1: lrbench is faster).")

    overhead = sorted({k for k in rates if k[0] == "overhead"}, key=lambda k: k[5])
    if overhead:
        print("\n### What `Model::Forward`'s host tensors cost (ms per call, median of 50 alternated calls; median "
              "of the runs)\n")
        print("| model | batch | seq | threads | Model::Forward (host tensors) | module, torch tensors, NoGradGuard | "
              "overhead | module under InferenceMode |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for key in overhead:
            _, _, model, b, s, t = key
            runs = counters[key]
            host, mod, inf = (statistics.median(r[c] for r in runs)
                              for c in ("model_forward_ms", "module_ms", "module_inference_mode_ms"))
            print(f"| {model} | {b} | {s} | {t} | {host:.2f} | {mod:.2f} | {100 * (host / mod - 1):+.1f} % | "
                  f"{inf:.2f} ({100 * (inf / mod - 1):+.1f} %) |")

    tune = sorted({k for k in values if k[0] == "finetune" and k[1] == "lrbench"}, key=lambda k: k[5])
    if tune:
        print("\n### Fine-tuning throughput (training examples/s: best of the runs, median in parentheses)\n")
        print("| model | batch | seq | threads | steps per run | lrbench | PyTorch eager | ratio (best) | "
              "ratio (median) |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for kind, _, model, b, s, t in tune:
            ours, theirs = values[(kind, "lrbench", model, b, s, t)], values.get((kind, "pytorch", model, b, s, t), [])
            steps = next((f"{st:.0f}" for _, st in rates[(kind, "lrbench", model, b, s, t)] if st), "—")
            print(f"| {model} | {b} | {s} | {t} | {steps} | {cell(ours)} | {cell(theirs)} | "
                  f"{ratio(ours, theirs, max)} | {ratio(ours, theirs, statistics.median)} |")


if __name__ == "__main__":
    main()
