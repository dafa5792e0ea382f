"""``gans sample`` (a grid of samples) and ``gans interpolate`` (a GIF walking the latent space).

Interpolation runs between random latent anchors, linearly or spherically (SLERP); ``--cycle``
walks A -> B -> C -> A, so the GIF loops seamlessly. Each frame shows ``--n`` paths side by side.
"""

from pathlib import Path

import click

from fractaldream.errors import UsageError


@click.command("sample")
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--n", default=64, show_default=True, help="number of samples")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="PNG file")
@click.option("--seed", default=0, show_default=True)
@click.option("--device", default="cpu", show_default=True)
def sample_command(run, n, out, seed, device):
    """Write a grid of N samples of a trained RUN."""
    import torch

    from gans.training.monitor import save_grid
    from gans.training.runs import load_run

    if n < 1:
        raise UsageError("--n must be at least 1")
    loaded = load_run(run, device)
    generator = torch.Generator().manual_seed(seed)
    images = loaded.generate(loaded.sample_latent(n, generator), loaded.sample_condition(n, generator))
    save_grid(images, out)
    click.echo(str(out))


@click.command("interpolate")
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--mode", type=click.Choice(["linear", "slerp"]), default="slerp", show_default=True)
@click.option("--cycle", is_flag=True, help="walk A -> B -> C -> A instead of A -> B")
@click.option("--steps", default=30, show_default=True, help="frames per segment")
@click.option("--n", default=8, show_default=True, help="paths shown side by side")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="GIF file")
@click.option("--fps", default=12, show_default=True)
@click.option("--seed", default=0, show_default=True)
@click.option("--device", default="cpu", show_default=True)
def interpolate_command(run, mode, cycle, steps, n, out, fps, seed, device):
    """Write a GIF of a trained RUN's images along latent paths."""
    import io

    import torch

    from fractaldream.store import write_atomic
    from gans.training.monitor import to_pil
    from gans.training.runs import load_run
    from gans.training.sample import latent_path

    if steps < 1 or n < 1 or fps < 1:
        raise UsageError("--steps, --n and --fps must be at least 1")
    loaded = load_run(run, device)
    generator = torch.Generator().manual_seed(seed)
    anchors = [loaded.sample_latent(n, generator) for _ in range(3 if cycle else 2)]
    cond = loaded.sample_condition(n, generator)  # cdcgan: each path keeps its condition
    if cycle:
        anchors.append(anchors[0])
    frames = [to_pil(loaded.generate(z, cond), nrow=n) for z in latent_path(anchors, steps, mode)]
    if cycle:
        frames.pop()  # the loop returns to the first frame by itself
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=int(1000 / fps), loop=0)
    write_atomic(Path(out), buffer.getvalue())
    click.echo(str(out))
