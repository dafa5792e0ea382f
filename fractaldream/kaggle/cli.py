"""``fractaldream kaggle prepare`` and ``upload``: the library's results, printed."""

import json
from pathlib import Path

import click

from fractaldream.commandline import OneLineErrorGroup
from fractaldream.errors import UsageError
from fractaldream.kaggle.metadata import DEFAULT_LICENSE, DEFAULT_TITLE, METADATA_FILE


@click.group("kaggle", cls=OneLineErrorGroup)
def kaggle_group():
    """Publish a built data set on Kaggle."""


exclude_option = click.option(
    "--exclude", multiple=True, metavar="NAME",
    help="Leave files of this name (or glob, e.g. '*.pem') out of the upload, anywhere in the folder; repeatable. "
         "Credentials-like files (kaggle.json, .env, keys) are refused unless removed or excluded.")


@kaggle_group.command("prepare")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--id", "dataset_id", required=True, metavar="OWNER/SLUG", help="Kaggle data set id.")
@click.option("--title", default=DEFAULT_TITLE, show_default=True, help="6 to 50 characters.")
@click.option("--license", "license_name", default=DEFAULT_LICENSE, show_default=True,
              help="A Kaggle license name, e.g. CC0-1.0, CC-BY-4.0, CC-BY-SA-4.0.")
@click.option("--zip-per-palette", is_flag=True, help="Pack the images as one images-<palette>.zip per palette.")
@exclude_option
def prepare_command(directory, dataset_id, title, license_name, zip_per_palette, exclude):
    """Write DIRECTORY/dataset-metadata.json for a built data set and check it as Kaggle would."""
    from fractaldream.kaggle.prepare import prepare

    prepared = prepare(directory, dataset_id, title, license_name, zip_per_palette, exclude=exclude)
    for name in prepared.removed:
        click.echo(f"removed {name} (left by an earlier --zip-per-palette)", err=True)
    click.echo(f"wrote {directory / METADATA_FILE} for {prepared.metadata['id']}; "
               f"check it with: fractaldream kaggle upload {directory} --new --dry-run")


@kaggle_group.command("upload")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--new", is_flag=True, help="Create the data set.")
@click.option("--version", "version", is_flag=True, help="Add a new version (needs -m).")
@click.option("-m", "--message", help="Version notes.")
@click.option("--public", is_flag=True, help="Make a new data set public (default private).")
@click.option("--dry-run", is_flag=True, help="Print the files, sizes and metadata; contact no one.")
@exclude_option
def upload_command(directory, new, version, message, public, dry_run, exclude):
    """Upload DIRECTORY (prepared with `fractaldream kaggle prepare`) to Kaggle."""
    from fractaldream.kaggle.upload import plan_upload, upload

    if new == version:
        raise UsageError("choose exactly one of --new and --version")
    if version and message is None:
        raise UsageError("--version needs -m MESSAGE")
    if new and message is not None:
        raise UsageError("-m MESSAGE goes with --version; a new data set has no version notes")
    plan = plan_upload(directory, new=new, message=message, public=public, exclude=exclude)
    if dry_run:
        print_plan(plan)
        return
    uploaded = upload(plan)
    if uploaded.unknown_tags:
        click.echo(f"Warning: Kaggle knows no tag {', '.join(uploaded.unknown_tags)}; they were left out", err=True)
    click.echo(f"Done: {plan.action}. Kaggle is processing it: {uploaded.url}")


def print_plan(plan) -> None:
    click.echo(f"Dry run, nothing is sent. The upload would {plan.action} with these files:")
    width = max(len(name) for name, _, _ in plan.items)
    for name, size, note in plan.items:
        click.echo(f"  {name:<{width}}  {human_size(size):>10}  {note}".rstrip())
    click.echo(f"  {'total':<{width}}  {human_size(plan.total):>10}")
    click.echo(f"and this {METADATA_FILE}:")
    click.echo(json.dumps(plan.metadata, indent=2))


def human_size(size: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1000
