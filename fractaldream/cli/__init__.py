"""The ``fractaldream`` command line: one lazy group. A command's module is imported only when the command
is used or listed, and imports the numeric modules (numba, pandas, torch) inside the command, so that
``fractaldream --help`` answers at once."""

import click

from fractaldream.commandline import LazyGroup

COMMANDS = {
    "build": "fractaldream.cli.build:build_command",
    "render": "fractaldream.cli.images:render_command",
    "interpolate": "fractaldream.cli.images:interpolate_command",
    "preview": "fractaldream.cli.images:preview_command",
    "estimate": "fractaldream.cli.estimate:estimate_command",
    "kaggle": "fractaldream.kaggle.cli:kaggle_group",
    "explore": "fractaldream.explore.cli:explore_command",
}


@click.group(cls=LazyGroup, lazy_commands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="fractaldream")
def main():
    """Build the Fractal Dream Dataset: strange attractors with known parameter-space coordinates."""
