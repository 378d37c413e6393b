"""Command line: ``python -m experiments list | run NAME|all [--quick] [--out DIR] [--resume]
[--scheduler ADDRESS | --workers N]``."""

from __future__ import annotations

import argparse
import contextlib
import sys

import experiments
from experiments.harness import distributed
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
    cluster = runp.add_mutually_exclusive_group()
    cluster.add_argument("--scheduler", metavar="ADDRESS",
                         help=("measure the points on the workers of the running dask scheduler "
                               "at ADDRESS (e.g. tcp://host:8786); needs the distributed extra"))
    cluster.add_argument("--workers", type=int, metavar="N",
                         help=("measure the points on a local dask cluster of N worker "
                               "processes, one thread each; needs the distributed extra"))
    args = parser.parse_args(argv)

    if args.command == "list":
        for name, module in experiments.catalogue().items():
            print(f"{name:18s} {module.QUESTION}")
        return 0
    names = experiments.NAMES if args.name == "all" else (args.name,)
    if args.name != "all" and args.name not in experiments.NAMES:
        parser.error(f"unknown experiment {args.name!r}; choose from "
                     f"{', '.join(experiments.NAMES)} or all")
    if args.workers is not None and args.workers < 1:
        parser.error(f"--workers must be at least 1, got {args.workers}")
    out = args.out or ("reports-quick" if args.quick else "reports")
    threads = args.threads or None
    with _client(parser, args.scheduler, args.workers, threads) as client:
        for name in names:
            run(name, quick=args.quick, out=out, resume=args.resume, seed=args.seed,
                threads=threads, client=client)
    return 0


def _client(parser, scheduler, workers, threads):
    """A dask client for --scheduler/--workers (one for all experiments), else no client."""
    if scheduler is None and workers is None:
        return contextlib.nullcontext()
    try:
        distributed.require()
    except ImportError as exc:
        parser.error(str(exc))
    return distributed.connect(scheduler=scheduler, workers=workers, threads=threads)


if __name__ == "__main__":
    sys.exit(main())
