"""Build the Fractal Dream Dataset: sample parameters -> iterate -> aggregate -> shade -> write.

Candidates are evaluated in fixed chunks (in worker processes, or on a dask.distributed cluster;
results collected in candidate order), and the first ``n`` accepted ones make the data set; ``id``
numbers them 0..n-1 and ``candidate`` keeps their index in the seed's stream, which is where a
resumed build goes on. A chunk is iterated in lockstep (see :mod:`fractaldream.lockstep`), and
only this process writes files, so the data set depends neither on the number of workers nor on
where they ran.
"""

import contextlib
import multiprocessing
import os
import struct
import zlib
from collections import Counter, deque
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from fractaldream import __version__
from fractaldream import store
from fractaldream.attractor import LYAPUNOV_STEPS, MAX_CYCLE_PERIOD
from fractaldream.errors import FractalDreamError, UsageError
from fractaldream.render import PRECISIONS, RenderSettings, iterate_batch
from fractaldream.sample import sample_parameters
from fractaldream.shade import BACKGROUND, HOW, PALETTES

#: Candidates per task (and per lockstep batch): fixed, so that nothing depends on the number of workers.
CHUNK = 128
#: How long ``--scheduler`` waits for the dask scheduler to answer.
CONNECT_TIMEOUT = "20s"
#: PNG encoding: rows unfiltered, zlib level 1 (the images are mostly black: small and fast to write).
PNG_ZLIB_LEVEL = 1


@dataclass(frozen=True)
class BuildSettings:
    """Everything that determines the images; ``n`` and ``workers`` only decide how many and how fast."""

    size: int = 128
    points: int = 1_000_000
    burn_in: int = 100
    seed: int = 0
    palettes: tuple[str, ...] = ("blue", "orange", "green")
    range_abcd: tuple[float, float] = (-3.0, 3.0)
    range_xy: tuple[float, float] = (-1.0, 1.0)
    min_coverage: float = 0.05
    precision: str = "float32"

    def validate(self) -> None:
        if self.size < 8:
            raise UsageError(f"--size must be at least 8, got {self.size}")
        if self.points < 1:
            raise UsageError(f"--points must be at least 1, got {self.points}")
        if self.burn_in < 0:
            raise UsageError(f"--burn-in must not be negative, got {self.burn_in}")
        if self.seed < 0:
            raise UsageError(f"--seed must not be negative, got {self.seed}")
        if not self.palettes:
            raise UsageError("--palettes names no palette")
        unknown = [p for p in self.palettes if p not in PALETTES]
        if unknown:
            raise UsageError(f"unknown palette {unknown[0]!r}; choose from {', '.join(PALETTES)}")
        if len(set(self.palettes)) != len(self.palettes):
            raise UsageError("--palettes names a palette twice")
        for name, (low, high) in (("--range-abcd", self.range_abcd), ("--range-xy", self.range_xy)):
            if not (np.isfinite(low) and np.isfinite(high) and low < high):
                raise UsageError(f"{name} must be two finite numbers LOW < HIGH, got {low} {high}")
        if not 0.0 <= self.min_coverage < 1.0:
            raise UsageError(f"--min-coverage must lie in [0, 1), got {self.min_coverage}")
        if self.precision not in PRECISIONS:
            raise UsageError(f"--precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")

    @property
    def render(self) -> RenderSettings:
        return RenderSettings(self.size, self.points, self.burn_in, self.min_coverage, self.precision)

    def describe(self, n: int) -> dict:
        """The content of build.json: enough to re-render any row exactly."""
        return {
            "attractor": "fractal_dream",
            "version": __version__,
            "n": n,
            **{k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()},
            "shading": {"how": HOW, "background": BACKGROUND, "cmaps": {p: PALETTES[p] for p in self.palettes}},
            "png": {"filter": "none", "zlib_level": PNG_ZLIB_LEVEL},
            "lyapunov_steps": LYAPUNOV_STEPS,
            "max_cycle_period": MAX_CYCLE_PERIOD,
            "sampling": "candidate k: numpy.random.default_rng([seed, k]).random(6) scaled to range_xy (x0, y0) "
            "and range_abcd (a, b, c, d); the first n accepted candidates make the data set",
        }

    @classmethod
    def from_description(cls, description: dict) -> "BuildSettings":
        known = {k: description[k] for k in cls.__dataclass_fields__ if k in description}
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in known.items()})


