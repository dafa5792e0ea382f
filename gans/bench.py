"""``gans bench``: train each model (or reuse its finished run), compute every metric that applies, write the tables.

    gans bench --dataset fractal --data fdd/ --image-size 32 --budget-minutes 25 --out results/

For FDD every model gets: FFD, KID and precision/recall on the parameter regressor's features (FID,
KID and precision/recall on Inception features too when pytorch-fid's weights are available); codes of
real images (``gans.codes``) scored against v with probes, MIG, SAP and DCI; the direct G(v)-vs-FD(v)
comparison and smoothness along v-paths where the latent has v's size. Context rows: held-out real
images (the distribution floor), the regressor (the ceiling of what pixels tell about v), random and
shuffled codes (the correspondence floor). Simpsons and CelebA get the distribution metrics and samples.

Training time is split evenly between the models: a short throw-away run measures images/s, then the
model trains for the number of steps that fits; ``--steps`` fixes it instead (the table records it).
"""

from __future__ import annotations

import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import click
import numpy as np
import torch

from fractaldream.errors import FractalDreamError, UsageError
from fractaldream.store import write_atomic
from gans.config import MODELS, OPERATIONAL, STOPPING, TrainConfig, differences, resolve
from gans.download import cache_dir

BENCH_DATASETS = ("fractal", "simpsons", "celeba")

#: Sizes of every evaluation, per profile; ``quick`` is a smoke test of a few minutes on 2 CPU cores.
PROFILES = {
    "default": dict(
        batch_size=64, calibration_steps=20, train_share=0.5, regressor_images=60_000,
        n_generated=2000, n_codes=1000, n_inversion=128, inversion_steps=100, encoder_steps=200,
        n_direct=500, paths=4, path_steps=12, n_real_fid=2000,
    ),
    "quick": dict(
        batch_size=16, calibration_steps=0, steps=6, regressor_images=200,
        n_generated=64, n_codes=48, n_inversion=16, inversion_steps=5, encoder_steps=10,
        n_direct=24, paths=2, path_steps=4, n_real_fid=64,
        fdd_n=96, fdd_points=20_000,
    ),
}


@dataclass
class BenchSettings:
    dataset: str = "fractal"
    data: str | None = None
    models: tuple[str, ...] = MODELS
    image_size: int = 32
    budget_minutes: float = 25.0
    quick: bool = False
    steps: int | None = None
    out: str = "results"
    runs: str = "runs/bench"
    palette: str | None = None
    device: str = "cpu"
    seed: int = 0
    fid_weights: str | None = None
    progress: bool = True
    profile: dict = field(default_factory=dict)

    def __post_init__(self):
        self.profile = {**PROFILES["quick" if self.quick else "default"], **self.profile}
        if self.steps is None:
            self.steps = self.profile.get("steps")

    def command(self) -> str:
        """The command line that reproduces this bench (the steps included, so calibration is not redone)."""
        parts = ["gans bench", f"--dataset {self.dataset}"]
        if self.data:
            parts.append(f"--data {self.data}")
        parts += [f"--models {','.join(self.models)}", f"--image-size {self.image_size}",
                  f"--budget-minutes {self.budget_minutes:g}"]
        if self.quick:
            parts.append("--quick")
        if self.steps:
            parts.append(f"--steps {self.steps}")
        if self.palette:
            parts.append(f"--palette {self.palette}")
        parts += [f"--seed {self.seed}", f"--out {self.out}", f"--runs {self.runs}"]
        return " ".join(parts)


def log(message: str) -> None:
    click.echo(f"[bench] {message}", err=True)


# -- data -----------------------------------------------------------------------------------
def bench_data_folder(settings: BenchSettings) -> str | None:
    """``--data``, or for a quick FDD bench without it a tiny build of FDD (a few seconds)."""
    if settings.data is not None or not (settings.quick and settings.dataset == "fractal"):
        return settings.data
    from fractaldream.build import build_dataset

    folder = Path(settings.runs) / f"fdd-quick-{settings.image_size}"
    if not (folder / "params.csv").exists():
        log(f"building a tiny FDD in {folder}")
        build_dataset(folder, n=settings.profile["fdd_n"], size=settings.image_size,
                      points=settings.profile["fdd_points"], palettes=("blue",), workers=1, progress=False)
    return str(folder)


