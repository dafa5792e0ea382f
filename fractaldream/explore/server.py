"""Check the input, bind the port, compile what every session needs, then serve: every failure comes before
the server starts, and the cheap checks before the slow compilation."""

import errno

from tqdm import tqdm

from fractaldream.errors import UsageError


def prepare(directory, runs, port: int, address: str | None):
    """A Panel server, bound but not started, sharing one :class:`~fractaldream.explore.app.Exploration`; the
    kernels are compiled so the first session's first render and map are as fast as the later ones."""
    from fractaldream.explore.app import Exploration
    from fractaldream.explore.data import default_start, load_map_data
    from fractaldream.explore.models import load_runs

    with tqdm(total=4, desc="explore: preparing", unit="step") as bar:
        def step(what: str) -> None:
            bar.set_postfix_str(what)
            bar.update()

        data = None if directory is None else load_map_data(directory)
        step("read the data set")
        exploration = Exploration(default_start() if data is None else data.start(), data, load_runs(runs))
        step("loaded the runs")
        server = listen(exploration, port, address)
        step("bound the port")
        _compile(exploration)
        step("compiled the renderer and the map")
    return server


def _compile(exploration) -> None:
    from fractaldream.explore.datamap import compile_kernels
    from fractaldream.render import iterate

    start = exploration.start
    iterate(start.v, start.settings).image(start.palette)
    if exploration.data is not None:
        compile_kernels()


def listen(exploration, port: int, address: str | None):
    """A Panel server bound to ``address:port`` (localhost unless an address is given), not yet started.

    An explicit ``address`` means other machines connect, under names this one cannot know: any origin may.
    """
    import panel as pn

    from fractaldream.explore.app import TITLE, session

    host = address or "localhost"
    try:
        return pn.serve(lambda: session(exploration), port=port, address=host, show=False, start=False,
                        verbose=False, title=TITLE, websocket_origin="*" if address else None)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise UsageError(f"port {port} on {host} is in use; choose another with --port (0: any free port)") \
                from None
        raise UsageError(f"cannot listen on {host}:{port} ({error.strerror or error})") from None


def url(server, address: str | None) -> str:
    return f"http://{address or 'localhost'}:{server.port}/"


def serve_forever(server, show: bool) -> None:
    """Start; open a browser tab when asked; return when interrupted (Ctrl+C)."""
    server.start()
    if show:
        server.io_loop.add_callback(server.show, "/")
    try:
        server.io_loop.start()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
