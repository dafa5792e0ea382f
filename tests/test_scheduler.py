"""``fractaldream build --scheduler``: the same data set from a dask.distributed cluster."""

import hashlib

import pytest
from click.testing import CliRunner

from fractaldream import build, store
from fractaldream.build import build_dataset
from fractaldream.cli import main
from fractaldream.settings import BuildSettings

distributed = pytest.importorskip("distributed")

SMALL = BuildSettings(size=24, points=10_000, palettes=("blue", "green"))


def snapshot(folder):
    return {p.relative_to(folder): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def scheduler():
    """A real cluster in this process: one worker with two threads, so chunks finish out of order."""
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp",
                                  dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def test_a_cluster_builds_the_same_data_set_as_local_workers(tmp_path, scheduler):
    build_dataset(tmp_path / "local", 30, SMALL, workers=1, progress=False)
    summary = build_dataset(tmp_path / "cluster", 30, SMALL, scheduler=scheduler, progress=False)
    assert summary.count == 30
    assert snapshot(tmp_path / "cluster") == snapshot(tmp_path / "local")


def test_a_cluster_extends_a_local_build_and_the_cli_takes_its_address(tmp_path, scheduler):
    build_dataset(tmp_path / "whole", 14, SMALL, workers=1, progress=False)
    build_dataset(tmp_path / "grown", 5, SMALL, workers=1, progress=False)
    result = CliRunner().invoke(main, ["build", "--n", "14", "--out", str(tmp_path / "grown"), "--size", "24",
                                       "--points", "10000", "--palettes", "blue,green", "--scheduler", scheduler])
    assert result.exit_code == 0, result.output
    assert "14 attractors (9 new)" in result.output
    assert snapshot(tmp_path / "grown") == snapshot(tmp_path / "whole")


@pytest.mark.parametrize("address, code", [("tcp://127.0.0.1:9", 1), ("no-port-here", 2)])
def test_an_unreachable_scheduler_is_a_one_line_error_and_nothing_is_written(tmp_path, monkeypatch, address, code):
    monkeypatch.setattr(build, "CONNECT_TIMEOUT", "1s")
    result = CliRunner().invoke(main, ["build", "--n", "3", "--out", str(tmp_path / "fdd"), "--scheduler", address])
    assert result.exit_code == code and "scheduler" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert not (tmp_path / "fdd").exists()


def test_workers_and_a_scheduler_exclude_each_other(tmp_path):
    result = CliRunner().invoke(main, ["build", "--n", "3", "--out", str(tmp_path / "fdd"),
                                       "--scheduler", "tcp://127.0.0.1:9", "--workers", "2"])
    assert result.exit_code == 2 and "--workers" in result.output and not (tmp_path / "fdd").exists()
    assert store.BUILD_JSON not in {p.name for p in tmp_path.rglob("*")}