# -- training -------------------------------------------------------------------------------
def train_config(settings: BenchSettings, model: str, data: str | None, max_steps: int) -> TrainConfig:
    return TrainConfig(model=model, dataset=settings.dataset, data=data, palette=settings.palette,
                       image_size=settings.image_size, batch_size=settings.profile["batch_size"], max_steps=max_steps,
                       seed=settings.seed, device=settings.device, out=str(Path(settings.runs) / f"{settings.dataset}-{settings.image_size}" / model),
                       progress=settings.progress, resume=True)


#: A finished run this much shorter than the budget asks still counts (calibration varies from run to run).
REUSE_SHORTFALL = 0.2
#: Beside a bench run's checkpoint: its total training seconds, summed over the benches that extended it.
TRAIN_TIME = "bench_train_seconds.txt"


def finished_run(config: TrainConfig):
    """The saved state of a finished run with the same settings (its length aside), else None."""
    from gans.checkpoint import CHECKPOINT, load_checkpoint

    path = Path(config.out) / CHECKPOINT
    if not path.exists():
        return None
    saved = load_checkpoint(path)
    same = not differences(TrainConfig.from_dict(saved["config"]), resolve(config), ignore=OPERATIONAL + STOPPING)
    return saved if same and saved["finished"] else None


def last_speed(run_dir: Path) -> float:
    """Images/s of the last logged interval of a run."""
    from gans.monitor import LOG, LossLog

    rows = LossLog(Path(run_dir) / LOG).rows()
    return float(rows[-1]["images_per_s"]) if rows else 0.0


def budget_steps(settings: BenchSettings, model: str, data: str | None, seconds: float) -> int:
    """``--steps``, or the steps that fit ``seconds`` at the speed of a short throw-away run."""
    import shutil

    from gans.train import train

    if settings.steps:
        return settings.steps
    calibration = train_config(settings, model, data, settings.profile["calibration_steps"])
    calibration.out = str(Path(calibration.out).with_name(f".calibration-{model}"))
    shutil.rmtree(calibration.out, ignore_errors=True)
    speed = last_speed(train(calibration))
    shutil.rmtree(calibration.out, ignore_errors=True)
    steps = max(settings.profile["calibration_steps"], int(seconds * speed / settings.profile["batch_size"]))
    log(f"{model}: {speed:.0f} images/s, {steps} steps fit the budget")
    return steps


def train_model(settings: BenchSettings, model: str, data: str | None, seconds: float) -> dict:
    """Train one model for the budget's steps; returns its run folder, steps, training seconds and images/s.

    A finished run with the same settings is reused when it is long enough (within REUSE_SHORTFALL),
    and otherwise resumed up to the new length: it continues exactly, as if trained that long at once.
    """
    from gans.train import train

    steps = budget_steps(settings, model, data, seconds)
    config = train_config(settings, model, data, steps)
    run_dir, saved = Path(config.out), finished_run(config)
    spent = run_dir / TRAIN_TIME
    earlier = float(spent.read_text()) if saved is not None and spent.exists() else float("nan")
    if saved is not None and saved["step"] >= (1 - REUSE_SHORTFALL) * steps:
        log(f"{model}: reusing the finished run of {saved['step']} steps")
        return {"run_dir": run_dir, "steps": saved["step"], "train_s": earlier, "images_per_s": last_speed(run_dir)}
    if saved is not None:
        log(f"{model}: extending the finished run of {saved['step']} steps to {steps}")
    start = time.perf_counter()
    train(config)
    total = (0.0 if saved is None else earlier) + time.perf_counter() - start
    write_atomic(spent, f"{total:.3f}\n".encode())
    return {"run_dir": run_dir, "steps": steps, "train_s": total, "images_per_s": last_speed(run_dir)}


