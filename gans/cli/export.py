"""``gans export RUN --out DIR``: a run folder to publish, which ``gans sample`` and ``gans generate`` read alone.

It holds the checkpoint without the training state (so it cannot be resumed; ``--half`` also stores the weights
as float16), the resolved settings as ``config.json``, and the run's sample grid, curves and loss log. The folder
is written beside ``--out`` under a hidden name and renamed into place when complete, so it appears whole or not
at all.
"""

import json
import os
import shutil
from pathlib import Path

import click

from fractaldream.errors import FractalDreamError, UsageError, describe_os_error

#: What is copied beside the checkpoint, when the run has it.
COPIED = ("grid.png", "curves.png", "log.csv")


@click.command("export")
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), required=True, help="new (or empty) folder to write")
@click.option("--half", is_flag=True, help="store the weights as float16 (half the size; loaded back as float32)")
def export_command(run, out, half):
    """Write RUN's checkpoint (without its training state), settings and pictures to a folder to publish."""
    from gans.training.checkpoint import CHECKPOINT, for_reading, load_checkpoint, save_checkpoint

    if not run.is_dir():
        raise UsageError(f"{run}: not a run folder")
    saved = load_checkpoint(run)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"--out {out} already exists and is not an empty folder")
    staging = out.with_name(f".{out.name}.export-{os.getpid()}")
    try:
        staging.mkdir(parents=True)
        save_checkpoint(staging / CHECKPOINT, for_reading(saved, half))
        (staging / "config.json").write_text(json.dumps(saved["config"], indent=2, default=list) + "\n")
        for name in COPIED:
            if (run / name).is_file():
                shutil.copyfile(run / name, staging / name)
        if out.is_dir():
            out.rmdir()  # empty, checked above
        staging.rename(out)
    except OSError as error:
        raise FractalDreamError(f"cannot write {out}: {describe_os_error(error)}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    size = sum(path.stat().st_size for path in out.iterdir()) / 2**20
    click.echo(f"exported {run} (step {saved['step']}) to {out}: {size:.1f} MiB")
