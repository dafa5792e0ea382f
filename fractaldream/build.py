"""Build the Fractal Dream Dataset: sample parameters -> iterate -> aggregate -> shade -> write.

Candidates are evaluated in fixed chunks (in worker processes, or on a dask.distributed cluster;
results collected in candidate order), and the first ``n`` accepted ones make the data set; ``id``
numbers them 0..n-1 and ``candidate`` keeps their index in the seed's stream, which is where a
resumed build goes on. A chunk is iterated in lockstep (see :mod:`fractaldream.lockstep`), and
only this process writes files, so the data set depends neither on the number of workers nor on
where they ran.

One build writes into a folder at a time (:func:`fractaldream.lock.writer_lock`). A rerun checks what
the folder holds (:func:`fractaldream.store.inspect`), finishes what a killed build left half done and
re-renders a deleted image from its row; it refuses a table it cannot repair exactly.
"""

import contextlib
import errno
import multiprocessing
import os
import socket
import sys
from collections import Counter, deque
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from fractaldream import store
from fractaldream.errors import FractalDreamError, UsageError, describe_os_error
from fractaldream.lock import writer_lock
from fractaldream.png import encode_png
from fractaldream.render import iterate_batch
from fractaldream.sample import sample_parameters
from fractaldream.settings import FACTORS, BuildSettings, check_within

#: Candidates per task (and per lockstep batch): fixed, so that nothing depends on the number of workers.
CHUNK = 128
#: A build stops after this many candidates in a row are rejected: its settings accept (almost) nothing. The
#: default settings accept more than half of all candidates; 12,800 rejections in a row do not come by chance.
MAX_REJECTED_IN_A_ROW = 100 * CHUNK
#: Image names hold seven digits.
MAX_N = 10_000_000
#: More local processes than this per core only cost memory.
WORKERS_PER_CORE = 4
#: How long ``--scheduler`` waits for the dask scheduler to answer.
CONNECT_TIMEOUT = "20s"
#: A dask scheduler greets a new connection at once with a message that starts with its length (8 bytes),
#: far below the bound; another server (HTTP, say) waits for a request and says nothing.
GREETING_HEADER_BYTES = 8
GREETING_MAX_BYTES = 1 << 20
GREETING_SECONDS = 5.0


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
    """A dask.distributed client of the cluster whose scheduler listens at ``scheduler``.

    The address is parsed, and a tcp one first greeted (:func:`_check_greeting`), before a client is made:
    a client that fails to start waits up to twice its timeout when the process exits.
    """
    try:
        from dask.utils import parse_timedelta
        from distributed import Client
    except ImportError:
        raise UsageError("--scheduler needs dask.distributed: pip install 'fractaldream[distributed]'") from None
    tcp = _tcp_host_port(scheduler)
    if tcp is not None:
        _check_greeting(scheduler, *tcp, parse_timedelta(CONNECT_TIMEOUT))
    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except ValueError as error:
        raise UsageError(f"--scheduler {scheduler!r} is not a dask scheduler address: {error}") from None
    except Exception as error:  # the network boundary: whatever stops the client means the same to the user
        raise FractalDreamError(f"cannot reach the dask scheduler at {scheduler}: {' '.join(str(error).split())}") from None


def _tcp_host_port(scheduler: str) -> tuple[str, int] | None:
    """(host, port) of a tcp address (the default scheme), None for another scheme dask knows; else a UsageError."""
    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.comm.registry import get_backend

    try:
        scheme, location = parse_address(scheduler)
        get_backend(scheme)
        if scheme != "tcp":
            return None
        host, port = parse_host_port(location)
        if not 0 < port < 65536:
            raise ValueError(f"port {port} is not in 1..65535")
    except ValueError as error:
        raise UsageError(f"--scheduler {scheduler!r} is not a dask scheduler address "
                         f"(tcp://HOST:PORT): {error}") from None
    return host, port