# -- evaluation -----------------------------------------------------------------------------
@torch.no_grad()
def generate(run, n: int, seed: int, batch_size: int = 256) -> torch.Tensor:
    """n samples of the run's prior (and conditions), in [0, 1] and quantised like saved PNGs."""
    from gans.metrics.features import to_unit_range

    generator = torch.Generator().manual_seed(seed)
    out = []
    for start in range(0, n, batch_size):
        m = min(batch_size, n - start)
        z = run.sample_latent(m, generator=generator)
        out.append(to_unit_range(run.generate(z, run.sample_condition(m, generator=generator))).cpu())
    return torch.cat(out)


@torch.no_grad()
def generate_from_v(run, v: np.ndarray, seed: int):
    from gans.codes import latent_for_v
    from gans.metrics.features import to_unit_range

    latent = latent_for_v(run, torch.as_tensor(v, dtype=torch.float32), seed)
    if latent is None:
        return None
    z, cond = latent
    zs = z.split(256)
    conds = cond.split(256) if cond is not None else [None] * len(zs)
    return torch.cat([to_unit_range(run.generate(zb, cb)).cpu() for zb, cb in zip(zs, conds)])


def rows_sample(n_total: int, n: int, seed: int) -> np.ndarray:
    return np.sort(np.random.default_rng(seed).permutation(n_total)[: min(n, n_total)])