@dataclass
class Candidate:
    """One evaluated candidate, with its PNGs when accepted."""

    index: int
    params: np.ndarray
    bounds: tuple
    coverage: float
    lyapunov: float
    status: str
    pngs: dict[str, bytes] | None


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(rgb: np.ndarray) -> bytes:
    """An 8-bit RGB PNG of an H x W x 3 uint8 image: unfiltered rows, one zlib stream (PNG_ZLIB_LEVEL)."""
    height, width, _ = rgb.shape
    rows = np.zeros((height, 1 + 3 * width), np.uint8)  # each row: filter type 0, then its pixels
    rows[:, 1:] = rgb.reshape(height, 3 * width)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8 bits, RGB, deflate, no interlace
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(rows.tobytes(), PNG_ZLIB_LEVEL)) + _png_chunk(b"IEND", b""))


def evaluate_chunk(settings: BuildSettings, first: int, count: int = CHUNK) -> list[Candidate]:
    """Sample, iterate, aggregate and judge candidates first..first+count-1; shade the accepted."""
    params = sample_parameters(settings.seed, first, count, settings.range_xy, settings.range_abcd)
    results = []
    for offset, attractor in enumerate(iterate_batch(params, settings.render, draw_cycles=False)):
        pngs = {p: encode_png(rgb) for p, rgb in attractor.images(settings.palettes).items()} if attractor.ok else None
        results.append(Candidate(first + offset, attractor.params, attractor.bounds, attractor.coverage,
                                 attractor.lyapunov, attractor.status, pngs))
    return results


def _evaluate_task(task):
    return evaluate_chunk(*task)


def _ordered_chunks(settings: BuildSettings, first: int, workers: int, client=None):
    """Chunk results in candidate order, computed ``workers`` at a time (or on a cluster), endlessly."""
    starts = (first + k * CHUNK for k in range(2**62))
    if client is not None:
        yield from _cluster_chunks(settings, starts, client)
        return
    if workers == 1:
        for start in starts:
            yield evaluate_chunk(settings, start)
        return
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        pending = deque()
        for start in starts:
            pending.append(pool.apply_async(_evaluate_task, ((settings, start),)))
            if len(pending) >= 2 * workers:
                yield pending.popleft().get()


def connect(scheduler: str):
    """A dask.distributed client of the cluster whose scheduler listens at ``scheduler``."""
    try:
        from distributed import Client
    except ImportError:
        raise UsageError("--scheduler needs dask.distributed: pip install 'fractaldream[distributed]'") from None
    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except ValueError as error:
        raise UsageError(f"--scheduler {scheduler!r} is not a dask scheduler address: {error}") from None
    except (OSError, TimeoutError) as error:
        raise FractalDreamError(f"cannot reach the dask scheduler at {scheduler}: {' '.join(str(error).split())}") from None


def _cluster_chunks(settings: BuildSettings, starts, client):
    """:func:`_ordered_chunks` on a dask.distributed cluster.

    Two chunks per worker thread are in flight; results are taken in candidate order, so the
    cluster only changes how fast the data set grows. Its workers need fractaldream installed.
    """
    pending = deque()
    try:
        in_flight = 2 * max(1, sum(client.nthreads().values()))
        for start in starts:
            pending.append(client.submit(evaluate_chunk, settings, start, pure=False))
            if len(pending) >= in_flight:
                yield pending.popleft().result()
    finally:
        client.cancel(list(pending))


@dataclass
class BuildSummary:
    out: Path
    count: int
    added: int
    evaluated: int
    rejected: Counter

    @property
    def acceptance_rate(self) -> float:
        return self.added / self.evaluated if self.evaluated else float("nan")

    def report(self) -> str:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(self.rejected.items())) or "none"
        rate = f"{100 * self.acceptance_rate:.1f}%" if self.evaluated else "n/a"
        return (
            f"{self.out}: {self.count} attractors ({self.added} new); acceptance rate {rate} "
            f"of {self.evaluated} candidates; rejected: {reasons}"
        )


