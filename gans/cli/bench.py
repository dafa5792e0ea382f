"""``gans bench``: its flags are generated from ``BenchSettings``' fields (``--set``, repeatable, by hand)."""

import dataclasses

import click

from fractaldream.commandline import settings_options
from gans.bench.settings import BenchSettings, parse_overrides, parse_seeds

OVERRIDES_HELP = {f.name: f for f in dataclasses.fields(BenchSettings)}["overrides"].metadata["help"]


@click.command(name="bench")
@settings_options(BenchSettings)
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=OVERRIDES_HELP)
def bench_command(overrides, seeds, **settings):
    """Benchmark the model family: FID/FFD/KID/precision-recall and latent-to-parameter correspondence tables."""
    from gans.bench.run import run_bench

    run_bench(BenchSettings(**settings, seeds=parse_seeds(seeds), overrides=parse_overrides(overrides)))
