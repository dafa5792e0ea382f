"""Speed of ``fractaldream build`` against the datashader gallery's pipeline, side by side in one run.

    python benchmarks/build_speed.py                          # every figure, at the defaults below
    python benchmarks/build_speed.py --n 300 --skip-scaling --skip-memory --skip-fidelity
    NUMBA_CPU_NAME=haswell NUMBA_CPU_FEATURES= NUMBA_CACHE_DIR=/tmp/numba-avx2 python benchmarks/build_speed.py ...

The last form compiles the kernels for AVX2 + FMA (no AVX-512) on any x86-64 machine that has them,
in a cache of their own; the ISA line says which code actually ran: numba's target, the widest
vector register in the kernels' code and whether it uses any AVX-512 instruction.

Figures (the best of ``--repeat`` measurements each; CPU-bound work on a shared machine only ever
runs slower than it can):

1. kernel: ns per point-iteration of the lockstep float32 kernels (64 chaotic attractors in
   lockstep), of the whole survey pass on a chunk of candidates, and of the scalar float64 loop,
   each also as a multiple of the bare iteration;
2. throughput at ``--size`` and ``--points``, one worker, PNG written, one palette: images per
   second of CPU time (both run in this process) of the reference pipeline (scalar float64 numba
   loop -> pandas DataFrame -> ``Canvas.points`` -> ``tf.shade(how="eq_hist")`` -> PNG) on vectors
   of the data set, and of ``build_dataset`` (which also pays for every rejected candidate), and
   their ratio; also images/s per core of a build at ``--small-size`` (the size the GAN bench
   trains on);
3. parallel scaling: ``--workers 2`` against ``--workers 1``, in steady state (the throughput between
   builds of two sizes, which cancels the fixed cost of starting the process pool) and for whole builds;
4. memory: peak RSS of ``fractaldream build`` (the process and its workers together) for two
   sizes of build, to show it does not grow with n;
5. fidelity: median IoU of the occupancy masks of the float32 and float64 renders of
   ``--fidelity-vectors`` accepted vectors over the float64 orbit's box.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np


def best_rate(measure, repeat: int) -> float:
    return max(measure() for _ in range(repeat))


def best_cpu_seconds(run, repeat: int) -> float:
    """Least CPU time of ``repeat`` runs (the time other processes took the core away is not counted)."""
    durations = []
    for _ in range(repeat):
        start = time.process_time()
        run()
        durations.append(time.process_time() - start)
    return min(durations)


def kernel_figures(repeat: int) -> dict[str, float]:
    """ns per point-iteration of each lockstep kernel (64 chaotic lanes), of a whole survey, and of the float64 loop."""
    from fractaldream import lockstep
    from fractaldream.attractor import trajectory
    from fractaldream.render import iterate_batch
    from fractaldream.settings import RenderSettings
    from fractaldream.sample import sample_parameters

    candidates = sample_parameters(0, 0, 256, (-1.0, 1.0), (-3.0, 3.0))
    judged = iterate_batch(candidates, RenderSettings(size=32, points=50_000, min_coverage=0.05), draw_cycles=False)
    chaotic = np.array([a.params for a in judged if a.ok][:64])
    bounds = np.array([a.bounds for a in judged if a.ok][:64])
    steps = 200_000

    def per_point(run, lanes_count=len(chaotic), iterations=steps):
        return best_cpu_seconds(run, repeat) / (iterations * lanes_count) * 1e9

    lanes = lockstep.Lanes(chaotic)
    tail = lockstep.aligned_zeros((2, lockstep.TAIL, lanes.width), np.float32)
    chunk, chunk_points = candidates[:128], 1_000_000
    return {
        "iterate only (float32 lockstep)": per_point(lambda: lockstep.run_free(*lanes.map_args, steps)),
        "survey kernel: iterate + bounding box":
            per_point(lambda: lockstep.run_bounds(*lanes.map_args, *lanes.box_args, steps, tail, 0, 2**62)),
        "survey pass per candidate-point (128 candidates, 1M points)":
            per_point(lambda: lockstep.survey(chunk, chunk_points, 100), len(chunk), chunk_points),
        "aggregate pass: iterate + bin + count (128x128, 1M points)":
            per_point(lambda: lockstep.aggregate(chaotic, bounds, chunk_points, 0, 128), iterations=chunk_points),
        "float64 scalar loop (reference)": per_point(lambda: trajectory(*chaotic[0], steps, 0), lanes_count=1),
    }


def reference_images_per_s(vectors, size: int, points: int, burn_in: int, folder: Path) -> float:
    """The gallery's pipeline, one image per vector, written as PNG; per second of this process's CPU time."""
    import datashader as ds
    import pandas as pd
    from datashader import transfer_functions as tf

    from fractaldream.attractor import trajectory
    from fractaldream.shade import BACKGROUND, HOW, PALETTES

    trajectory(*vectors[0], 10, 0)  # compile outside the timing
    start = time.process_time()
    for k, v in enumerate(vectors):
        xs, ys = trajectory(*v, points, burn_in)
        frame = pd.DataFrame({"x": xs, "y": ys})
        agg = ds.Canvas(plot_width=size, plot_height=size).points(frame, "x", "y")
        image = tf.set_background(tf.shade(agg, cmap=PALETTES["blue"], how=HOW), BACKGROUND)
        image.to_pil().convert("RGB").save(folder / f"{k:07d}.png")
    return len(vectors) / (time.process_time() - start)


def build_seconds(n: int, workers: int, folder: Path, palettes=("blue",), clock=time.perf_counter, **settings) -> float:
    from fractaldream.build import build_dataset
    from fractaldream.settings import BuildSettings

    out = Path(tempfile.mkdtemp(dir=folder))
    start = clock()
    build_dataset(out, n, BuildSettings(palettes=palettes, **settings), workers=workers, progress=False)
    return clock() - start


def build_images_per_s(n: int, folder: Path, palettes=("blue",), **settings) -> float:
    """Images per second of CPU time of a one-worker build (it runs in this process): the figure per
    core, which other processes on a shared machine cannot lower as they lower wall-clock rates."""
    return n * len(palettes) / build_seconds(n, 1, folder, palettes, clock=time.process_time, **settings)


def peak_rss_mib(command: list[str]) -> float:
    """Peak of the summed RSS of a command and all its child processes, sampled every 10 ms."""
    import psutil

    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    root, peak = psutil.Process(process.pid), 0
    while process.poll() is None:
        total = 0
        try:
            for member in [root, *root.children(recursive=True)]:
                total += member.memory_info().rss
        except psutil.Error:
            pass
        peak = max(peak, total)
        time.sleep(0.01)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {process.stderr.read().decode()}")
    return peak / 2**20


def accepted_vectors(count: int, size: int, points: int, burn_in: int) -> np.ndarray:
    """The first ``count`` vectors of seed 1 that a build accepts (the fast path judges them)."""
    from fractaldream.render import iterate_batch
    from fractaldream.settings import RenderSettings
    from fractaldream.sample import sample_parameters

    settings = RenderSettings(size=size, points=points, burn_in=burn_in, min_coverage=0.05)
    accepted, first = [], 0
    while len(accepted) < count:
        batch = sample_parameters(1, first, 128, (-1.0, 1.0), (-3.0, 3.0))
        accepted += [a.params for a in iterate_batch(batch, settings, draw_cycles=False) if a.ok]
        first += 128
    return np.array(accepted[:count])


def file_creation_ms(folder: Path, count: int = 300) -> float:
    """System time to create one new (empty) file in ``folder``: it varies from file system to file system."""
    start = os.times()
    for k in range(count):
        os.close(os.open(folder / f"probe{k}", os.O_WRONLY | os.O_CREAT, 0o644))
    spent = os.times()
    for k in range(count):
        os.unlink(folder / f"probe{k}")
    return (spent.system - start.system + spent.user - start.user) / count * 1e3


def machine() -> str:
    try:
        lines = subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()
        keep = ("Model name", "CPU(s):", "Thread(s) per core", "L2 cache", "L3 cache", "Flags")
        info = {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in lines if ":" in line)}
        flags = [f for f in info.get("Flags", "").split() if f in ("avx2", "fma", "avx512f")]
        return (f"{info.get('Model name', '?')}, {info.get('CPU(s)', '?')} CPUs, L2 {info.get('L2 cache', '?')}, "
                f"L3 {info.get('L3 cache', '?')}, {' '.join(flags)}")
    except (OSError, ValueError):
        return "unknown machine"


def isa() -> str:
    """The numba target the kernels are compiled for, and what their machine code uses.

    A copy of the survey kernel is compiled without the cache (numba does not show cached code);
    it is compiled for the same target, with the same options, as the cached kernels.
    """
    import llvmlite.binding as llvm
    import numba
    from numba.core import config

    from fractaldream import lockstep

    cpu = config.CPU_NAME or llvm.get_host_cpu_name()
    features = llvm.get_host_cpu_features().flatten() if config.CPU_FEATURES is None else config.CPU_FEATURES
    enabled = {f[1:] for f in features.split(",") if f.startswith("+")}
    named = " ".join(f"+{f}" for f in ("avx2", "fma", "avx512f") if f in enabled) or "the features its name implies"
    chosen = ", ".join(f"{k}={v!r}" if len(v) < 60 else f"{k}=({v.count(',') + 1} features, last {v.split(',')[-1]!r})"
                       for k, v in sorted(os.environ.items()) if k in ("NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES"))

    probe = numba.njit(nogil=True, error_model="numpy")(lockstep.run_bounds.py_func)
    lanes = lockstep.Lanes(np.zeros((16, 6)))
    probe(*lanes.map_args, *lanes.box_args, 1, lockstep.aligned_zeros((2, lockstep.TAIL, 16), np.float32), 0, 0)
    code = probe.inspect_asm(probe.signatures[0])
    widths = {"zmm": 512, "ymm": 256, "xmm": 128}
    used = [bits for name, bits in widths.items() if re.search(rf"vfmadd\w*ps\s.*%{name}", code)]
    evex = re.search(r"%zmm|%[xy]mm(1[6-9]|2\d|3[01])\b|%k[1-7]\b", code) is not None
    vectors = f"{used[0]}-bit vectors ({used[0] // 32} float32 lanes an instruction)" if used else "no x86 vector FMA"
    return (f"numba target {cpu!r}, {named} ({chosen or 'numba default: the host'}); kernel code: {vectors}, "
            f"{'with' if evex else 'no'} AVX-512 (EVEX) instructions")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=600, help="attractors per timed build")
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--burn-in", type=int, default=100)
    parser.add_argument("--reference-n", type=int, default=20, help="images made by the reference pipeline")
    parser.add_argument("--small-size", type=int, default=32, help="image size of the figure at the bench's size")
    parser.add_argument("--small-n", type=int, default=1000, help="attractors per timed build at --small-size")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many measurements")
    parser.add_argument("--scaling-n", type=int, nargs=2, default=(300, 2400),
                        help="the two build sizes of the scaling figure")
    parser.add_argument("--memory-n", type=int, nargs=2, default=(200, 1000), help="two build sizes for peak RSS")
    parser.add_argument("--fidelity-vectors", type=int, default=100)
    parser.add_argument("--out-dir", help="where the timed builds write (default: the system's temporary folder)")
    parser.add_argument("--skip-scaling", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-fidelity", action="store_true")
    args = parser.parse_args(argv)
    settings = dict(size=args.size, points=args.points, burn_in=args.burn_in)

    print(f"machine: {machine()}")
    print(f"ISA: {isa()}")
    print(f"python {sys.version.split()[0]}; {args.size}x{args.size}, {args.points:,} points, burn-in {args.burn_in}")
    print("\n1. kernel cost, ns per point-iteration (64 attractors in lockstep; float64: one at a time)")
    figures = kernel_figures(args.repeat)
    iterate_only = figures["iterate only (float32 lockstep)"]
    for name, ns in figures.items():
        print(f"   {name:62s} {ns:7.2f} ns  {ns / iterate_only:6.2f}x iterate only")

    with tempfile.TemporaryDirectory(dir=args.out_dir) as tmp:
        folder = Path(tmp)
        print(f"\nbuilds and reference images written under {folder}: "
              f"creating a file there costs {file_creation_ms(folder):.3f} ms of CPU")
        build_images_per_s(4, folder, **settings)  # numba caches loaded outside the timing
        ours = best_rate(lambda: build_images_per_s(args.n, folder, **settings), args.repeat)
        from fractaldream.store import read_params

        built = sorted(folder.iterdir())[-1]
        vectors = read_params(built / "params.csv")[["x0", "y0", "a", "b", "c", "d"]].to_numpy()[: args.reference_n]
        reference = best_rate(lambda: reference_images_per_s(vectors, args.size, args.points, args.burn_in,
                                                             Path(tempfile.mkdtemp(dir=folder))), args.repeat)
        three = best_rate(lambda: build_images_per_s(args.n // 3, folder, palettes=("blue", "orange", "green"),
                                                     **settings), args.repeat)
        print(f"\n2. throughput per CPU-second, one worker, PNG written, palette blue ({args.n} attractors per build)")
        print(f"   reference pipeline (float64 loop, DataFrame, Canvas.points, tf.shade): {reference:8.1f} images/s")
        print(f"   fractaldream build --workers 1:                                       {ours:8.1f} images/s")
        print(f"   ratio:                                                                {ours / reference:8.1f}x")
        print(f"   (with three palettes per attractor: {three:.1f} images/s)")
        bench_size = dict(settings, size=args.small_size)
        build_images_per_s(4, folder, **bench_size)
        per_core = best_rate(lambda: build_images_per_s(args.small_n, folder, **bench_size), args.repeat)
        print(f"   at {args.small_size}x{args.small_size} ({args.small_n} attractors per build): "
              f"{per_core:.1f} images/s per core")

        if not args.skip_scaling:
            small, large = args.scaling_n
            print(f"\n3. parallel scaling, palette blue (builds of {small} and {large} attractors)")
            rates = {}
            for workers in (1, 2):
                short = min(build_seconds(small, workers, folder, **settings) for _ in range(args.repeat))
                long = min(build_seconds(large, workers, folder, **settings) for _ in range(args.repeat))
                rates[workers] = ((large - small) / (long - short), large / long)
                print(f"   --workers {workers}: steady state {rates[workers][0]:7.1f} images/s, "
                      f"whole build of {large}: {rates[workers][1]:7.1f} images/s ({long:.1f} s)")
            print(f"   ratio 2 : 1 workers: steady state {rates[2][0] / rates[1][0]:.2f}x, "
                  f"whole build {rates[2][1] / rates[1][1]:.2f}x")

        if not args.skip_memory:
            print("\n4. peak RSS of `fractaldream build` (three palettes; the process and its workers together)")
            for workers in (1, 2):
                for n in args.memory_n:
                    command = [sys.executable, "-m", "fractaldream", "build", "--n", str(n), "--out",
                               tempfile.mkdtemp(dir=folder), "--size", str(args.size), "--points", str(args.points),
                               "--burn-in", str(args.burn_in), "--workers", str(workers)]
                    print(f"   --workers {workers} --n {n:6d}: {peak_rss_mib(command):7.1f} MiB")

    if not args.skip_fidelity:
        from fractaldream.render import occupancy_iou

        ious = occupancy_iou(accepted_vectors(args.fidelity_vectors, args.size, args.points, args.burn_in),
                             args.size, args.points, args.burn_in)
        print(f"\n5. fidelity over {len(ious)} accepted vectors: occupancy IoU float32 vs float64, "
              f"median {np.median(ious):.3f}, 10th percentile {np.percentile(ious, 10):.3f}, min {ious.min():.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
