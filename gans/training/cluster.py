"""Training runs as tasks on a dask.distributed cluster: what ``--scheduler`` does for ``gans bench`` and ``gans scan``.

Each call becomes one task. Its worker needs this package installed, and the data and the runs folder
at the same paths as here (a shared file system): a task writes its run folder as a local run would,
so a finished or part-done run is reused or resumed the same way, wherever it ran before. A worker
lost mid-run (its process killed, its machine gone) makes the scheduler run the task again elsewhere
(up to its ``distributed.scheduler.allowed-failures``), and a task that raises is retried ``RETRIES``
times; either way the run resumes from its last checkpoint. A run that fails for a reason of its own
(a ``FractalDreamError``, e.g. a diverged run) is not retried: it is that run's result.

A task trains with the torch threads of its worker process (dask's nannies set ``OMP_NUM_THREADS=1``).
With a CUDA device each task holds one ``GPU`` resource: start one worker per GPU with ``--resources GPU=1``.
"""

from __future__ import annotations

import uuid
from typing import Callable

from fractaldream.build import connect
from fractaldream.errors import FractalDreamError, UsageError
from gans.training.speed import device_kind

#: Retries of a task that raised (e.g. a shared file system that failed for a moment).
RETRIES = 2
#: The event topic on which tasks send their log lines to the client.
LOG_TOPIC = "gans-training-log"


def run_tasks(scheduler: str, calls: dict[str, Callable], device: str, log: Callable[[str], None]) -> dict:
    """``calls[name](log)``, each a task on the cluster whose scheduler listens at ``scheduler``.

    Returns name -> the call's result, or the ``FractalDreamError`` that stopped it; the lines a task
    logs reach ``log`` here as they come. ``device`` (a ``--device`` value) decides whether each task
    holds a GPU.
    """
    with connect(scheduler) as client:
        resources = gpu_resources(client) if device_kind(device) == "cuda" else None
        client.subscribe_topic(LOG_TOPIC, lambda event: log(event[1]))
        run = uuid.uuid4().hex[:8]
        futures = {name: client.submit(_task, call, key=f"gans-{name}-{run}", pure=False, retries=RETRIES,
                                       resources=resources)
                   for name, call in calls.items()}
        return {name: _result(future) for name, future in futures.items()}


def gpu_resources(client) -> dict:
    """One GPU per task, refused at once when no worker offers one (the tasks would wait forever)."""
    workers = client.scheduler_info(n_workers=-1)["workers"].values()
    if not any(worker.get("resources", {}).get("GPU") for worker in workers):
        raise UsageError("--device cuda on a cluster needs GPU workers started with --resources GPU=1; "
                         "this cluster has none")
    return {"GPU": 1}


def _task(call: Callable):
    try:
        return call(_log_to_client)
    except FractalDreamError as error:
        return error


def _log_to_client(message: str) -> None:
    from distributed import get_worker

    get_worker().log_event(LOG_TOPIC, message)


def _result(future):
    from distributed import KilledWorker

    try:
        return future.result()
    except KilledWorker as error:
        return FractalDreamError(f"{error.allowed_failures + 1} workers died while running it (the last: "
                                 f"{error.last_worker.address}); its run folder keeps its last checkpoint")
