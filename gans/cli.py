"""The ``gans`` command line: one click group; each sub-command lives beside what it runs."""

import click

from fractaldream.errors import OneLineErrorGroup


@click.group(cls=OneLineErrorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="fractaldream")
def main():
    """Train and benchmark the DCGAN/AAE family of generative models."""


from gans.bench import bench_command  # noqa: E402
from gans.metrics.cli import metrics  # noqa: E402

main.add_command(metrics)
main.add_command(bench_command)

from gans.sample import interpolate_command, sample_command  # noqa: E402
from gans.scan import scan_command  # noqa: E402
from gans.train import train_command  # noqa: E402

main.add_command(train_command)
main.add_command(sample_command)
main.add_command(interpolate_command)
main.add_command(scan_command)

from gans.data_cli import data_group  # noqa: E402

main.add_command(data_group)
