"""Command line: ``python -m experiments list | run NAME|all [--quick] [--out DIR] [--resume]``."""

from __future__ import annotations

import argparse
import sys

import experiments
from experiments.runner import run


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m experiments",
        description="Measure forward- vs reverse-mode AD and write publishable reports.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the experiments")
    runp = sub.add_parser("run", help="run an experiment (or all) and write its report")
    runp.add_argument("name", help=f"one of: {', '.join(experiments.NAMES)}, or all")
    runp.add_argument("--quick", action="store_true",
                      help="small grids and few repeats (minutes for all on 2 cores)")
    runp.add_argument("--out", default=None,
                      help="report root (default: reports/, or reports-quick/ with --quick)")
    runp.add_argument("--resume", action="store_true",
                      help="keep the points already in data.csv and measure only the rest")
    runp.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    runp.add_argument("--threads", type=int, default=1,
                      help="BLAS threads during measurements (default 1; 0 = leave as is)")
    args = parser.parse_args(argv)

    if args.command == "list":
        for name, module in experiments.catalogue().items():
            print(f"{name:18s} {module.QUESTION}")
        return 0
    names = experiments.NAMES if args.name == "all" else (args.name,)
    if args.name != "all" and args.name not in experiments.NAMES:
        parser.error(f"unknown experiment {args.name!r}; choose from "
                     f"{', '.join(experiments.NAMES)} or all")
    out = args.out or ("reports-quick" if args.quick else "reports")
    for name in names:
        run(name, quick=args.quick, out=out, resume=args.resume, seed=args.seed,
            threads=args.threads or None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
