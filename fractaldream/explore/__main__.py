"""``python -m fractaldream.explore``: the same command as ``fractaldream explore``."""

from fractaldream.explore.cli import explore_command

explore_command(prog_name="fractaldream explore")
