"""FDD only: how well each model's latent corresponds to the known parameter vectors v.

Every model gets codes of real images (``gans.bench.codes``) scored against v with probes, MIG, SAP
and DCI; models with a place for v in their latent (``GANModel.latent_for_v``) also get the direct
G(v)-vs-FD(v) comparison and smoothness along straight v-paths. Context rows: the regressor (the
ceiling of what pixels tell about v) and random / shuffled codes (the floor).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from fractaldream.settings import BuildSettings

from gans.bench.codes import real_codes
from gans.bench.columns import Column
from gans.bench.distribution import UnitRange, rows_sample
from gans.data.pixels import unit
from gans.metrics.correspondence import correspondence
from gans.metrics.direct import direct_correspondence, smoothness, step_distances
from gans.metrics.ffd import RegressorFeatures
from gans.metrics.regressor import MAGNITUDES, grouped_split, regressor_for, with_magnitudes

#: Codes of real images against v; the per-factor GBT-probe R^2 columns (``factor_columns``) go before MIG.
PROBES = [Column("r2_linear_mean", "R2 lin"), Column("r2_nonlinear_mean", "R2 GBT"),
          Column("r2_magnitudes_mean", "R2 GBT abs(a..d)")]
DISENTANGLEMENT = [Column("mig", "MIG"), Column("sap", "SAP"), Column("dci_disentanglement", "DCI D"),
                   Column("dci_completeness", "DCI C"), Column("dci_informativeness", "DCI I")]
#: G(v) against FD(v), and along v-paths.
DIRECT = [Column("iou", "IoU G(v),FD(v)"), Column("iou_shuffled", "IoU shuffled"),
          Column("feature_distance", "feat dist"), Column("feature_distance_shuffled", "feat dist shuffled"),
          Column("r2_direct_mean", "R2 reg(G(v))"), Column("tracking", "path tracking"),
          Column("jumpiness_g", "path jumpiness")]


def shown(factor: str) -> str:
    """abs_a -> abs(a) (a "|" would split a markdown table cell)."""
    return f"abs({factor[4:]})" if factor.startswith("abs_") else factor


def columns(factors) -> list[Column]:
    """Every column of this module in table order, for the regressor's ``factors``."""
    per_factor = [Column(f"r2_{f}", f"R2 {shown(f)}") for f in factors]
    hidden = ([Column(f"r2_linear_{f}", f"R2 lin {shown(f)}", in_table=False) for f in factors]
              + [Column(f"r2_direct_{f}", f"R2 reg(G(v)) {shown(f)}", in_table=False) for f in factors]
              + [Column("jumpiness_fd", "FD path jumpiness", in_table=False)])
    return PROBES + per_factor + DISENTANGLEMENT + DIRECT + hidden


def mean(values) -> float:
    return float(np.mean(values))


def correspondence_row(codes: np.ndarray, v: np.ndarray, factors) -> dict:
    """Probes, MIG, SAP and DCI of codes against v; for FDD also the probes' R^2 for |a|..|d|.

    ``factors`` names v's columns, then (FDD) the magnitudes, which are derived from v here.
    """
    scores = correspondence(codes, v, seed=0)
    r2_nonlinear, r2_linear = list(scores["r2_nonlinear"]), list(scores["r2_linear"])
    if MAGNITUDES[0] in factors:
        sizes = correspondence(codes, with_magnitudes(v)[:, v.shape[1]:], seed=0)
        r2_nonlinear += sizes["r2_nonlinear"]
        r2_linear += sizes["r2_linear"]
    row = {"r2_linear_mean": mean(scores["r2_linear"]), "r2_nonlinear_mean": mean(scores["r2_nonlinear"])}
    if MAGNITUDES[0] in factors:
        row["r2_magnitudes_mean"] = mean(r2_nonlinear[v.shape[1]:])
    row.update({f"r2_{name}": value for name, value in zip(factors, r2_nonlinear)})
    row.update({f"r2_linear_{name}": value for name, value in zip(factors, r2_linear)})
    row.update({c.key: scores[c.key] for c in DISENTANGLEMENT})
    return row


