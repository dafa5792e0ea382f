"""``fractaldream build --scheduler``: the same data set from a dask.distributed cluster."""

import hashlib
import socket
import subprocess
import sys
import threading
import time

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


class ForeignServer:
    """A real TCP server on 127.0.0.1 that is not dask: it greets as an SSH server does, or (``silent``) waits
    for a request as an HTTP server does."""

    def __init__(self, silent: bool):
        self.silent, self.connections = silent, []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"tcp://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:  # closed
                return
            self.connections.append(connection)
            if not self.silent:
                connection.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")

    def close(self):
        self.listener.close()
        for connection in self.connections:
            connection.close()


@pytest.fixture
def foreign_server(request):
    server = ForeignServer(silent=request.param)
    yield server
    server.close()


@pytest.mark.parametrize("foreign_server", [False], indirect=True)
def test_a_port_served_by_something_else_ends_the_build_at_once_in_one_line(tmp_path, foreign_server):
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "fractaldream", "build", "--n", "3", "--out", str(tmp_path / "fdd"),
                           "--scheduler", foreign_server.address], capture_output=True, text=True, timeout=30)
    assert time.monotonic() - started < 15
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert f"{foreign_server.address} is not a dask scheduler: it answered b'SSH-2.0-'" in done.stderr
    assert not (tmp_path / "fdd").exists()


@pytest.mark.parametrize("foreign_server", [True], indirect=True)
def test_a_server_that_says_nothing_is_refused_after_a_short_wait(tmp_path, monkeypatch, foreign_server):
    monkeypatch.setattr(build, "GREETING_SECONDS", 0.5)
    started = time.monotonic()
    result = CliRunner().invoke(main, ["build", "--n", "3", "--out", str(tmp_path / "fdd"),
                                       "--scheduler", foreign_server.address])
    assert time.monotonic() - started < 5
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1, result.output
    assert "is not a dask scheduler: it said nothing within 0.5 s" in result.output
    assert not (tmp_path / "fdd").exists()


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:http", "tcp://127.0.0.1:99999", "foo://host:1"])
def test_a_malformed_address_is_a_one_line_usage_error(tmp_path, address):
    result = CliRunner().invoke(main, ["build", "--n", "3", "--out", str(tmp_path / "fdd"), "--scheduler", address])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
    assert f"--scheduler {address!r} is not a dask scheduler address" in result.output
    assert not (tmp_path / "fdd").exists()


def test_after_a_malformed_address_the_process_ends_at_once(tmp_path):
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "fractaldream", "build", "--n", "3", "--out", str(tmp_path / "fdd"),
                           "--scheduler", "no-port-here"], capture_output=True, text=True, timeout=30)
    assert time.monotonic() - started < 15  # a dask client that failed to start waited 40 s here
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
