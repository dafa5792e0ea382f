"""Renderers against the 1-nearest-neighbour lookup, paired on the bench's own held-out v.

    python benchmarks/renderer_vs_lookup.py --data data/fdd32 RUN [RUN ...]

The bench reports each row's interval on its own; this compares a renderer with the lookup on the same v: the
difference of their coverage-matched IoU gains over shuffled pairs and of their retrieval top-1, with 95%
bootstrap intervals over the held-out v resampled together (a paired interval, narrower than two rows' side by
side). The per-v scores are the bench's own (``FractalCorrespondence.per_v_scores``, same settings, ``--seed`` and
ceiling), so each run's own figures equal its bench row. Prints a markdown table.
"""

from __future__ import annotations

import argparse

from gans.bench.distribution import UnitRange
from gans.bench.run import fractal_evaluation
from gans.bench.settings import BenchSettings
from gans.data.loading import load_data
from gans.metrics import defaults
from gans.metrics.direct import normalised_gain
from gans.metrics.uncertainty import bootstrap_interval
from gans.training.runs import load_run


def gain(scores: dict) -> float:
    return normalised_gain(scores["iou_matched"].mean(), scores["iou_matched_shuffled"].mean())


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="run folders of models that take v (a bench's, or an export)")
    parser.add_argument("--data", required=True, help="the bench's data set")
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0, help="the bench's --seed")
    args = parser.parse_args(argv)
    settings = BenchSettings(data=args.data, image_size=args.image_size, seed=args.seed, progress=False)
    data = load_data("fractal", args.data, args.image_size, progress=False)
    fractal = fractal_evaluation(settings, data, args.data, UnitRange(data.images))
    v = fractal.held_out_v[: len(fractal.held_out_direct)]
    lookup = fractal.per_v_scores(fractal.lookup_images())
    print(f"\n{len(v)} held-out v (stream seed of the bench), lookup over {len(fractal.attractors)} attractors: "
          f"gain {gain(lookup):.3f}, top-1 {lookup['retrieval'].mean():.3f}\n")
    print("| run | cIoU gain | minus the lookup's [95% CI, paired] | top-1 of 10 | minus the lookup's [95% CI, paired] |")
    print("| --- | --- | --- | --- | --- |")
    for run_dir in args.runs:
        model = fractal.per_v_scores(load_run(run_dir).generate_for_v(v, args.seed))
        arrays = [model["iou_matched"], model["iou_matched_shuffled"], lookup["iou_matched"], lookup["iou_matched_shuffled"]]
        gain_difference = bootstrap_interval(
            lambda mp, ms, lp, ls: normalised_gain(mp.mean(), ms.mean()) - normalised_gain(lp.mean(), ls.mean()),
            *arrays, resamples=defaults.BOOTSTRAP_RESAMPLES, seed=args.seed)
        hit_difference = bootstrap_interval(lambda m, lk: m.mean() - lk.mean(), model["retrieval"], lookup["retrieval"],
                                            resamples=defaults.BOOTSTRAP_RESAMPLES, seed=args.seed)
        print(f"| {run_dir} | {gain(model):.3f} | {gain_difference.estimate:+.3f} [{gain_difference.low:+.3f}, "
              f"{gain_difference.high:+.3f}] | {model['retrieval'].mean():.3f} | {hit_difference.estimate:+.3f} "
              f"[{hit_difference.low:+.3f}, {hit_difference.high:+.3f}] |")


if __name__ == "__main__":
    main()
