"""PyTorch's timings of the decompositions lrbench benchmarks, for the side-by-side report.

Times torch.linalg.svd (thin, full_matrices=False, and the default full_matrices=True) and
torch.svd_lowrank (niter=2, the same power iterations as lrbench's randomized SVD, q = rank + 10)
on the shapes and ranks of //methods:compress_benchmark, with the same synthetic spectrum, at the
thread counts given. Prints one JSON object: {"benchmarks": [{"name", "real_time_ms", "rel_error"}]}.
Run with Debian's interpreter: /usr/bin/python3 (python3-torch).
"""
import argparse
import json
import time

import torch


def layer(out: int, inp: int, seed: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    k = min(out, inp)
    s = torch.arange(1, k + 1, dtype=torch.float64).pow(-0.5)
    u, _ = torch.linalg.qr(torch.randn(out, k, generator=g, dtype=torch.float64))
    v, _ = torch.linalg.qr(torch.randn(inp, k, generator=g, dtype=torch.float64))
    return ((u * s) @ v.T).float()


def timed(fn, min_time: float):
    fn()  # warm-up
    runs, start = 0, time.perf_counter()
    while True:
        result = fn()
        runs += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_time and runs >= 2:
            return elapsed / runs * 1e3, result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, nargs="+", required=True)
    ap.add_argument("--min_time", type=float, default=0.5)
    args = ap.parse_args()
    rows = []
    for out, inp in [(768, 768), (768, 3072), (3072, 768)]:
        w = layer(out, inp)
        norm = torch.linalg.norm(w)
        for share in (0.25, 0.5):
            rank = int(share * min(out, inp))
            for threads in args.threads:
                torch.set_num_threads(threads)
                suffix = f"out:{out}/in:{inp}/rank:{rank}/threads:{threads}"

                def thin():
                    u, s, vh = torch.linalg.svd(w, full_matrices=False)
                    return (u[:, :rank] * s[:rank]) @ vh[:rank]

                def full():
                    u, s, vh = torch.linalg.svd(w)
                    return (u[:, :rank] * s[:rank]) @ vh[:rank]

                def lowrank():
                    torch.manual_seed(0)
                    u, s, v = torch.svd_lowrank(w, q=min(rank + 10, min(out, inp)), niter=2)
                    return (u[:, :rank] * s[:rank]) @ v[:, :rank].T

                for name, fn in (("torch_svd_thin", thin), ("torch_svd_full", full), ("torch_svd_lowrank", lowrank)):
                    ms, approx = timed(fn, args.min_time)
                    err = float(torch.linalg.norm(w - approx) / norm)
                    rows.append({"name": f"compress/{name}/{suffix}", "real_time_ms": ms, "rel_error": err})
    print(json.dumps({"torch_version": torch.__version__, "benchmarks": rows}))


if __name__ == "__main__":
    main()