def _check_greeting(scheduler: str, host: str, port: int, timeout: float) -> None:
    """Refuse a server that does not greet a new connection as a dask scheduler does (a dask client would
    read another server's first bytes as a length, and try to allocate exabytes)."""
    try:
        probe = socket.create_connection((host, port), timeout=timeout)
    except OSError as error:
        raise FractalDreamError(f"cannot reach the dask scheduler at {scheduler}: {describe_os_error(error)}") from None
    with probe:
        probe.settimeout(GREETING_SECONDS)
        try:
            header = _receive(probe, GREETING_HEADER_BYTES)
        except TimeoutError:
            raise FractalDreamError(f"{scheduler} is not a dask scheduler: it said nothing within "
                                    f"{GREETING_SECONDS:g} s of the connection") from None
        except OSError as error:
            raise FractalDreamError(f"{scheduler} is not a dask scheduler: {describe_os_error(error)}") from None
    length = int.from_bytes(header, sys.byteorder)
    if len(header) < GREETING_HEADER_BYTES or not 0 < length <= GREETING_MAX_BYTES:
        raise FractalDreamError(f"{scheduler} is not a dask scheduler: it answered {header!r}")


def _receive(connection: socket.socket, count: int) -> bytes:
    """The first ``count`` bytes the peer sends, or fewer if it closes the connection first."""
    data = b""
    while len(data) < count:
        part = connection.recv(count - len(data))
        if not part:
            break
        data += part
    return data


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
    added: int = 0
    evaluated: int = 0
    rejected: Counter = field(default_factory=Counter)
    restored: int = 0  # images re-rendered from their rows

    @property
    def acceptance_rate(self) -> float:
        return self.added / self.evaluated if self.evaluated else float("nan")

    def report(self) -> str:
        rate = f"{100 * self.acceptance_rate:.1f}%" if self.evaluated else "n/a"
        restored = f", {self.restored} missing images re-rendered" if self.restored else ""
        return (
            f"{self.out}: {self.count} attractors ({self.added} new{restored}); acceptance rate {rate} "
            f"of {self.evaluated} candidates; rejected: {_reasons(self.rejected)}"
        )


def _reasons(rejected: Counter) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(rejected.items())) or "none"


def build_dataset(out, n: int, settings: BuildSettings = BuildSettings(), workers: int | None = None,
                  scheduler: str | None = None, progress: bool = True) -> BuildSummary:
    """Build (or resume, or extend, or repair) the data set in ``out`` with ``n`` accepted attractors.

    ``workers`` local processes (default: all cores) do the work, or, with ``scheduler`` (a
    dask.distributed address such as "tcp://host:8786"), that cluster's workers. Every setting is
    checked before anything is written; a second build into ``out`` is refused while this one runs;
    a build stops when MAX_REJECTED_IN_A_ROW candidates in a row are rejected.
    """
    settings.validate()
    workers = _check_n_and_workers(n, workers, scheduler)
    out = Path(out)
    store.refuse_foreign(out)  # before the lock puts its file into someone else's folder
    with connect(scheduler) if scheduler is not None else contextlib.nullcontext() as client:
        try:
            with writer_lock(out, "fractaldream build"):
                return _build_locked(out, n, settings, workers, client, progress)
        except OSError as error:
            raise _stopped(out, error) from None


def _check_n_and_workers(n: int, workers: int | None, scheduler: str | None) -> int:
    """The number of local workers, once ``n`` and ``workers`` are within bounds."""
    check_within("--n", n, 1, MAX_N)
    if scheduler is not None and workers is not None:
        raise UsageError("--workers and --scheduler exclude each other: the cluster has its own workers")
    cores = os.cpu_count() or 1
    workers = cores if workers is None else workers
    check_within("--workers", workers, 1, WORKERS_PER_CORE * cores)
    return workers


def _build_locked(out: Path, n: int, settings: BuildSettings, workers: int, client, progress: bool) -> BuildSummary:
    existing = store.inspect(out)
    recorded_n = 0
    if existing.count:  # a folder without attractors takes new settings: nothing in it depends on the old ones
        _check_same_settings(out, existing.settings, settings)
        recorded_n = int(existing.settings.get("n", 0))
    store.repair(out, existing)
    store.write_json(out / store.BUILD_JSON, settings.describe(max(n, recorded_n)))
    for palette in settings.palettes:  # after build.json, so that a folder with more than the lock is a build
        (out / store.IMAGES / palette).mkdir(parents=True, exist_ok=True)
    summary = BuildSummary(out, existing.count, restored=_restore_images(out, existing.missing_images, settings))
    if summary.count < n:
        chunks = _ordered_chunks(settings, existing.next_candidate, workers, client)
        try:
            _add_attractors(out, n, settings, chunks, summary, progress)
        finally:
            chunks.close()
    return summary


