"""Build and render settings: one source for the flags, the checks, build.json and the command that
reproduces a build (the Kaggle page prints it); a command line that starts without numba."""

import dataclasses
import hashlib
import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from fractaldream import store
from fractaldream.cli import main
from fractaldream.cli.build import build_command
from fractaldream.settings import BuildSettings

BUILDS = [
    BuildSettings(),
    BuildSettings(precision="float64"),
    BuildSettings(size=32, points=20_000, burn_in=7, seed=12, palettes=("green", "blue"), range_abcd=(-2.5, 1.25),
                  range_xy=(-0.5, 0.75), min_coverage=0.1, precision="float64"),
    BuildSettings(palettes=("orange",), range_abcd=(0.1, 0.30000000000000004), range_xy=(-1e-3, 2.0), min_coverage=0.0),
]


def parse_build(command: str) -> tuple[int, str, BuildSettings]:
    """What the real ``fractaldream build`` makes of a command line: its --n, its --out and its settings."""
    args = shlex.split(command)
    assert args[:2] == ["fractaldream", "build"]
    params = build_command.make_context("build", args[2:]).params
    settings = BuildSettings(**{f.name: params[f.name] for f in dataclasses.fields(BuildSettings)})
    return params["n"], params["out"], settings


def snapshot(folder: Path) -> dict:
    return {p.relative_to(folder): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("settings", BUILDS)
def test_a_build_command_parses_back_to_its_settings(settings):
    assert parse_build(settings.command(1000, "my fdd")) == (1000, "my fdd", settings)


def test_the_kaggle_page_of_a_float64_build_reproduces_it(tmp_path):
    from fractaldream.build import build_dataset
    from fractaldream.kaggle.prepare import prepare

    settings = BuildSettings(size=16, points=5_000, seed=3, palettes=("orange", "blue"), range_abcd=(-2.0, 2.5),
                             precision="float64")
    build_dataset(tmp_path / "fdd", 3, settings, workers=1, progress=False)
    built = snapshot(tmp_path / "fdd")
    page = prepare(tmp_path / "fdd", "someone/fractal-dream-test", progress=False).metadata["description"]
    (command,) = [line.strip() for line in page.splitlines() if line.strip().startswith("fractaldream build ")]
    assert "--precision float64" in command
    n, _, published = parse_build(command)
    assert (n, published) == (3, settings)
    assert BuildSettings.from_description(store.read_json(tmp_path / "fdd" / store.BUILD_JSON)) == settings
    assert "precision='float64'" in page and "palette='orange'" in page
    args = shlex.split(command)[2:]
    args[args.index("--out") + 1] = str(tmp_path / "again")
    result = CliRunner().invoke(main, ["build", *args, "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert snapshot(tmp_path / "again") == built


def test_build_json_round_trips_and_older_sets_read_as_float64():
    settings = BUILDS[2]
    description = json.loads(json.dumps(settings.describe(5)))
    assert BuildSettings.from_description(description) == settings
    del description["precision"]
    assert BuildSettings.from_description(description).precision == "float64"


def test_the_render_settings_are_the_builds():
    settings = BUILDS[2]
    assert dataclasses.asdict(settings.render) == {"size": 32, "points": 20_000, "burn_in": 7, "min_coverage": 0.1,
                                                   "precision": "float64"}


def test_help_loads_no_numeric_library():
    code = ("import sys\nfrom fractaldream.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('numba', 'datashader', 'torch', 'pandas') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
    for command in ("build", "render", "interpolate", "preview", "kaggle"):
        assert command in done.stdout