def rows_of(candidates: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Up to n of the candidate rows, chosen at random, in order."""
    return np.sort(candidates[rows_sample(len(candidates), n, seed)])


def random_pairs(v: np.ndarray, n: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """n pairs of distinct rows of v, at random."""
    rng = np.random.default_rng(seed)
    return [tuple(v[rng.choice(len(v), 2, replace=False)]) for _ in range(n)]


class FractalCorrespondence:
    """The FDD evaluation of one bench: the regressor and its features, and the rows it scores."""

    def __init__(self, settings, data, build: BuildSettings, real: UnitRange, log):
        self.settings, self.data, self.real = settings, data, real
        self.build = build  # how the data set was rendered: FD along v-paths is rendered the same way
        self.profile = settings.profile
        self.v = data.targets.numpy().astype(np.float64)
        self.raw_v = data.info.denormalize(self.v)
        # One row per attractor (a multi-palette build repeats v), so no v sits on both sides of a probe's split.
        self.attractors = np.unique(self.v, axis=0, return_index=True)[1]
        # About the same training work whatever the data set's size (``regressor_images`` images seen).
        epochs = int(np.clip(round(self.profile["regressor_images"] / len(data.images)), 2, 30))
        self.regressor = regressor_for(data, {"epochs": epochs}, settings.progress)
        self.factors = self.regressor.factors  # v's, then |a|..|d|
        log("regressor ceiling R^2: " + ", ".join(f"{f} {r:.2f}" for f, r in zip(self.factors, self.regressor.r2)))
        self.features = RegressorFeatures(self.regressor)
        self._paths = None

    def context_rows(self) -> list[dict]:
        """The regressor ceiling and the random / shuffled code floors."""
        _, test = grouped_split(self.v, self.regressor.config["test_fraction"], self.regressor.config["seed"])
        test = np.intersect1d(test, self.attractors)
        predicted = self.regressor.predict(self.real[test])
        ceiling = correspondence_row(predicted, self.v[test], self.factors)  # codes: the regressor's outputs
        ceiling.update(r2_direct_mean=mean(self.regressor.r2),
                       **{f"r2_direct_{f}": r for f, r in zip(self.factors, self.regressor.r2)})
        rng = np.random.default_rng(self.settings.seed)
        return [
            {"model": "regressor (ceiling)", "codes": "regressor(x)", **ceiling},
            {"model": "random codes (floor)", "codes": "N(0, I)",
             **correspondence_row(rng.normal(size=(len(test), len(self.factors))), self.v[test], self.factors)},
            {"model": "shuffled codes (floor)", "codes": "regressor(x) shuffled",
             **correspondence_row(predicted[rng.permutation(len(test))], self.v[test], self.factors)},
        ]

    def direct(self, run) -> tuple[dict, tuple | None]:
        """G(v) against FD(v) and along v-paths, with the figure's pairs; nothing for a model without a place for v."""
        p, seed = self.profile, self.settings.seed
        if not run.has_place_for_v:
            return {}, None
        rows = rows_of(self.attractors, p["n_direct"], seed + 2)
        generated = run.generate_for_v(self.raw_v[rows], seed)
        truth = self.v[rows]
        if len(self.factors) > truth.shape[1]:
            truth = with_magnitudes(truth)
        direct = direct_correspondence(generated, self.real[rows], truth, self.features, self.regressor, seed)
        scores = {key: direct[key] for key in ("iou", "iou_shuffled", "feature_distance", "feature_distance_shuffled")}
        scores.update(r2_direct_mean=mean(direct["r2_direct"]),
                      **{f"r2_direct_{f}": r for f, r in zip(self.factors, direct["r2_direct"])})
        paths, rendered = self.paths()
        scores.update(smoothness([run.generate_for_v(path, seed) for path in paths], rendered))
        return scores, (self.real[rows[:8]], generated[:8])

    def code_rows(self, run) -> list[dict]:
        """One row per way the model offers of getting codes of real images."""
        p, seed = self.profile, self.settings.seed
        rows = []
        for method in run.model.code_methods:
            n = p["n_inversion"] if method == "inversion" else p["n_codes"]
            code_rows = rows_of(self.attractors, n, seed + 3)
            codes = real_codes(run, method, self.data.images[code_rows], self.v[code_rows],
                               inversion_steps=p["inversion_steps"], encoder_steps=p["encoder_steps"],
                               progress=self.settings.progress)
            rows.append({"codes": method, "n_codes": len(code_rows),
                         **correspondence_row(codes, self.v[code_rows], self.factors)})
        return rows

    def paths(self):
        """Straight raw-v paths between data-set vectors, and FD rendered along them (computed once)."""
        if self._paths is None:
            from fractaldream.interpolate import render_line

            settings = dataclasses.replace(self.build.render, size=self.settings.image_size)
            palette = self.build.palettes[0]
            paths, rendered = [], []
            for start, end in random_pairs(self.raw_v[self.attractors], self.profile["paths"], self.settings.seed):
                _, attractors = render_line(start, end, self.profile["path_steps"], settings)
                paths.append(np.stack([attractor.params for attractor in attractors]))
                rendered.append(unit(torch.from_numpy(np.stack([a.image(palette) for a in attractors])).permute(0, 3, 1, 2)))
            self._paths = paths, rendered
        return self._paths

    @property
    def fd_jumpiness(self) -> float | None:
        if self._paths is None:
            return None
        return float(np.mean([d.max() / max(d.mean(), 1e-12) for d in map(step_distances, self._paths[1])]))
