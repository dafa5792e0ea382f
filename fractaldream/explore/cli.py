"""The ``fractaldream explore`` command. Only click is imported here: Panel and the rest load when it runs."""

import click

from fractaldream.errors import FractalDreamError


class BadInput(click.ClickException):
    """Anything wrong before the server starts: one line, exit status 2."""

    exit_code = 2


@click.command("explore", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@click.option("--run", "runs", multiple=True, metavar="RUN",
              help="A trained run whose model is fed v (cdcgan, lsd): G(v) is shown beside FD(v). Repeatable.")
@click.option("--port", type=click.IntRange(0, 65535), default=5006, show_default=True, help="0: any free port.")
@click.option("--address", metavar="INTERFACE",
              help="Listen on this interface (e.g. 0.0.0.0), open to any origin [default: localhost only].")
@click.option("--show/--no-show", default=True, show_default=True, help="Open the app in a web browser.")
def explore_command(directory, runs, port, address, show):
    """Explore the parameter space in a browser: FD(v) live under sliders, the map of the data set DIRECTORY
    (optional), paths between two vectors, and G(v) of trained runs."""
    from fractaldream.explore.server import prepare, serve_forever, url

    try:
        server = prepare(directory, runs, port, address)
    except FractalDreamError as error:
        raise BadInput(" ".join(str(error).split())) from None
    click.echo(f"fractaldream explore: serving on {url(server, address)} (Ctrl+C stops)")
    serve_forever(server, show)