def build_dataset(
    out,
    n: int,
    size: int = 128,
    points: int = 1_000_000,
    burn_in: int = 100,
    seed: int = 0,
    palettes=("blue", "orange", "green"),
    workers: int | None = None,
    range_abcd=(-3.0, 3.0),
    range_xy=(-1.0, 1.0),
    min_coverage: float = 0.05,
    progress: bool = True,
    precision: str = "float32",
    scheduler: str | None = None,
) -> BuildSummary:
    """Build (or resume, or extend) the data set in ``out`` with ``n`` accepted attractors.

    ``precision`` "float32" iterates in lockstep on the fast path, "float64" with the exact scalar
    loop (recorded in build.json). ``scheduler`` (a dask.distributed address such as
    "tcp://host:8786") runs the work on that cluster instead of ``workers`` local processes.
    """
    settings = BuildSettings(size, points, burn_in, seed, tuple(palettes), tuple(map(float, range_abcd)),
                             tuple(map(float, range_xy)), float(min_coverage), precision)
    settings.validate()
    if n < 1:
        raise UsageError(f"--n must be at least 1, got {n}")
    if scheduler is not None and workers is not None:
        raise UsageError("--workers and --scheduler exclude each other: the cluster has its own workers")
    workers = os.cpu_count() or 1 if workers is None else workers
    if workers < 1:
        raise UsageError(f"--workers must be at least 1, got {workers}")
    out = Path(out)
    existing = store.inspect(out, settings.palettes)
    if existing.settings is not None:
        _check_same_settings(out, existing.settings, settings)
        n_recorded = max(n, int(existing.settings.get("n", 0)))
    else:
        n_recorded = n
    with connect(scheduler) if scheduler is not None else contextlib.nullcontext() as client:
        (out / store.IMAGES).mkdir(parents=True, exist_ok=True)
        for palette in settings.palettes:
            (out / store.IMAGES / palette).mkdir(exist_ok=True)
        store.repair(out, existing)
        store.write_json(out / store.BUILD_JSON, settings.describe(n_recorded))

        count, evaluated, rejected = existing.count, 0, Counter()
        bar = tqdm(total=n * len(settings.palettes), initial=min(count, n) * len(settings.palettes),
                   unit="img", desc="build", disable=not progress, dynamic_ncols=True)
        with bar, store.ParamsWriter(out / store.PARAMS_CSV) as writer:
            chunks = _ordered_chunks(settings, existing.next_candidate, workers, client) if count < n else iter(())
            for chunk in chunks:
                for candidate in chunk:
                    evaluated += 1
                    if candidate.status != "ok":
                        rejected[candidate.status] += 1
                        continue
                    writer.append(_write_images(out, count, candidate))
                    count += 1
                    bar.update(len(settings.palettes))
                    if count == n:
                        break
                if count >= n:
                    chunks.close()
                    break
        return BuildSummary(out, count, count - existing.count, evaluated, rejected)


def _write_images(out: Path, id_: int, candidate: Candidate) -> list[tuple]:
    rows = []
    for palette, png in candidate.pngs.items():
        file = store.image_path(palette, id_)
        store.write_atomic(out / file, png)
        rows.append((file, palette, id_, candidate.index, *map(float, candidate.params), *map(float, candidate.bounds),
                     candidate.coverage, float(candidate.lyapunov)))
    return rows


def _check_same_settings(out: Path, recorded: dict, settings: BuildSettings) -> None:
    if recorded.get("attractor") != "fractal_dream":
        raise UsageError(f"{out}/build.json does not describe a Fractal Dream build")
    wanted = settings.describe(0)
    differing = [k for k in asdict(settings) if recorded.get(k) != wanted[k]]
    if differing:
        was = ", ".join(f"{k}={recorded.get(k)!r}" for k in differing)
        raise UsageError(f"{out} was built with other settings ({was}); rerun with those or choose another --out")
