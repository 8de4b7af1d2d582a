"""PyTorch eager's dense linear layer on the shapes of //runtime/kernels:linear_benchmark, for the side-by-side
report of tools/bench_linear.sh.

For each thread count (torch.set_num_threads), shape (out x in: 768x768, 3072x768, 768x3072) and token count,
times torch.nn.functional.linear(x, W, b) on float32 CPU tensors under torch.inference_mode(): one warm-up
call, then repetitions of at least --min_time seconds; reports the median time per call. Prints Google
Benchmark-like JSON: {"context": {...}, "benchmarks": [{"name": "dense/pytorch/out:768/in:768/tokens:1024/
threads:2", "real_time": microseconds, "time_unit": "us"}]}. Run with Debian's interpreter: /usr/bin/python3.
"""
import argparse
import json
import os
import statistics
import time

import torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--tokens", default="1,128,1024,4096")
    parser.add_argument("--min_time", type=float, default=0.5)
    parser.add_argument("--repetitions", type=int, default=5)
    args = parser.parse_args()
    shapes = [(768, 768), (3072, 768), (768, 3072)]
    out = []
    for threads in [int(t) for t in args.threads.split(",")]:
        torch.set_num_threads(threads)
        for m, n in shapes:
            gen = torch.Generator().manual_seed(0)
            w = torch.randn(m, n, generator=gen) / n ** 0.5
            b = torch.randn(m, generator=gen)
            for tokens in [int(t) for t in args.tokens.split(",")]:
                x = torch.randn(tokens, n, generator=gen)
                with torch.inference_mode():
                    torch.nn.functional.linear(x, w, b)
                    samples = []
                    for _ in range(args.repetitions):
                        calls, start = 0, time.perf_counter()
                        while True:
                            torch.nn.functional.linear(x, w, b)
                            calls += 1
                            elapsed = time.perf_counter() - start
                            if elapsed >= args.min_time / args.repetitions:
                                break
                        samples.append(elapsed / calls * 1e6)
                out.append({"name": f"dense/pytorch/out:{m}/in:{n}/tokens:{tokens}/threads:{threads}",
                            "real_time": statistics.median(samples), "time_unit": "us"})
    context = {"torch_version": torch.__version__, "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
               "load_avg": list(os.getloadavg())}
    print(json.dumps({"context": context, "benchmarks": out}, indent=1))


if __name__ == "__main__":
    main()
