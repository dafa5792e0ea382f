"""``gans train`` and ``gans scan``: their flags are generated from ``TrainConfig``'s fields."""

from pathlib import Path

import click

from fractaldream.commandline import settings_options
from fractaldream.errors import FractalDreamError, UsageError
from gans.training.config import TrainConfig


@click.command("train")
@settings_options(TrainConfig)
def train_command(**settings):
    """Train a model of the family; writes checkpoint, sample grids, loss log and curves to --out."""
    from gans.training.loop import train

    click.echo(str(train(TrainConfig(**settings))))


@click.command("scan")
@click.option("--grid", "grid_text", required=True, help='settings to scan, e.g. "lr-g=1e-3,1e-4 bn-eps=0.5,0.05"')
@click.option("--jobs", default=1, show_default=True, help="runs trained at once")
@click.option("--scheduler", default=None, help="train each run as a task on the dask.distributed cluster at this "
              "address (e.g. tcp://host:8786); its workers need this package, the data and --out at the same paths")
@click.option("--sort-by", default=None, help="summary column to sort by (e.g. loss_g, or a score gans bench wrote)")
@click.option("--descending", is_flag=True, help="sort the summary largest first")
@settings_options(TrainConfig)
def scan_command(grid_text, jobs, scheduler, sort_by, descending, **settings):
    """Train every combination of --grid, each in its own folder under --out; write OUT/summary.csv."""
    from gans.training.scan import SUMMARY, parse_grid, scan, write_summary

    if jobs < 1:
        raise UsageError("--jobs must be at least 1")
    grid = parse_grid(grid_text)
    out = Path(settings.pop("out") or f"runs/scan-{settings['model']}-{settings['dataset']}")
    settings.pop("resume")
    base = TrainConfig(**settings)
    out.mkdir(parents=True, exist_ok=True)
    rows = write_summary(scan(base, grid, out, jobs, scheduler), out / SUMMARY, sort_by, descending)
    if rows:
        columns = list(rows[0])
        click.echo("\t".join(columns))
        for row in rows:
            click.echo("\t".join(str(row.get(c, "")) for c in columns))
    failed = [row["run"] for row in rows if row["status"] == "failed"]
    if failed:
        raise FractalDreamError(f"{len(failed)} of {len(rows)} runs failed: {', '.join(failed)}")
