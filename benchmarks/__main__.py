"""Run the benchmark suite: ``python -m benchmarks [--quick] [--only accuracy,speed,real,strata,linkage,model_choice]
[--render]``.

Run from the project root.  Full results go to ``benchmarks/results/``, quick ones to ``benchmarks/results/quick/``
(so a quick run never overwrites the committed full results).  ``--render`` only regenerates the Markdown and PNG
files from the JSON already there.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time

from benchmarks import _common as C

BENCHMARKS = {
    "accuracy": "benchmarks.accuracy",
    "speed": "benchmarks.speed",
    "real": "benchmarks.real_data",
    "strata": "benchmarks.strata_scale",
    "linkage": "benchmarks.linkage_accuracy",
    "model_choice": "benchmarks.model_choice",
}
FILE_NAMES = {"accuracy": "accuracy", "speed": "speed", "real": "real_data", "strata": "strata_scale",
              "linkage": "linkage_accuracy", "model_choice": "model_choice"}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer replicates and shorter chains (≤ 5 min on 2 cores); results/quick/")
    parser.add_argument("--only", default=",".join(BENCHMARKS),
                        help=f"comma-separated subset of {', '.join(BENCHMARKS)} (default: all)")
    parser.add_argument("--render", action="store_true", help="only regenerate .md/.png from the existing .json")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {', '.join(BENCHMARKS)}")
    start = time.perf_counter()
    for name in chosen:
        module = importlib.import_module(BENCHMARKS[name])
        path = C.results_dir(args.quick) / f"{FILE_NAMES[name]}.json"
        if args.render:
            if not path.exists():  # e.g. --render --quick after a quick run of some benchmarks only
                log(f"{name}: no {path} to render; skipped")
                continue
            written = C.render(path, module.markdown, getattr(module, "plot", None))
        else:
            log(f"{name}: start ({'quick' if args.quick else 'full'} run)")
            t = time.perf_counter()
            result = module.run(args.quick, log=log)
            written = C.write_result(FILE_NAMES[name], result, args.quick, module.markdown,
                                     getattr(module, "plot", None))
            log(f"{name}: done in {time.perf_counter() - t:.0f} s")
        for kind, file in written.items():
            print(f"{name}: {kind} {file}")
    from benchmarks import summary

    print(f"summary: md {summary.write(C.results_dir(args.quick))}")
    log(f"all done in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
