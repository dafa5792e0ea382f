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
from collections import Counter, deque
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from fractaldream import store
from fractaldream.errors import FractalDreamError, UsageError
from fractaldream.png import encode_png
from fractaldream.render import iterate_batch
from fractaldream.sample import sample_parameters
from fractaldream.settings import BuildSettings

#: Candidates per task (and per lockstep batch): fixed, so that nothing depends on the number of workers.
CHUNK = 128
#: How long ``--scheduler`` waits for the dask scheduler to answer.
CONNECT_TIMEOUT = "20s"


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


def build_dataset(out, n: int, settings: BuildSettings = BuildSettings(), workers: int | None = None,
                  scheduler: str | None = None, progress: bool = True) -> BuildSummary:
    """Build (or resume, or extend) the data set in ``out`` with ``n`` accepted attractors.

    ``workers`` local processes (default: all cores) do the work, or, with ``scheduler`` (a
    dask.distributed address such as "tcp://host:8786"), that cluster's workers.
    """
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