def _add_attractors(out: Path, n: int, settings: BuildSettings, chunks, summary: BuildSummary, progress: bool) -> None:
    """Write the accepted candidates of ``chunks`` as the next attractors until there are ``n``."""
    palettes = len(settings.palettes)
    bar = tqdm(total=n * palettes, initial=summary.count * palettes, unit="img", desc="starting workers",
               bar_format="{desc}: {elapsed}", disable=not progress, dynamic_ncols=True)
    last_accepted = 0
    with bar, store.ParamsWriter(out / store.PARAMS_CSV) as writer:
        for chunk in chunks:
            if not summary.evaluated:
                _show_progress_from_now(bar)
            for candidate in chunk:
                summary.evaluated += 1
                if candidate.status != "ok":
                    summary.rejected[candidate.status] += 1
                    if summary.evaluated - last_accepted >= MAX_REJECTED_IN_A_ROW:
                        raise _accepts_nothing(summary)
                    continue
                last_accepted = summary.evaluated
                writer.append(_write_images(out, summary.count, candidate))
                summary.count += 1
                summary.added += 1
                bar.update(palettes)
                if summary.count == n:
                    return
            bar.set_postfix_str(f"accepted {100 * summary.acceptance_rate:.1f}% of {summary.evaluated:,}")


def _show_progress_from_now(bar: tqdm) -> None:
    """The first chunk came: the bar shows progress from now on, its rate and ETA timed without the start-up."""
    bar.bar_format = None
    bar.set_description("build", refresh=False)
    bar.unpause()


def _accepts_nothing(summary: BuildSummary) -> UsageError:
    return UsageError(f"none of the last {MAX_REJECTED_IN_A_ROW:,} candidates was accepted (rejected: "
                      f"{_reasons(summary.rejected)}): these --range-abcd, --range-xy and --min-coverage accept "
                      f"(almost) no attractor; {summary.out} keeps its {summary.count} attractors")


def _stopped(out: Path, error: OSError) -> FractalDreamError:
    """A write that failed, in one line, with what to do about it."""
    then = {errno.ENOSPC: "free some space, then rerun the same command: the build resumes where it stopped",
            errno.EROFS: f"{out} is on read-only media: copy it to writable storage to extend or repair it"}
    advice = then.get(error.errno, "rerun the same command once that is fixed: the build resumes where it stopped")
    return FractalDreamError(f"the build into {out} stopped: {describe_os_error(error)}; {advice}")


def _restore_images(out: Path, rows, settings: BuildSettings) -> int:
    """Re-render the images of ``rows`` (their files are missing): rendering is deterministic.

    A row that does not re-render to the values it records was edited: it is refused, not trusted.
    """
    for start in range(0, len(rows), CHUNK):
        batch = rows.iloc[start:start + CHUNK]
        attractors = iterate_batch(batch[list(FACTORS)].to_numpy(np.float64), settings.render, draw_cycles=False)
        for row, attractor in zip(batch.itertuples(), attractors):
            if not _reproduces(row, attractor):
                raise FractalDreamError(
                    f"{out / row.file} is missing, and line {row.Index + 2} of {out / store.PARAMS_CSV} does not "
                    f"re-render to the values it records; restore the image or the row, or build into a new folder")
            store.write_atomic(out / row.file, encode_png(attractor.image(row.palette)))
    return len(rows)


def _reproduces(row, attractor) -> bool:
    return (attractor.ok and attractor.bounds == (row.xmin, row.xmax, row.ymin, row.ymax)
            and attractor.coverage == row.coverage and attractor.lyapunov == row.lyapunov)


def _write_images(out: Path, id_: int, candidate: Candidate) -> list[tuple]:
    rows = []
    for palette, png in candidate.pngs.items():
        file = store.image_path(palette, id_)
        store.write_atomic(out / file, png)
        rows.append((file, palette, id_, candidate.index, *map(float, candidate.params), *map(float, candidate.bounds),
                     candidate.coverage, float(candidate.lyapunov)))
    return rows


def _check_same_settings(out: Path, recorded: dict, settings: BuildSettings) -> None:
    wanted = settings.describe(0)
    differing = [k for k in asdict(settings) if recorded.get(k) != wanted[k]]
    if differing:
        was = ", ".join(f"{k}={recorded.get(k)!r}" for k in differing)
        raise UsageError(f"{out} was built with other settings ({was}); rerun with those or choose another --out")
