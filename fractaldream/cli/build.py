"""``fractaldream build``: its settings' flags are generated from ``BuildSettings``."""

import click

from fractaldream.commandline import settings_options
from fractaldream.settings import BuildSettings


@click.command("build")
@click.option("--n", "n", type=int, required=True, help="Accepted attractors to build.")
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Output folder.")
@settings_options(BuildSettings)
@click.option("--workers", type=int, help="Processes [default: all cores].")
@click.option("--scheduler", metavar="ADDRESS",
              help="Run on the dask.distributed cluster of this scheduler (e.g. tcp://host:8786) instead of local processes.")
def build_command(n, out, workers, scheduler, **settings):
    """Build (resume, or extend) a data set of N attractors in OUT."""
    from fractaldream.build import build_dataset

    summary = build_dataset(out, n, BuildSettings(**settings), workers=workers, scheduler=scheduler)
    click.echo(summary.report())
