"""``gans bench --scheduler`` and ``gans scan --scheduler``: training runs as tasks on a dask.distributed cluster."""

import csv
import os
import signal
import threading
import time

import pytest
import torch
from click.testing import CliRunner

from fractaldream import build
from fractaldream.errors import FractalDreamError, UsageError
from gans.bench import budget
from gans.bench.settings import BenchSettings
from gans.cli import main
from gans.training.checkpoint import CHECKPOINT, load_checkpoint
from gans.training.cluster import run_tasks
from gans.training.loop import train
from gans.training.scan import scan
from gans_fixtures import fdd, tiny_config  # noqa: F401  (fdd: a fixture)

distributed = pytest.importorskip("distributed")

TIMING = ("train_s", "images_per_s")


@pytest.fixture(scope="module")
def scheduler():
    """Two worker processes of one thread each (dask's nannies give them one torch thread, as the tests have)."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def bench_table(tmp_path, name, *args):
    result = CliRunner().invoke(main, ["bench", "--quick", "--models", "dcgan,gan", "--out", str(tmp_path / name),
                                       "--runs", str(tmp_path / f"runs-{name}"), "--no-progress", *args])
    assert result.exit_code == 0, result.output
    with open(tmp_path / name / "fractal" / "table.csv", newline="") as handle:
        return [{k: v for k, v in row.items() if k not in TIMING} for row in csv.DictReader(handle)]


def test_a_quick_bench_trained_on_a_cluster_gives_the_local_table(fdd, tmp_path, monkeypatch, scheduler):  # noqa: F811
    local = bench_table(tmp_path, "local", "--data", str(fdd))

    def trained_here(config):
        raise AssertionError(f"{config.out} was trained in the client")

    monkeypatch.setattr(budget, "train", trained_here)  # the workers have their own, untouched modules
    on_cluster = bench_table(tmp_path, "cluster", "--data", str(fdd), "--scheduler", scheduler)
    assert {"dcgan", "gan"} <= {row["model"] for row in local}
    assert on_cluster == local


def kill_the_busy_worker(address, run_dir, seen):
    """Once the run has its first checkpoint, kill the process of the worker running it (SIGKILL)."""
    deadline = time.monotonic() + 120
    with distributed.Client(address, set_as_default=False) as client:
        while not (run_dir / CHECKPOINT).exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        seen["step"] = load_checkpoint(run_dir)["step"]
        busy = [worker for worker, keys in client.processing().items() if keys]
        seen["pid"] = client.run(os.getpid, workers=busy)[busy[0]]
        os.kill(seen["pid"], signal.SIGKILL)


def test_a_worker_killed_mid_run_is_replaced_and_the_run_resumes_exactly(fdd, tmp_path, scheduler):  # noqa: F811
    steps = 48  # 4 steps an epoch, a checkpoint at the end of each
    whole = train(tiny_config(fdd, tmp_path / "whole", max_steps=steps, width=64))
    seen = {}
    killer = threading.Thread(target=kill_the_busy_worker, args=(scheduler, tmp_path / "scan" / "seed=0", seen))
    killer.start()
    rows = scan(tiny_config(fdd, None, max_steps=steps, width=64), {"seed": [0]}, tmp_path / "scan", scheduler=scheduler)
    killer.join()
    assert 4 <= seen["step"] < steps, "the worker was not killed mid-run"
    with pytest.raises(ProcessLookupError):
        os.kill(seen["pid"], 0)
    assert rows[0]["status"] == "finished" and rows[0]["step"] == str(steps)
    a, b = load_checkpoint(whole), load_checkpoint(tmp_path / "scan" / "seed=0")
    assert a["step"] == b["step"] == steps
    for key, value in a["model"].items():
        assert torch.equal(value, b["model"][key]), key


@pytest.mark.parametrize("address, code, message", [("tcp://127.0.0.1:9", 1, "cannot reach the dask scheduler"),
                                                    ("no-port-here", 2, "not a dask scheduler address")])
def test_an_unreachable_or_malformed_scheduler_is_a_one_line_error(fdd, tmp_path, monkeypatch, address, code,  # noqa: F811
                                                                    message):
    monkeypatch.setattr(build, "CONNECT_TIMEOUT", "1s")
    result = CliRunner().invoke(main, ["scan", "--data", str(fdd), "--image-size", "32", "--max-steps", "1",
                                       "--grid", "seed=0", "--out", str(tmp_path / "scan"), "--scheduler", address])
    assert result.exit_code == code and message in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert not list((tmp_path / "scan").iterdir())
    with pytest.raises(FractalDreamError, match=message) as caught:
        budget.train_models(BenchSettings(scheduler=address, models=("dcgan",)), str(fdd), 1.0, print)
    assert caught.value.exit_code == code


def test_cluster_options_that_cannot_work_are_refused(tmp_path, scheduler):
    result = CliRunner().invoke(main, ["scan", "--grid", "seed=0", "--jobs", "2", "--scheduler", scheduler,
                                       "--out", str(tmp_path / "scan")])
    assert result.exit_code == 2 and "--jobs and --scheduler exclude each other" in result.output
    with pytest.raises(UsageError, match="GPU workers"):
        run_tasks(scheduler, {}, "cuda", print)
