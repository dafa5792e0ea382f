"""Wall time of one ``gans bench``, trained here and trained on a dask.distributed LocalCluster, side by side.

    python benchmarks/bench_cluster.py --workers 2 --repeats 2 -- --quick --models dcgan,gan,cdcgan,lsd

Everything after ``--`` goes to ``gans bench`` unchanged (``--out`` and ``--runs`` are set here, fresh for
every run, so nothing is reused). The local bench trains with torch's threads (all cores); the cluster
has ``--workers`` processes of one thread each, as ``dask worker --nthreads 1`` would. The two take
turns ``--repeats`` times; each one's best wall time is reported. Both tables must agree but for their
timing columns: the script says when they do not.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TIMING = ("train_s", "images_per_s")


def bench(args: list[str], out: Path) -> tuple[float, list[dict]]:
    """Seconds one ``gans bench`` took, and its table without the timing columns."""
    command = [sys.executable, "-m", "gans", "bench", *args, "--out", str(out), "--runs", str(out / "runs"),
               "--no-progress"]
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    table = next(out.glob("*/table.csv"))
    with open(table, newline="") as handle:
        return seconds, [{k: v for k, v in row.items() if k not in TIMING} for row in csv.DictReader(handle)]


def cpu() -> str:
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), "?")
    flags = next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), [])
    return f"{model} ({os.cpu_count()} cores; {' '.join(f for f in ('avx2', 'avx512f', 'amx_tile') if f in flags)})"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("bench_args", nargs="*", help="gans bench's arguments (after --)")
    args = parser.parse_args(argv)
    from distributed import LocalCluster

    load = os.getloadavg()[0]
    times = {"here": [], "cluster": []}
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, tempfile.TemporaryDirectory() as tmp:
        tables = {}
        for repeat in range(args.repeats):
            for where, extra in (("here", []), ("cluster", ["--scheduler", cluster.scheduler_address])):
                seconds, tables[where] = bench([*args.bench_args, *extra], Path(tmp) / f"{where}-{repeat}")
                times[where].append(seconds)
    print(f"{cpu()}; load average {load:.2f} before, {os.getloadavg()[0]:.2f} after")
    print(f"gans bench {' '.join(args.bench_args)}; best of {args.repeats}")
    print("| where the models train | wall time |\n| --- | --- |")
    print(f"| this process (torch threads: {os.cpu_count()}) | {min(times['here']):.1f} s |")
    print(f"| LocalCluster, {args.workers} workers x 1 thread | {min(times['cluster']):.1f} s |")
    same = tables["here"] == tables["cluster"]
    print("the two tables agree but for the timing columns" if same else "THE TABLES DIFFER")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
