"""The ceiling's learning curve: held-out score per identifiable target against distinct attractors seen.

    python benchmarks/ceiling_curve.py benchmarks/results/ceiling
    python benchmarks/ceiling_curve.py OUT --data data/fdd32            # the settings a folder was built with
    python benchmarks/ceiling_curve.py OUT --budgets 3000 10000 --held-out 2000 --points 20000

One ceiling (``gans.metrics.regressor``) per budget, trained on the stream's first attractors as
``curve_configs`` says (each attractor seen ``passes`` times, at least ``--min-images`` images in all)
and scored on the same held-out attractors of the stream, with 95% bootstrap intervals over them.
``--also-passes P`` also trains ``--also-budgets`` (default: the two largest) with P passes. Paired
comparisons on the same held-out attractors then separate the two things a larger budget changes:
more passes over the same attractors, and more attractors for the same number of images seen.
``--seeds S...`` retrains the curve's ``--seed-budget`` with other training seeds: the bootstrap
intervals cover the held-out sample only, these show how far retraining moves a score.
Every ceiling lands in the gans cache, so ``gans bench`` and ``gans metrics regressor`` reuse them.
Writes ``ceiling_curve.json`` and ``ceiling_curve.png`` into OUT; prints the machine and the command.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch

from fractaldream.dataset import build_settings_of
from fractaldream.identifiable import SIGN_TARGETS, TARGETS, identifiable_targets
from fractaldream.settings import BuildSettings
from gans.metrics import defaults
from gans.metrics.regressor import HELD_OUT_FIRST_CHUNK, ceilings, curve_configs, score_statistics, stream_segment
from gans.metrics.uncertainty import bootstrap_intervals
from build_speed import isa  # the benchmarks folder is the script's own: the builder's ISA report

#: Where the render rate is timed: a stream segment that neither training nor the held-out set reaches.
RATE_FIRST_CHUNK = 2 * HELD_OUT_FIRST_CHUNK


def machine() -> str:
    """The CPU, its cores, and the ISA the render kernels use."""
    with open("/proc/cpuinfo") as info:
        model = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), "?")
    return f"{model}, {os.cpu_count()} cores; {isa()}"


def render_rate(build: BuildSettings, image_size: int, attractors: int, workers: int) -> float:
    stream_segment(build, image_size, RATE_FIRST_CHUNK, 8, 0)  # compile the kernels first
    started = time.perf_counter()
    stream_segment(build, image_size, RATE_FIRST_CHUNK, attractors, workers)
    return attractors / (time.perf_counter() - started)


def paired_gain(before, after, images, targets) -> dict[str, list[float]]:
    """Each score of ``after`` minus ``before`` on the same held-out attractors: (estimate, low, high) of a paired
    bootstrap, far tighter than comparing two intervals, as both see the same attractors."""
    def gain(p, q, t):
        first, second = score_statistics(p, t), score_statistics(q, t)
        return {key: second[key] - first[key] for key in first}

    intervals = bootstrap_intervals(gain, before.predict(images), after.predict(images), targets,
                                    resamples=defaults.BOOTSTRAP_RESAMPLES)
    return {key: [i.estimate, i.low, i.high] for key, i in intervals.items()}


def comparisons(points: list[dict]) -> list[tuple[int, int, str]]:
    """(before, after, what changes): neighbouring budgets of the curve; other passes over the same attractors;
    more attractors for the same number of images seen; another training seed."""
    curve = [k for k, p in enumerate(points) if p["kind"] == "curve"]
    pairs = [(k, m, "curve") for k, m in zip(curve, curve[1:])]
    for m, p in enumerate(points):
        for k, q in enumerate(points):
            if k != m and p["kind"] == "also" and q["kind"] == "curve" and q["attractors"] == p["attractors"]:
                pairs.append((k, m, "same attractors, other passes"))
            if q["attractors"] < p["attractors"] and q["images"] == p["images"]:
                pairs.append((k, m, "more attractors, same images"))
            if p["kind"].startswith("seed") and q["kind"] == "curve" and q["attractors"] == p["attractors"]:
                pairs.append((k, m, "another training seed"))
    return pairs


def point(ceiling, kind: str) -> dict:
    config, held_out = ceiling.config, ceiling.held_out
    images = config["passes"] * (config["attractors"] // config["batch_size"]) * config["batch_size"]
    return {"kind": kind, "attractors": config["attractors"], "passes": config["passes"], "seed": config["seed"],
            "images": images,
            "train_seconds": round(ceiling.train_seconds, 1), "held_out_n": held_out.n,
            "r2": {t: [i.estimate, i.low, i.high] for t, i in held_out.r2.items()},
            "accuracy": {t: [i.estimate, i.low, i.high] for t, i in held_out.accuracy.items()},
            "path": str(ceiling.path)}


def _errorbars(axis, x, triples, **style) -> None:
    """(estimate, low, high) triples at x, as points with their intervals."""
    estimate, low, high = (np.array([t[i] for t in triples]) for i in range(3))
    axis.errorbar(x, estimate, yerr=[estimate - low, high - estimate], capsize=3, **style)


def plot(points: list[dict], title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    curve = [p for p in points if p["kind"] == "curve"]
    also = [p for p in points if p["kind"] == "also"]
    seeds = [p for p in points if p["kind"].startswith("seed")]
    x = [p["attractors"] for p in curve]
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.4), gridspec_kw={"width_ratios": [2, 1]})
    for k, target in enumerate(TARGETS):
        label = target + (" (+-1 target)" if target in SIGN_TARGETS else "")
        _errorbars(left, x, [p["r2"][target] for p in curve], marker="o", color=f"C{k}", label=label)
        for p in also:
            _errorbars(left, [p["attractors"] * 1.12], [p["r2"][target]], marker="s", mfc="white", color=f"C{k}",
                       label=f"hollow: {p['passes']} passes" if k == 0 else None)
        for n, p in enumerate(seeds):
            left.plot([p["attractors"] * 0.9], [p["r2"][target][0]], marker="x", color=f"C{k}",
                      label="x: other training seeds" if k == 0 and n == 0 else None)
    for target in SIGN_TARGETS:
        _errorbars(right, x, [p["accuracy"][target] for p in curve], marker="o", color="C2", label=f"{target} accuracy")
        for p in also:
            _errorbars(right, [p["attractors"] * 1.12], [p["accuracy"][target]], marker="s", mfc="white", color="C2",
                       label=f"hollow: {p['passes']} passes")
        for p in seeds:
            right.plot([p["attractors"] * 0.9], [p["accuracy"][target][0]], marker="x", color="C2")
    right.axhline(0.5, color="grey", ls=":", label="chance")
    left.set(title="R^2 per identifiable target", ylabel="held-out R^2")
    right.set(title="sign(a b) accuracy", ylabel="held-out accuracy")
    for axis in (left, right):
        axis.set(xscale="log", xlabel="distinct attractors seen in training")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for ceiling_curve.json and ceiling_curve.png")
    parser.add_argument("--data", type=Path, help="a built FDD folder: use its build settings (else the flags below)")
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--palettes", nargs="+", default=["blue"])
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--budgets", type=int, nargs="+", default=list(defaults.CEILING_CURVE))
    parser.add_argument("--held-out", type=int, default=defaults.CEILING_HELD_OUT)
    parser.add_argument("--min-images", type=int, default=defaults.CEILING_CURVE_MIN_IMAGES)
    parser.add_argument("--passes", type=int, default=defaults.REGRESSOR["passes"])
    parser.add_argument("--also-passes", type=int, default=None, help="also train --also-budgets with this many passes")
    parser.add_argument("--also-budgets", type=int, nargs="+", default=None, help="default: the two largest budgets")
    parser.add_argument("--seeds", type=int, nargs="+", default=[], help="other training seeds for --seed-budget")
    parser.add_argument("--seed-budget", type=int, default=30_000)
    parser.add_argument("--render-workers", type=int, default=defaults.REGRESSOR["render_workers"])
    parser.add_argument("--threads", type=int, default=1, help="torch threads for training")
    parser.add_argument("--rate-attractors", type=int, default=2000, help="attractors the render rate is timed on")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    build = build_settings_of(args.data) if args.data else BuildSettings(size=args.size, points=args.points,
                                                                         palettes=tuple(args.palettes))
    command = "python " + shlex.join([sys.argv[0], *(argv if argv is not None else sys.argv[1:])])
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}; {args.threads} torch threads")
    print(f"command: {command}")
    print(f"render settings: {build}; image size {args.image_size}")

    config = {"passes": args.passes, "render_workers": args.render_workers}
    rate = render_rate(build, args.image_size, args.rate_attractors, args.render_workers)
    print(f"render rate: {rate:,.0f} accepted attractors/s with {args.render_workers} rendering processes "
          f"({args.rate_attractors:,} attractors)")
    budgets = sorted(args.budgets)
    also = sorted(args.also_budgets or budgets[-2:]) if args.also_passes else []
    seeded = [args.seed_budget] * len(args.seeds)
    kinds = ["curve"] * len(budgets) + ["also"] * len(also) + [f"seed {seed}" for seed in args.seeds]
    configs = (curve_configs(budgets, config, args.min_images) + [{**config, "passes": args.also_passes}] * len(also)
               + [{**c, "seed": seed} for c, seed in zip(curve_configs(seeded, config, args.min_images), args.seeds)])
    started = time.perf_counter()
    trained = ceilings(build, args.image_size, budgets + also + seeded, args.held_out, configs, progress=True)
    points = [point(ceiling, kind) for ceiling, kind in zip(trained, kinds)]
    print(f"\nheld-out R^2 per target (95% bootstrap interval over {args.held_out:,} held-out attractors); "
          f"sign(a b) also as accuracy")
    print(f"{'point':>7s} {'attractors':>10s} {'passes':>6s} {'train s':>8s}  "
          + "  ".join(f"{t:>19s}" for t in TARGETS) + "  " + "  ".join(f"{t + ' acc':>19s}" for t in SIGN_TARGETS))
    for p in points:
        cells = [f"{e:6.3f} [{lo:5.3f},{hi:5.3f}]" for e, lo, hi in (*p["r2"].values(), *p["accuracy"].values())]
        print(f"{p['kind']:>7s} {p['attractors']:>10,} {p['passes']:>6d} {p['train_seconds']:>8.0f}  "
              + "  ".join(cells))

    # The held-out attractors every point was scored on, again, for paired comparisons.
    test_images, test_v = stream_segment(build, args.image_size, HELD_OUT_FIRST_CHUNK, args.held_out,
                                         args.render_workers)
    test_targets = identifiable_targets(test_v)
    gains = []
    print("\npaired gains (after - before, same held-out attractors, 95% paired bootstrap interval)")
    for before, after, why in comparisons(points):
        gain = paired_gain(trained[before], trained[after], test_images, test_targets)
        b, a = points[before], points[after]
        gains.append({"comparison": why, "before": [b["attractors"], b["passes"]],
                      "after": [a["attractors"], a["passes"]], "gain": gain})
        print(f"{b['attractors']:>7,} x {b['passes']:>2d} -> {a['attractors']:>7,} x {a['passes']:>2d} ({why}): "
              + ", ".join(f"{key} {e:+.3f} [{lo:+.3f}, {hi:+.3f}]" for key, (e, lo, hi) in gain.items()))
    args.out.mkdir(parents=True, exist_ok=True)
    result = {"machine": machine(), "load_average": os.getloadavg()[0], "command": command, "build": build.describe(0),
              "image_size": args.image_size,
              "render_rate_attractors_per_s": rate, "render_workers": args.render_workers,
              "torch_threads": args.threads, "min_images": args.min_images, "held_out_n": args.held_out,
              "seconds_this_run": round(time.perf_counter() - started, 1), "points": points, "paired_gains": gains,
              "sign_targets_scored_as": "R^2 of the +-1 target, and accuracy of its estimate's sign"}
    (args.out / "ceiling_curve.json").write_text(json.dumps(result, indent=1))
    title = (f"FDD ceiling at {args.image_size}x{args.image_size}: {build.points:,} points, palettes "
             f"{', '.join(build.palettes)}; held out n = {args.held_out:,}, 95% bootstrap intervals")
    plot(points, title, args.out / "ceiling_curve.png")
    print(f"wrote {args.out / 'ceiling_curve.json'} and {args.out / 'ceiling_curve.png'}")


if __name__ == "__main__":
    main()
