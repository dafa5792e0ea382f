"""FDD only: how well each model corresponds to the parameter vectors, measured against what an image determines.

- **Codes of real images** (``gans.bench.codes``) scored against the identifiable targets
  (``fractaldream.identifiable``: |a|, |b|, sign(a b), c, d) with probes, MIG, SAP and DCI, each with
  a bootstrap interval. Codes that are v itself (the generator is fed v) are correspondence by
  construction: their rows say so and get no numbers.
- **G(v) against FD(v)** for held-out v (fresh attractors from the stream, rendered as the data set
  was, none of them in it): plain IoU, the coverage-matched IoU and its normalised gain over shuffled
  pairs, retrieval of FD(v) among ``RETRIEVAL_CANDIDATES`` renders, and the ceiling's reading of G(v).
  Beside the models, the baselines a renderer must beat: an all-on image, a 1-nearest-neighbour
  lookup in the identifiable targets over the training set, and the training-set oracle.
- **Context rows**: the ceiling (a regressor trained on the stream, disjoint from the data set) and
  random / shuffled codes (the floor).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from fractaldream.identifiable import TARGETS, identifiable_targets
from fractaldream.settings import BuildSettings
from fractaldream.stream import FractalDreamStream
from gans.bench.codes import real_codes
from gans.bench.columns import Column
from gans.bench.distribution import UnitRange, rows_sample
from gans.data.pixels import unit
from gans.metrics import defaults
from gans.metrics.correspondence import held_out_mask, scores_on_split
from gans.metrics.direct import (
    all_on, coverage_matched_iou, derangement, nearest_neighbour_images, normalised_gain, occupancy_iou,
    oracle_images, retrieval_hits, smoothness, step_distances,
)
from gans.metrics.ffd import RegressorFeatures
from gans.metrics.mig import mig
from gans.metrics.regressor import ceiling_regressor
from gans.metrics.sap import sap
from gans.metrics.uncertainty import Interval, bootstrap_interval, bootstrap_intervals, mean_interval

#: The stream seeds of the held-out attractors (the ceiling trains on its own seed: see ``ceiling_regressor``).
HELD_OUT_SEED = 2

#: Codes of real images against the identifiable targets; per-target GBT-probe R^2 columns follow them.
PROBES = [Column("r2_linear_mean", "R2 lin"), Column("r2_nonlinear_mean", "R2 GBT")]
DISENTANGLEMENT = [Column("mig", "MIG"), Column("sap", "SAP"), Column("dci_disentanglement", "DCI D"),
                   Column("dci_completeness", "DCI C"), Column("dci_informativeness", "DCI I")]
#: How the codes were found: inversion's reconstruction error, the post-hoc encoder's training length.
CODE_QUALITY = [Column("inversion_mse", "inversion MSE"),
                Column("encoder_steps", "encoder steps", in_table=False, scored=False)]
#: G(v) against FD(v) on held-out v, and along v-paths.
DIRECT = [Column("iou", "IoU"), Column("iou_matched", "cIoU"), Column("iou_matched_shuffled", "cIoU shuffled"),
          Column("iou_matched_gain", "cIoU gain"), Column("retrieval", "top-1 of 10"),
          Column("r2_direct_mean", "R2 ceiling(G(v))"), Column("tracking", "path tracking"),
          Column("jumpiness_g", "path jumpiness")]
HIDDEN = [Column("iou_shuffled", "IoU shuffled", in_table=False), Column("jumpiness_fd", "FD jumpiness", in_table=False),
          Column("n_direct", "n v", in_table=False, scored=False)]


def shown(target: str) -> str:
    """abs_a -> abs(a) (a "|" would split a markdown table cell)."""
    return f"abs({target[4:]})" if target.startswith("abs_") else target


def columns() -> list[Column]:
    """Every column of this module, in table order."""
    per_target = [Column(f"r2_{t}", f"R2 {shown(t)}") for t in TARGETS]
    hidden = ([Column(f"r2_linear_{t}", f"R2 lin {shown(t)}", in_table=False) for t in TARGETS]
              + [Column(f"r2_direct_{t}", f"R2 ceiling(G(v)) {shown(t)}", in_table=False) for t in TARGETS])
    return PROBES + per_target + DISENTANGLEMENT + CODE_QUALITY + DIRECT + HIDDEN + hidden


def interval_columns(row: dict, intervals: dict[str, Interval]) -> dict:
    """``row`` with each interval as its estimate and ``<key>_low`` / ``<key>_high``."""
    for key, interval in intervals.items():
        row.update({key: interval.estimate, f"{key}_low": interval.low, f"{key}_high": interval.high})
    return row


def _fitted_scores(codes, targets, is_test) -> dict:
    scores = scores_on_split(codes, targets, is_test.astype(bool))
    row = {key: scores[key] for key in ("dci_disentanglement", "dci_completeness", "dci_informativeness")}
    row.update(r2_linear_mean=np.mean(scores["r2_linear"]), r2_nonlinear_mean=np.mean(scores["r2_nonlinear"]))
    row.update({f"r2_{t}": r2 for t, r2 in zip(TARGETS, scores["r2_nonlinear"])})
    row.update({f"r2_linear_{t}": r2 for t, r2 in zip(TARGETS, scores["r2_linear"])})
    return row


def code_scores(codes: np.ndarray, targets: np.ndarray, profile: dict, seed: int, resampled: bool = True) -> dict:
    """Probes, MIG, SAP and DCI of codes against the identifiable targets, each with its bootstrap interval
    (``resampled``), or only their values.

    The probes and DCI keep their split through the resamples (rows resampled within each side).
    """
    codes = np.asarray(codes, np.float64)
    is_test = held_out_mask(len(codes), seed=defaults.SEED)
    if not resampled:
        return {**_fitted_scores(codes, targets, is_test), "mig": mig(codes, targets), "sap": sap(codes, targets)}
    fitted = bootstrap_intervals(_fitted_scores, codes, targets, is_test, resamples=profile["dci_resamples"],
                                 seed=seed, strata=is_test)
    cheap = bootstrap_intervals(lambda c, t: {"mig": mig(c, t), "sap": sap(c, t)}, codes, targets,
                                resamples=profile["mig_resamples"], seed=seed)
    return interval_columns({}, {**fitted, **cheap})


def rows_of(candidates: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Up to n of the candidate rows, chosen at random, in order."""
    return np.sort(candidates[rows_sample(len(candidates), n, seed)])