def rows_of(candidates: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Up to n of the candidate rows, chosen at random, in order."""
    return np.sort(candidates[rows_sample(len(candidates), n, seed)])


def render_paths(data_folder: str, v: np.ndarray, n_paths: int, steps: int, image_size: int, seed: int):
    """Straight paths in normalised v between random pairs of data-set vectors, and FD along them."""
    from fractaldream import FractalDreamDataset
    from fractaldream.render import RenderSettings, iterate_batch

    dataset = FractalDreamDataset(data_folder)
    recorded = dataset.settings or {}
    palette = (recorded.get("palettes") or ["blue"])[0]
    settings = RenderSettings(size=image_size, points=recorded.get("points", 200_000),
                              burn_in=recorded.get("burn_in", 100),
                              precision=recorded.get("precision", "float64"))  # sets built before it: float64
    rng = np.random.default_rng(seed)
    paths, rendered = [], []
    for _ in range(n_paths):
        a, b = v[rng.choice(len(v), 2, replace=False)]
        path = np.stack([a + t * (b - a) for t in np.linspace(0, 1, steps)])
        images = [attractor.image(palette) for attractor in iterate_batch(dataset.denormalize(path), settings)]
        paths.append(path)
        rendered.append(torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float() / 255)
    return paths, rendered


def mean(values) -> float:
    return float(np.mean(values))


def correspondence_row(codes: np.ndarray, v: np.ndarray, factors) -> dict:
    """Probes, MIG, SAP and DCI of codes against v; for FDD also the probes' R^2 for |a|..|d|.

    ``factors`` names v's columns, then (FDD) the magnitudes, which are derived from v here.
    """
    from gans.metrics.correspondence import correspondence
    from gans.metrics.regressor import MAGNITUDES, with_magnitudes

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
    row.update({k: scores[k] for k in ("mig", "sap", "dci_disentanglement", "dci_completeness", "dci_informativeness")})
    return row


class UnitRange:
    """A uint8 image set seen in [0, 1]: only the rows asked for are converted (the set may be on disk)."""

    def __init__(self, images: torch.Tensor):
        self.images = images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, rows) -> torch.Tensor:
        return self.images[rows].float() / 255


class Evaluator:
    """Everything computed once per bench: real features and statistics, the regressor, evaluation rows."""

    def __init__(self, settings: BenchSettings, data, data_folder):
        from gans.metrics import inception
        from gans.metrics.fid import cached_statistics, statistics_cache_path
        from gans.metrics.regressor import fingerprint

        self.settings, self.data, self.data_folder = settings, data, data_folder
        self.profile = settings.profile
        self.fractal = settings.dataset == "fractal"
        self.real = UnitRange(data.images)
        self.v = data.targets.numpy().astype(np.float64) if self.fractal else None
        # One row per attractor (a multi-palette build repeats v), so no v sits on both sides of a probe's split.
        self.attractors = np.unique(self.v, axis=0, return_index=True)[1] if self.fractal else None
        self.factors = tuple(data.info.factors)  # for FDD, the regressor's: v's and then |a|..|d|
        self.data_hash = fingerprint(data.images, self.v if self.fractal else np.zeros(0))
        self.extractors = {}
        if self.fractal:
            from gans.metrics.ffd import RegressorFeatures
            from gans.metrics.regressor import regressor_for

            # About the same training work whatever the data set's size (``regressor_images`` images seen).
            epochs = int(np.clip(round(self.profile["regressor_images"] / len(data.images)), 2, 30))
            self.regressor = regressor_for(data, {"epochs": epochs}, settings.progress)
            self.factors = self.regressor.factors
            log("regressor ceiling R^2: " + ", ".join(f"{f} {r:.2f}" for f, r in zip(self.factors, self.regressor.r2)))
            self.extractors["fdd-regressor"] = RegressorFeatures(self.regressor)
        if inception.weights_available(settings.fid_weights):
            self.extractors["inception"] = inception.InceptionFeatures(weights=settings.fid_weights, device=settings.device)
        else:
            log("FID, KID and precision/recall on Inception features are left out: "
                + inception.missing_weights_message(fetch_tried=False))
        self.real_stats = {}
        for name, extractor in self.extractors.items():
            n_real = len(self.real) if name != "inception" else min(len(self.real), self.profile["n_real_fid"])
            rows = rows_sample(len(self.real), n_real, settings.seed)
            key = name if name != "fdd-regressor" else f"{name}-{self.regressor.path.stem}"
            path = statistics_cache_path(settings.dataset, settings.image_size, key, self.data_hash + str(n_real))
            self.real_stats[name] = cached_statistics(path, lambda: extractor.features(self.real[rows], progress=settings.progress))

    def distribution_scores(self, images: torch.Tensor) -> dict:
        from gans.metrics.calculate import calculate_metrics

        row = {}
        for name, extractor in self.extractors.items():
            scores = calculate_metrics(images, extractor=extractor, real_statistics=self.real_stats[name])
            suffix = "" if name == "inception" else "_reg"
            row[extractor.frechet_name] = scores[extractor.frechet_name]
            row.update({f"{k}{suffix}": scores[k] for k in ("kid_mean", "precision", "recall")})
        return row

    def context_rows(self) -> list[dict]:
        """Held-out real images; for FDD the regressor ceiling and random / shuffled code floors."""
        rows = [{"model": "real data (subset)", "codes": "-",
                 **self.distribution_scores(self.real[rows_sample(len(self.real), self.profile["n_generated"], self.settings.seed + 1)])}]
        if not self.fractal:
            return rows
        from gans.metrics.regressor import grouped_split

        _, test = grouped_split(self.v, self.regressor.config["test_fraction"], self.regressor.config["seed"])
        test = np.intersect1d(test, self.attractors)
        predicted = self.regressor.predict(self.real[test])
        ceiling = correspondence_row(predicted, self.v[test], self.factors)  # codes: the regressor's outputs
        ceiling.update(r2_direct_mean=mean(self.regressor.r2), **{f"r2_direct_{f}": r for f, r in zip(self.factors, self.regressor.r2)})
        rng = np.random.default_rng(self.settings.seed)
        rows += [
            {"model": "regressor (ceiling)", "codes": "regressor(x)", **ceiling},
            {"model": "random codes (floor)", "codes": "N(0, I)",
             **correspondence_row(rng.normal(size=(len(test), len(self.factors))), self.v[test], self.factors)},
            {"model": "shuffled codes (floor)", "codes": "regressor(x) shuffled",
             **correspondence_row(predicted[rng.permutation(len(test))], self.v[test], self.factors)},
        ]
        return rows

    def model_rows(self, model: str, trained: dict) -> tuple[list[dict], dict]:
        """Rows (one per way of getting codes) and the figure material of one trained model."""
        from gans.codes import METHODS, real_codes
        from gans.runs import load_run

        p, seed = self.profile, self.settings.seed
        run = load_run(trained["run_dir"], self.settings.device)
        samples = generate(run, p["n_generated"], seed)
        base = {"model": model, "steps": trained["steps"], "train_s": trained["train_s"],
                "images_per_s": trained["images_per_s"], **self.distribution_scores(samples)}
        figures = {"samples": samples[:64]}
        if not self.fractal:
            return [{**base, "codes": "-"}], figures
        direct_rows = rows_of(self.attractors, p["n_direct"], seed + 2)
        generated = generate_from_v(run, self.v[direct_rows], seed)
        if generated is not None:
            from gans.metrics.direct import direct_correspondence, smoothness
            from gans.metrics.regressor import with_magnitudes

            truth = self.v[direct_rows]
            if len(self.factors) > truth.shape[1]:
                truth = with_magnitudes(truth)
            direct = direct_correspondence(generated, self.real[direct_rows], truth,
                                           self.extractors["fdd-regressor"], self.regressor, seed)
            base.update(iou=direct["iou"], iou_shuffled=direct["iou_shuffled"], feature_distance=direct["feature_distance"],
                        feature_distance_shuffled=direct["feature_distance_shuffled"],
                        r2_direct_mean=mean(direct["r2_direct"]),
                        **{f"r2_direct_{f}": r for f, r in zip(self.factors, direct["r2_direct"])})
            figures["direct"] = (self.real[direct_rows[:8]], generated[:8])
            paths, rendered = self.paths()
            base.update(smoothness(
                [generate_from_v(run, path, seed) for path in paths], rendered))
        rows = []
        for method in METHODS[model]:
            n = p["n_inversion"] if method == "inversion" else p["n_codes"]
            code_rows = rows_of(self.attractors, n, seed + 3)
            codes = real_codes(run, method, self.data.images[code_rows], self.v[code_rows],
                               inversion_steps=p["inversion_steps"], encoder_steps=p["encoder_steps"],
                               progress=self.settings.progress)
            rows.append({**base, "codes": method, "n_codes": len(code_rows),
                         **correspondence_row(codes, self.v[code_rows], self.factors)})
        return rows, figures

    def paths(self):
        if not hasattr(self, "_paths"):
            self._paths = render_paths(self.data_folder or cache_dir("fractal"), self.v[self.attractors], self.profile["paths"], self.profile["path_steps"],
                                       self.settings.image_size, self.settings.seed)
            from gans.metrics.direct import step_distances

            jumps = [d.max() / max(d.mean(), 1e-12) for d in map(step_distances, self._paths[1])]
            self.fd_jumpiness = float(np.mean(jumps))
        return self._paths


# -- the bench --------------------------------------------------------------------------------
def machine() -> str:
    import os

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{platform.processor() or platform.machine()}, {cpus} CPU cores, {gpu}; torch {torch.__version__}, threads {torch.get_num_threads()}"


def run_bench(settings: BenchSettings) -> Path:
    """Run the whole bench; returns ``<out>/<dataset>``."""
    from gans.data import load_data
    from gans.report import write_report

    if settings.dataset not in BENCH_DATASETS:
        raise UsageError(f"unknown bench data set {settings.dataset!r} (choose from {', '.join(BENCH_DATASETS)})")
    unknown = [m for m in settings.models if m not in MODELS]
    if unknown:
        raise UsageError(f"unknown model {unknown[0]!r} (choose from {', '.join(MODELS)})")
    if settings.dataset != "fractal":
        needs_v = [m for m in settings.models if m in ("cdcgan", "lsd")]
        if needs_v:
            log(f"{', '.join(needs_v)} left out: they are fed FDD's parameter vectors")
        settings.models = tuple(m for m in settings.models if m not in needs_v)
    from gans.train import pick_device

    settings.device = str(pick_device(settings.device))
    started = time.perf_counter()
    torch.manual_seed(settings.seed)
    data_folder = bench_data_folder(settings)
    data = load_data(settings.dataset, data_folder, settings.image_size, settings.palette, progress=settings.progress)
    log(f"{settings.dataset}: {len(data.images)} images at {settings.image_size}x{settings.image_size}")
    evaluator = Evaluator(settings, data, data_folder)
    rows = evaluator.context_rows()
    figures = {"real": evaluator.real[:64]}
    train_seconds = settings.budget_minutes * 60 * settings.profile.get("train_share", 0) / max(len(settings.models), 1)
    for model in settings.models:
        try:
            trained = train_model(settings, model, data_folder, train_seconds)
        except FractalDreamError as error:  # e.g. a diverged run: report it, bench the others
            log(f"{model}: {error.format_message()}")
            rows.append({"model": model, "codes": f"failed: {error.format_message()}"})
            continue
        log(f"{model}: evaluating")
        model_rows, model_figures = evaluator.model_rows(model, trained)
        rows += model_rows
        figures[model] = model_figures
    summary = {
        "command": settings.command(),
        "machine": machine(),
        "wall_minutes": (time.perf_counter() - started) / 60,
        "settings": {k: v for k, v in asdict(settings).items() if k != "progress"},
        "fd_jumpiness": getattr(evaluator, "fd_jumpiness", None),
        "factors": list(evaluator.factors),
        "inception": "inception" in evaluator.extractors,
    }
    out = write_report(Path(settings.out), settings.dataset, rows, figures, summary)
    log(f"wrote {out} in {summary['wall_minutes']:.1f} minutes")
    return out


@click.command(name="bench")
@click.option("--dataset", type=click.Choice(BENCH_DATASETS), default="fractal", show_default=True)
@click.option("--data", type=click.Path(exists=True, file_okay=False), default=None,
              help="Local copy of the data set (default: its cache folder; --quick on fractal builds a tiny FDD).")
@click.option("--models", default=",".join(MODELS), show_default=True, help="Comma-separated models.")
@click.option("--image-size", type=click.Choice(["32", "64", "128"]), default="32", show_default=True)
@click.option("--budget-minutes", type=click.FloatRange(min=1), default=25.0, show_default=True,
              help="Wall-clock budget; about half of it trains the models, shared evenly.")
@click.option("--steps", type=click.IntRange(min=1), default=None, help="Training steps per model (skips calibration).")
@click.option("--quick", is_flag=True, help="Smoke test: tiny data, a few steps, small evaluations.")
@click.option("--palette", default=None, help="fractal: one palette of the build.")
@click.option("--out", default="results", show_default=True, type=click.Path(file_okay=False))
@click.option("--runs", default="runs/bench", show_default=True, type=click.Path(file_okay=False),
              help="Where the model runs are trained (and reused from).")
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda or auto.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--fid-weights", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A local copy of pt_inception-2015-12-05-6726825d.pth (default: torch.hub's cache).")
def bench_command(dataset, data, models, image_size, budget_minutes, steps, quick, palette, out, runs, device, seed,
                  fid_weights):
    """Benchmark the model family: FID/FFD/KID/precision-recall and latent-to-parameter correspondence tables."""
    chosen = tuple(m.strip() for m in models.split(",") if m.strip())
    if not chosen:
        raise UsageError("--models names no model")
    run_bench(BenchSettings(dataset=dataset, data=data, models=chosen, image_size=int(image_size),
                            budget_minutes=budget_minutes, quick=quick, steps=steps, out=out, runs=runs,
                            palette=palette, device=device, seed=seed, fid_weights=fid_weights))
