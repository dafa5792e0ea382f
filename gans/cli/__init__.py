"""The ``gans`` command line: one lazy group; a sub-command's module is imported only when it is used
or listed, and imports its heavy dependencies (torch) inside the command."""

import click

from fractaldream.commandline import LazyGroup

COMMANDS = {
    "train": "gans.cli.train:train_command",
    "scan": "gans.cli.train:scan_command",
    "sample": "gans.cli.sample:sample_command",
    "interpolate": "gans.cli.sample:interpolate_command",
    "generate": "gans.cli.generate:generate_command",
    "export": "gans.cli.export:export_command",
    "bench": "gans.cli.bench:bench_command",
    "metrics": "gans.cli.metrics:metrics",
    "data": "gans.cli.data:data_group",
}


@click.group(cls=LazyGroup, lazy_commands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="fractaldream")
def main():
    """Train and benchmark the DCGAN/AAE family of generative models."""
