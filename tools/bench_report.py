"""Markdown report of tools/bench_compress.sh: lrbench's compression times beside PyTorch's.

usage: bench_report.py BENCH.json TORCH.json
"""
import json
import re
import sys

NAME = re.compile(r"compress/(?P<method>[^/]+)/out:(?P<out>\d+)/in:(?P<inp>\d+)/(?P<budget>[^/]+)/threads:(?P<t>\d+)")


def parse(name: str):
    m = NAME.match(name)
    return (m["method"], int(m["out"]), int(m["inp"]), m["budget"], int(m["t"])) if m else None


def main() -> None:
    bench = json.load(open(sys.argv[1]))
    torch = json.load(open(sys.argv[2]))
    ours, theirs = {}, {}
    for b in bench["benchmarks"]:
        key = parse(b["name"])
        if key and "error_occurred" not in b:
            ours[key] = b
    for b in torch["benchmarks"]:
        theirs[parse(b["name"])] = b
    ctx = bench["context"]
    threads = sorted({k[4] for k in ours})
    print(f"Machine: {ctx.get('host_name')}, {ctx.get('num_cpus')} CPUs at {ctx.get('mhz_per_cpu')} MHz; "
          f"run {ctx.get('date')}; PyTorch {torch['torch_version']}.\n")

    print("### Compression time per method (ms, wall clock)\n")
    print("| method | shape | budget | " + " | ".join(f"{t} thread(s)" for t in threads) + " | rel. error |")
    print("|---|---|---|" + "---:|" * len(threads) + "---:|")
    rows = sorted({k[:4] for k in ours}, key=lambda k: (k[1], k[2], k[3], k[0]))
    for method, out, inp, budget in rows:
        cells = [f"{ours[(method, out, inp, budget, t)]['real_time']:.1f}" if (method, out, inp, budget, t) in ours
                 else "—" for t in threads]
        err = next(ours[(method, out, inp, budget, t)]["rel_error"] for t in threads if (method, out, inp, budget, t) in ours)
        print(f"| {method} | {out}x{inp} | {budget} | " + " | ".join(cells) + f" | {err:.4f} |")

    print("\n### SVD solvers beside PyTorch (same shapes, ranks and threads, one run)\n")
    print("| shape | rank | threads | lrbench exact | torch.linalg.svd thin | ratio | torch full | "
          "lrbench randomized | torch.svd_lowrank | ratio | randomized speedup vs exact | err / optimum |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (method, out, inp, budget, t), b in sorted(ours.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][3], kv[0][4])):
        if method != "svd":
            continue
        rnd = ours.get(("svd_randomized", out, inp, budget, t))
        thin = theirs.get(("torch_svd_thin", out, inp, budget, t))
        full = theirs.get(("torch_svd_full", out, inp, budget, t))
        low = theirs.get(("torch_svd_lowrank", out, inp, budget, t))
        if not (rnd and thin and full and low):
            continue
        e, r = b["real_time"], rnd["real_time"]
        print(f"| {out}x{inp} | {budget.split(':')[1]} | {t} | {e:.1f} | {thin['real_time_ms']:.1f} | "
              f"{thin['real_time_ms'] / e:.2f}x | {full['real_time_ms']:.1f} | {r:.1f} | {low['real_time_ms']:.1f} | "
              f"{low['real_time_ms'] / r:.2f}x | {e / r:.1f}x | {rnd['err_over_optimal']:.4f} |")
    print("\nratio = PyTorch time / lrbench time (above 1: lrbench is faster). err / optimum: the randomized "
          "SVD's Frobenius error over the Eckart-Young optimum of that rank.")


if __name__ == "__main__":
    main()
