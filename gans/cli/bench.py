"""``gans bench``: its flags are generated from ``BenchSettings``' fields."""

import click

from fractaldream.commandline import settings_options
from gans.bench.settings import BenchSettings


@click.command(name="bench")
@settings_options(BenchSettings)
def bench_command(**settings):
    """Benchmark the model family: FID/FFD/KID/precision-recall and latent-to-parameter correspondence tables."""
    from gans.bench.run import run_bench

    run_bench(BenchSettings(**settings))
