"""The builder under the faults a user meets: a second writer, a hand-edited table, deleted images, a full disk,
read-only media, a vanished folder, settings that accept nothing. Nothing is lost or corrupted, errors are one line.

The full disk and read-only media are real: a small tmpfs mounted for the test (root only; skipped elsewhere).
"""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from fractaldream import build, settings, store
from fractaldream.build import build_dataset
from fractaldream.cli import main
from fractaldream.settings import BuildSettings

SMALL = BuildSettings(size=24, points=10_000, palettes=("blue", "green"))
SMALL_FLAGS = ["--size", "24", "--points", "10000", "--palettes", "blue,green", "--workers", "1"]


def snapshot(folder):
    return {p.relative_to(folder): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def run_cli(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.output


def rebuild(out, n):
    """The same build command again (in this process, so the lock file's content stays the same)."""
    return run_cli("build", "--n", n, "--out", out, *SMALL_FLAGS)


def one_line(output):
    return len(output.strip().splitlines()) == 1 and "Traceback" not in output


def edit_lines(csv, edit):
    """params.csv with ``edit(lines)`` applied to its list of lines (header first)."""
    lines = csv.read_bytes().splitlines(keepends=True)
    csv.write_bytes(b"".join(edit(lines)))


def with_value(line, column, value: bytes):
    """A params.csv line with ``column`` set to ``value``."""
    fields = line.rstrip(b"\n").split(b",")
    fields[store.COLUMNS.index(column)] = value
    return b",".join(fields) + b"\n"


def last_line(stderr):
    """The error a process ended with; a progress bar may come before it, a traceback must not."""
    assert "Traceback" not in stderr, stderr
    return stderr.splitlines()[-1]


@pytest.fixture(scope="module")
def five(tmp_path_factory):
    """A finished build of five attractors in two palettes: copy it before changing it."""
    out = tmp_path_factory.mktemp("five") / "fdd"
    build_dataset(out, 5, SMALL, workers=1, progress=False)
    return out


@pytest.fixture
def fdd(five, tmp_path):
    return shutil.copytree(five, tmp_path / "fdd")


def long_build(out):
    """A real ``fractaldream build`` process with far more work than a test waits for."""
    command = [sys.executable, "-m", "fractaldream", "build", "--n", "100000", "--out", str(out), "--size", "24",
               "--points", "300000", "--palettes", "blue,orange", "--workers", "1"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_for_rows(out, process, rows=4, seconds=60):
    csv = out / store.PARAMS_CSV
    deadline = time.time() + seconds
    while time.time() < deadline and process.poll() is None:
        if csv.exists() and csv.read_bytes().count(b"\n") > rows:
            return
        time.sleep(0.01)
    raise AssertionError(f"the build wrote no rows within {seconds} s (exit status {process.poll()})")


# -- one writer per folder ------------------------------------------------------------------------------
def test_of_two_builds_into_one_folder_the_second_is_refused_at_once_and_a_killed_one_leaves_no_lock(tmp_path):
    out = tmp_path / "fdd"
    first, second = long_build(out), long_build(out)
    try:
        deadline = time.time() + 60
        while time.time() < deadline and first.poll() is None and second.poll() is None:
            time.sleep(0.01)
        refused, writer = (first, second) if first.poll() is not None else (second, first)
        assert writer.poll() is None, "both builds ended"
        error = refused.stderr.read()
        assert refused.returncode == 2 and one_line(error), error
        assert f"is being written by fractaldream build (pid {writer.pid})" in error
        wait_for_rows(out, writer)
    finally:
        for process in (first, second):
            process.send_signal(signal.SIGKILL)
            process.wait()
    resumed = subprocess.run([sys.executable, "-m", "fractaldream", "build", "--n", "2", "--out", str(out), "--size",
                              "24", "--points", "300000", "--palettes", "blue,orange", "--workers", "1"],
                             capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    table = store.read_params(out / store.PARAMS_CSV)
    count = table["id"].nunique()
    assert count >= 2 and sorted(table["id"]) == sorted(list(range(count)) * 2)


def test_a_folder_that_holds_only_the_lock_is_an_empty_folder(tmp_path):
    out = tmp_path / "fdd"
    out.mkdir()
    (out / ".lock").write_text("fractaldream build (pid 1)\n")
    code, output = rebuild(out, 2)
    assert code == 0, output
    assert {p.name for p in out.iterdir()} == {".lock", "build.json", "params.csv", "images"}


# -- a rerun checks the table: it repairs exactly, or refuses and changes nothing -----------------------
# Lines of params.csv: 0 the header, then attractor k's rows at 2k+1 (blue) and 2k+2 (green).
@pytest.mark.parametrize("damage, message", [
    (lambda lines: lines[:5] + lines[7:], "attractor 2 has no rows (line 6 holds attractor 3)"),
    (lambda lines: lines[:5] + lines[6:], "attractor 2 (line 6) has no row for palette blue"),
    (lambda lines: lines[:6] + [lines[5]] + lines[6:], "line 7 duplicates line 6 (attractor 2, palette blue)"),
    (lambda lines: [lines[0], lines[1], lines[3], lines[2]] + lines[4:], "line 4 returns to attractor 0 after attractor 1"),
    (lambda lines: lines[:2] + [with_value(lines[2], "lyapunov", b"0.5")] + lines[3:],
     "the rows of attractor 0 differ in lyapunov"),
    (lambda lines: lines[:2] + [with_value(lines[2], "file", b"../../elsewhere.png")] + lines[3:],
     "line 3 names file '../../elsewhere.png', not 'images/green/0000000.png'"),
])
def test_a_hand_damaged_table_is_refused_by_name_and_nothing_changes(fdd, damage, message):
    edit_lines(fdd / store.PARAMS_CSV, damage)
    before = snapshot(fdd)
    code, output = rebuild(fdd, 7)
    assert code == 1 and one_line(output) and message in output, output
    assert snapshot(fdd) == before


def test_the_last_attractor_deleted_from_the_table_is_rebuilt_exactly(fdd, five):
    edit_lines(fdd / store.PARAMS_CSV, lambda lines: lines[:-2])
    code, output = rebuild(fdd, 5)
    assert code == 0 and "5 attractors (1 new)" in output, output
    assert snapshot(fdd) == snapshot(five)


@pytest.mark.parametrize("value, column, kind", [
    (b"abc", "a", "a finite number"), (b"inf", "a", "a finite number"), (b"1.5", "id", "a whole number")])
def test_a_value_that_is_not_a_number_is_named_by_rerun_preview_and_render(fdd, tmp_path, value, column, kind):
    edit_lines(fdd / store.PARAMS_CSV, lambda lines: lines[:3] + [with_value(lines[3], column, value)] + lines[4:])
    before = snapshot(fdd)
    expected = f"line 4, column {column}: {value.decode()!r} is not {kind}"
    for args in (["build", "--n", 5, "--out", fdd, *SMALL_FLAGS], ["preview", fdd, "--out", tmp_path / "sheet.png"],
                 ["render", "--data", fdd, "--id", 0, "--out", tmp_path / "one.png"]):
        code, output = run_cli(*args)
        assert code == 1 and one_line(output) and expected in output, (args, output)
    assert snapshot(fdd) == before and not list(tmp_path.glob("*.png"))


# -- images: the build's own are repaired, a user's are left alone -----------------------------------------
def test_a_deleted_image_is_re_rendered_bit_for_bit(fdd, five):
    (fdd / "images/green/0000002.png").unlink()
    (fdd / "images/blue/0000004.png").unlink()
    code, output = rebuild(fdd, 5)
    assert code == 0 and "5 attractors (0 new, 2 missing images re-rendered)" in output, output
    assert snapshot(fdd) == snapshot(five)


def test_a_deleted_image_whose_row_was_edited_is_not_re_rendered_from_it(fdd):
    edit_lines(fdd / store.PARAMS_CSV, lambda lines: lines[:5] + [with_value(line, "coverage", b"0.5")
                                                                  for line in lines[5:7]] + lines[7:])
    (fdd / "images/blue/0000002.png").unlink()
    before = snapshot(fdd)
    code, output = rebuild(fdd, 5)
    assert code == 1 and one_line(output) and "0000002.png is missing, and line 6" in output, output
    assert "does not re-render to the values it records" in output
    assert snapshot(fdd) == before


def test_files_a_user_put_under_images_are_left_alone(fdd, five):
    mine = {"images/notes.txt": b"mine", "images/blue/favourite.png": b"mine", "images/blue/.hidden.tmp": b"mine",
            "images/red/0000009.png": b"mine", "images/green/0000003 copy.png": b"mine"}
    for name, data in mine.items():
        (fdd / name).parent.mkdir(exist_ok=True)
        (fdd / name).write_bytes(data)
    (fdd / "images/blue/0000009.png").write_bytes(b"left by a killed build")  # the build's own name: removed
    code, output = rebuild(fdd, 6)
    assert code == 0, output
    assert all((fdd / name).read_bytes() == data for name, data in mine.items())
    assert not (fdd / "images/blue/0000009.png").exists()


def test_preview_of_a_set_with_a_missing_image_names_it_in_one_line(fdd, tmp_path):
    (fdd / "images/blue/0000001.png").unlink()
    code, output = run_cli("preview", fdd, "--out", tmp_path / "sheet.png")
    assert code == 1 and one_line(output) and "cannot read image" in output and "0000001.png" in output, output
    assert not (tmp_path / "sheet.png").exists()


# -- settings that accept nothing, and the progress bar ---------------------------------------------------
def test_a_build_that_accepts_nothing_stops_and_its_folder_takes_other_settings(tmp_path):
    out = tmp_path / "fdd"
    command = [sys.executable, "-m", "fractaldream", "build", "--n", "3", "--out", str(out), "--size", "8",
               "--points", "1000", "--palettes", "blue", "--range-abcd", "0", "0.0001", "--workers", "1"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    error = last_line(done.stderr)
    assert done.returncode == 2 and error.startswith("Error: none of the last 12,800 candidates was accepted"), error
    assert "fixed_point 12800" in error and "keeps its 0 attractors" in error
    states = [state for state in done.stderr.splitlines() if state.strip()]  # the bar's states, one a line
    assert states[0].startswith("starting workers: 00:0") and "<" not in states[0]
    assert any(state.startswith("build:") and "accepted 0.0% of 12,672" in state for state in states)
    code, output = rebuild(out, 2)
    assert code == 0 and "2 attractors (2 new)" in output, output


def test_the_bar_shows_start_up_then_progress_and_the_acceptance_rate(tmp_path, capsys):
    build_dataset(tmp_path / "fdd", 100, SMALL, workers=1, progress=True)
    states = [state for state in capsys.readouterr().err.splitlines() if state.strip()]
    assert states[0].startswith("starting workers: 00:00") and "img" not in states[0]
    assert any(state.startswith("build:") and "accepted" in state and "% of 128" in state for state in states)


# -- the disk: full, read-only, gone ---------------------------------------------------------------------
def remount(mount, options):
    subprocess.run(["mount", "-o", f"remount,{options}", str(mount)], check=True)


def test_a_full_disk_stops_the_build_in_one_line_and_it_resumes_exactly(small_disk, tmp_path, tiny_fdd):
    build_dataset(tmp_path / "whole", 12, SMALL, workers=1, progress=False)
    out = small_disk / "fdd"
    code, output = rebuild(out, 12)
    error = last_line(output)
    assert code == 1 and error.startswith(f"Error: the build into {out} stopped: No space left on device"), output
    assert "free some space, then rerun the same command" in error
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    table = store.read_params(out / store.PARAMS_CSV)  # whole lines only
    assert 0 < table["id"].nunique() < 12
    code, output = run_cli("preview", tiny_fdd, "--out", small_disk / "sheet.png")
    assert code == 1 and one_line(output) and "No space left on device" in output, output
    assert not list(small_disk.glob("*sheet*"))
    remount(small_disk, "size=1m")
    code, output = rebuild(out, 12)
    assert code == 0, output
    assert snapshot(out) == snapshot(tmp_path / "whole")


def test_a_finished_set_on_read_only_media_is_checked_without_a_write(small_disk, tmp_path):
    out = small_disk / "fdd"
    build_dataset(out, 3, SMALL, workers=1, progress=False)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    remount(small_disk, "ro")
    code, output = rebuild(out, 3)
    assert code == 0 and "3 attractors (0 new)" in output, output
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before
    code, output = rebuild(out, 4)
    assert code == 1 and one_line(output) and "Read-only file system" in output and "read-only media" in output, output
    code, output = run_cli("render", "--data", out, "--id", 1, "--out", small_disk / "one.png")
    assert code == 1 and one_line(output) and "Read-only file system" in output, output


def test_a_folder_taken_away_during_a_build_ends_it_in_one_line(tmp_path):
    out = tmp_path / "fdd"
    process = long_build(out)
    try:
        wait_for_rows(out, process)
        out.rename(tmp_path / "elsewhere")
        process.wait(timeout=60)
    finally:
        process.kill()
        process.wait()
    error = last_line(process.stderr.read())
    assert process.returncode == 1 and error.startswith(f"Error: the build into {out} stopped: No such file"), error


# -- bounds -------------------------------------------------------------------------------------------
def test_a_too_large_size_says_what_one_image_would_take(tmp_path):
    code, output = run_cli("build", "--n", 3, "--out", tmp_path / "fdd", "--size", 100000)
    assert code == 2 and one_line(output) and "--size must be at most 4096" in output
    assert "visit counts of one image alone would take 37.3 GiB" in output
    assert not (tmp_path / "fdd").exists()
    code, output = run_cli("render", "--params", "0.1 0.2 1.8 2.4 1.5 2.5", "--out", tmp_path / "x.png", "--size", 100000)
    assert code == 2 and one_line(output) and "37.3 GiB" in output and not (tmp_path / "x.png").exists()


# Each bound is read inside the test (a module without it fails that test alone, and starts no endless build).
@pytest.mark.parametrize("flag, values", [
    ("--n", lambda: [build.MAX_N + 1]),
    ("--workers", lambda: [build.WORKERS_PER_CORE * (os.cpu_count() or 1) + 1]),
    ("--points", lambda: [settings.MAX_POINTS + 1]),
    ("--burn-in", lambda: [10**20]),
    ("--seed", lambda: [2**63]),
    ("--range-abcd", lambda: [-settings.MAX_RANGE * 10, 3]),
], ids=lambda x: x if isinstance(x, str) else "")
def test_a_number_beyond_its_bound_is_a_one_line_usage_error_that_writes_nothing(tmp_path, flag, values):
    code, output = run_cli("build", "--out", tmp_path / "fdd", "--n", 3, flag, *values())
    assert code == 2 and one_line(output) and f"{flag} must" in output, output
    assert not (tmp_path / "fdd").exists()


def test_too_many_interpolation_steps_are_refused_before_anything_is_written(tmp_path):
    code, output = run_cli("interpolate", "--from", "0 0 1 1 1 1", "--to", "0 0 2 2 2 2", "--steps", 10**12,
                           "--out", tmp_path / "line")
    assert code == 2 and one_line(output) and "--steps must lie in [2, 10,000,000]" in output, output
    assert not (tmp_path / "line").exists()