def random_pairs(v: np.ndarray, n: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """n pairs of distinct rows of v, at random."""
    rng = np.random.default_rng(seed)
    return [tuple(v[rng.choice(len(v), 2, replace=False)]) for _ in range(n)]


class FractalCorrespondence:
    """The FDD evaluation of one bench: the ceiling, the held-out vectors, and the rows they score."""

    def __init__(self, settings, data, build: BuildSettings, real: UnitRange, log):
        self.settings, self.data, self.real, self.log = settings, data, real, log
        self.build = build  # how the data set was rendered: held-out attractors are rendered the same way
        self.profile = settings.profile
        self.raw_v = data.info.denormalize(data.targets.numpy().astype(np.float64))
        # One row per attractor (a multi-palette build repeats v), so no v sits on both sides of a split.
        self.attractors = np.unique(self.raw_v, axis=0, return_index=True)[1]
        self.ceiling = ceiling_regressor(build, settings.image_size, self.profile["ceiling_attractors"],
                                         progress=settings.progress)
        log("ceiling (held-out attractors of the stream): "
            + ", ".join(f"{shown(t)} {score:.2f}" for t, score in self.ceiling.scores.items()))
        self.features = RegressorFeatures(self.ceiling)
        held_out_images, self.held_out_v = self._held_out(max(self.profile["n_direct"], self.profile["n_generated"]))
        self.held_out = unit(held_out_images)
        self._paths = None

    def _held_out(self, n: int) -> tuple[torch.Tensor, np.ndarray]:
        """n fresh accepted attractors, rendered as the data set's images are (at the bench's image size)."""
        stream = FractalDreamStream(self.build, seed=HELD_OUT_SEED, palette=self.palette)
        images, v = stream.take(n)
        if self.build.size != self.settings.image_size:
            from PIL import Image

            from gans.data.loading import image_transform

            resize = image_transform(self.settings.image_size)
            images = torch.stack([resize(Image.fromarray(image.permute(1, 2, 0).numpy())) for image in images])
        return images, v

    @property
    def palette(self) -> str:
        return self.settings.palette or self.build.palettes[0]

    def held_out_real(self, n: int) -> torch.Tensor:
        """Real images none of which is in the data set: the distribution floor."""
        return self.held_out[:n]

    def sample_v(self, n: int, seed: int) -> np.ndarray:
        """n raw vectors of the data set's attractors (accepted ones: the data's support), at random."""
        return self.raw_v[rows_of(self.attractors, n, seed)]

    # -- rows ---------------------------------------------------------------------------------
    def context_rows(self) -> list[dict]:
        """The ceiling, random and shuffled codes on the coded rows; the renderer baselines on held-out v."""
        rows = rows_of(self.attractors, self.profile["n_codes"], self.settings.seed + 3)
        targets = identifiable_targets(self.raw_v[rows])
        predicted = self.ceiling.predict(self.real[rows])
        rng = np.random.default_rng(self.settings.seed)
        seed, profile = self.settings.seed, self.profile
        context = [
            {"model": "ceiling (regressor)", "codes": "ceiling(x)", "n_codes": len(rows),
             **code_scores(predicted, targets, profile, seed), **self._reading(self.held_out_direct)},
            {"model": "random codes (floor)", "codes": "N(0, I)", "n_codes": len(rows),
             **code_scores(rng.normal(size=predicted.shape), targets, profile, seed)},
            {"model": "shuffled codes (floor)", "codes": "ceiling(x) shuffled", "n_codes": len(rows),
             **code_scores(predicted[rng.permutation(len(rows))], targets, profile, seed)},
        ]
        return context + self.baseline_rows()

    def baseline_rows(self) -> list[dict]:
        """What a renderer G(v) must beat, on the same held-out v: all-on, lookup, oracle."""
        rendered = self.held_out_direct
        baselines = [
            ("all-on image (floor)", all_on(rendered)),
            ("1-NN lookup in targets", self.lookup_images()),
            ("training-set oracle", oracle_images(rendered, self.real[self.attractors])),
        ]
        return [{"model": name, "codes": "-", **self.renderer_scores(images)} for name, images in baselines]

    @property
    def held_out_direct(self) -> torch.Tensor:
        return self.held_out[: self.profile["n_direct"]]

    def lookup_images(self) -> torch.Tensor:
        """The lookup baseline's image for each held-out v: the data-set image nearest in the identifiable targets."""
        v = self.held_out_v[: len(self.held_out_direct)]
        return nearest_neighbour_images(v, self.raw_v[self.attractors], self.real[self.attractors])

    def per_v_scores(self, generated: torch.Tensor) -> dict[str, np.ndarray]:
        """Per held-out v: plain and coverage-matched IoU of G(v) with FD(v) and with its shuffled partner's FD, and
        whether G(v) retrieves FD(v) among ``RETRIEVAL_CANDIDATES``."""
        rendered, seed = self.held_out_direct, self.settings.seed
        partner = rendered[derangement(len(rendered), seed)]
        candidates = min(defaults.RETRIEVAL_CANDIDATES, len(rendered))
        return {"iou": occupancy_iou(generated, rendered), "iou_shuffled": occupancy_iou(generated, partner),
                "iou_matched": coverage_matched_iou(generated, rendered),
                "iou_matched_shuffled": coverage_matched_iou(generated, partner),
                "retrieval": retrieval_hits(generated, rendered, candidates, seed)}

    def renderer_scores(self, generated: torch.Tensor) -> dict:
        """G(v) against FD(v) for the held-out v, each score with its bootstrap interval."""
        scores, seed = self.per_v_scores(generated), self.settings.seed
        intervals = {key: mean_interval(scores[key], seed=seed) for key in ("iou", "iou_matched", "iou_matched_shuffled")}
        intervals["iou_matched_gain"] = bootstrap_interval(
            lambda p, s: normalised_gain(p.mean(), s.mean()), scores["iou_matched"], scores["iou_matched_shuffled"],
            resamples=defaults.BOOTSTRAP_RESAMPLES, seed=seed)
        intervals["retrieval"] = mean_interval(scores["retrieval"], seed=seed)
        row = interval_columns({"n_direct": len(generated), "iou_shuffled": float(scores["iou_shuffled"].mean())},
                               intervals)
        return {**row, **self._reading(generated)}

    def _reading(self, images: torch.Tensor) -> dict:
        """R^2 of the ceiling's reading of ``images`` against the identifiable targets of the held-out v."""
        from sklearn.metrics import r2_score

        targets = identifiable_targets(self.held_out_v[: len(images)])
        r2 = r2_score(targets, self.ceiling.predict(images), multioutput="raw_values")
        return {"r2_direct_mean": float(np.mean(r2)), **{f"r2_direct_{t}": float(x) for t, x in zip(TARGETS, r2)}}

    def direct(self, run) -> tuple[dict, tuple | None]:
        """G(v) against FD(v) and along v-paths, with the figure's pairs; nothing for a model without a place for v."""
        if not run.has_place_for_v:
            return {}, None
        seed = self.settings.seed
        generated = run.generate_for_v(self.held_out_v[: self.profile["n_direct"]], seed)
        scores = self.renderer_scores(generated)
        paths, rendered = self.paths()
        scores.update(smoothness([run.generate_for_v(path, seed) for path in paths], rendered))
        return scores, (self.held_out_direct[:8], generated[:8])

    def code_rows(self, run) -> list[dict]:
        """One row per way the model offers of getting codes of real images."""
        p, seed = self.profile, self.settings.seed
        # Over several training seeds the interval is the one across seeds (``gans.bench.seeds``): a within-run
        # bootstrap would refit each seed's forests dci_resamples times for an interval the table never shows.
        resampled = len(self.settings.training_seeds) == 1
        rows = []
        for method in run.model.code_methods:
            if method == "v":
                rows.append({"codes": "v (by construction)"})
                continue
            n = p["n_inversion"] if method == "inversion" else p["n_codes"]
            code_rows = rows_of(self.attractors, n, seed + 3)
            codes = real_codes(run, method, self.data.images[code_rows], self.raw_v[code_rows],
                               inversion_steps=p["inversion_steps"], inversion_restarts=p["inversion_restarts"],
                               encoder_max_steps=p["encoder_max_steps"], encoder_check_every=p["encoder_check_every"],
                               encoder_validation=p["encoder_validation"], progress=self.settings.progress)
            row = {"codes": method, "n_codes": len(code_rows), **codes.notes,
                   **code_scores(codes.values, identifiable_targets(self.raw_v[code_rows]), p, seed, resampled)}
            if "reconstruction_mse" in codes.per_image:
                row = interval_columns(row, {"inversion_mse": mean_interval(codes.per_image["reconstruction_mse"],
                                                                            seed=seed)})
            rows.append(row)
        return rows

    # -- v-paths ------------------------------------------------------------------------------
    def paths(self):
        """Straight raw-v paths between data-set vectors, and FD rendered along them (computed once)."""
        if self._paths is None:
            from fractaldream.interpolate import render_line

            settings = dataclasses.replace(self.build.render, size=self.settings.image_size)
            paths, rendered = [], []
            for start, end in random_pairs(self.raw_v[self.attractors], self.profile["paths"], self.settings.seed):
                _, attractors = render_line(start, end, self.profile["path_steps"], settings)
                paths.append(np.stack([attractor.params for attractor in attractors]))
                images = np.stack([attractor.image(self.palette) for attractor in attractors])
                rendered.append(unit(torch.from_numpy(images).permute(0, 3, 1, 2)))
            self._paths = paths, rendered
        return self._paths

    @property
    def fd_jumpiness(self) -> float | None:
        if self._paths is None:
            return None
        return float(np.mean([d.max() / max(d.mean(), 1e-12) for d in map(step_distances, self._paths[1])]))
