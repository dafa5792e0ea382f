"""Images/s of ``gans train`` (DCGAN) against a bare PyTorch DCGAN loop, and of each speed option, side by side.

    python benchmarks/train_speed.py --device cpu --batch-size 64 --image-size 64 --steps 20 --repeats 3 --compile \\
        --variants default,no-amp,no-channels-last
    python benchmarks/train_speed.py --device cuda --batch-size 128 --steps 200 \\
        --variants default,amp,channels-last

Every loop trains the same nets on the same images (random PNGs decoded by ``gans.data``, its cache in a
temporary folder: the content does not change the speed) with the same batch, device and threads. Each
runs ``--warmup`` steps (compilation included), then ``--steps`` timed steps in windows of ``--window``
steps, each ending in a device synchronisation; ``gans train``'s speed in a window is the one it logs
itself (every ``--window`` steps; one epoch spans the whole run, so no checkpoint falls inside it). The
loops take turns, ``--repeats`` times, and each one's best window is reported: on a shared machine the
best window is the one least disturbed by the others' load.

A variant is ``default`` (``gans train``'s defaults on this device) or options joined by ``+``
(``amp``, ``no-amp``, ``channels-last``, ``no-channels-last``). The bare loop runs twice:
in float32 (the reference) and with the default's options, against which ``gans train``'s default
should be within 10% (``--check`` makes a lower ratio exit 1).
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

import numpy as np
import torch
from PIL import Image

from gans.data.loading import load_data
from gans.models.blocks import ConvDiscriminator, ConvGenerator
from gans.models.losses import bce_ones, bce_zeros
from gans.training.config import TrainConfig, replace, resolve
from gans.training.device import pick_device
from gans.training.loop import train
from gans.training.speed import mixed_precision

OPTIONS = {"amp": ("amp", True), "no-amp": ("amp", False), "channels-last": ("channels_last", True),
           "no-channels-last": ("channels_last", False)}
#: The CPU flags that decide which options help.
CPU_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")


def variant_settings(name: str) -> dict:
    if name == "default":
        return {}
    unknown = [option for option in name.split("+") if option not in OPTIONS]
    if unknown:
        raise SystemExit(f"unknown option(s) {', '.join(unknown)} in variant {name!r} (from: {', '.join(OPTIONS)})")
    return dict(OPTIONS[option] for option in name.split("+"))


def write_images(folder: Path, n: int, size: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(folder / f"{i:05d}.png")


def bare_loop(config: TrainConfig, images: torch.Tensor, device: torch.device, warmup: int, steps: int,
              window: int, compiled: bool = False) -> float:
    """The PyTorch DCGAN tutorial's loop, nothing else; returns images/s of its best window of timed steps.

    ``compiled``: the generator's and the discriminator's forward passes through ``torch.compile``
    (its compilation falls in the warm-up steps)."""
    torch.manual_seed(config.seed)
    generator = ConvGenerator(config.latent_dim, config.image_size, 3, config.width, config.bn_eps).to(device)
    discriminator = ConvDiscriminator(config.image_size, 3, config.width, config.leaky_slope, config.bn_eps).to(device)
    memory_format = torch.channels_last if config.channels_last else torch.contiguous_format
    generator.to(memory_format=memory_format)
    discriminator.to(memory_format=memory_format)
    generate, judge = generator, discriminator.logits
    if compiled:
        generate, judge = torch.compile(generator), torch.compile(discriminator.logits)
    opt_g = torch.optim.Adam(generator.parameters(), lr=config.lr_g, betas=config.betas)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=config.lr_d, betas=config.betas)
    images = images.to(device)
    batch = config.batch_size
    batches = torch.randperm(len(images), device=device)[: (warmup + steps) * batch].view(warmup + steps, batch)
    marks = []
    for step in range(warmup + steps):
        if step >= warmup and (step - warmup) % window == 0:
            _sync(device)
            marks.append(time.perf_counter())
        x = images[batches[step]].float().div_(127.5).sub_(1).contiguous(memory_format=memory_format)
        with mixed_precision(device, config.amp):
            fake = generate(torch.randn(batch, config.latent_dim, device=device))
            loss_d = bce_ones(judge(x)) + bce_zeros(judge(fake.detach()))
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            loss_g = bce_ones(judge(fake))
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
    _sync(device)
    marks.append(time.perf_counter())
    return max(window * batch / (end - start) for start, end in zip(marks, marks[1:]))


def project_loop(config: TrainConfig, warmup: int) -> float:
    """``gans train`` (logging every window); the images/s it logged for its best window after the warm-up."""
    run_dir = train(config)
    with open(run_dir / "log.csv", newline="") as handle:
        return max(float(row["images_per_s"]) for row in csv.DictReader(handle) if int(row["step"]) > warmup)


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def options_text(config: TrainConfig) -> str:
    on = [name for name, flag in (("amp", config.amp), ("channels-last", config.channels_last)) if flag]
    return "+".join(on) or "float32"


def machine(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)}; torch {torch.__version__}"
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    pairs = (line.split(":", 1) for line in info.splitlines() if ":" in line)
    fields = {key.strip(): value.strip() for key, value in pairs}
    model = fields.get("model name", platform.processor())
    flags = set(fields.get("flags", "").split())
    return (f"{model}, flags {' '.join(f for f in CPU_FLAGS if f in flags) or '(unknown)'}; "
            f"torch {torch.__version__}, {torch.get_num_threads()} threads")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=100, help="timed steps")
    parser.add_argument("--warmup", type=int, default=10, help="untimed steps (a multiple of --window)")
    parser.add_argument("--window", type=int, default=5, help="timed steps per measurement")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--variants", default="default", help="comma-separated, e.g. default,no-amp,no-channels-last")
    parser.add_argument("--repeats", type=int, default=1, help="best of this many measurements of each loop")
    parser.add_argument("--compile", action="store_true", help="also the bare loops with torch.compile")
    parser.add_argument("--check", action="store_true", help="exit 1 if gans train's default is below 0.9 "
                                                             "of the bare loop with the same options")
    args = parser.parse_args(argv)
    if args.steps % args.window or args.warmup % args.window:
        parser.error("--steps and --warmup must be multiples of --window")
    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    variants = {name: variant_settings(name) for name in args.variants.split(",")}
    total = args.warmup + args.steps
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp, mock.patch.dict(os.environ, GANS_DATA=str(Path(tmp) / "cache")):
        tmp = Path(tmp)
        write_images(tmp / "images", total * args.batch_size, args.image_size)
        base = TrainConfig(model="dcgan", dataset="folder", data=str(tmp / "images"), image_size=args.image_size,
                           batch_size=args.batch_size, max_steps=total, log_every=args.window, device=str(device),
                           grid_size=16, progress=False)
        default = resolve(base)
        configs = {name: resolve(replace(base, **changes)) for name, changes in variants.items()}
        images = load_data("folder", default.data, default.image_size, progress=False).images
        bare = {"float32": replace(default, amp=False, channels_last=False),
                options_text(default): default}
        speeds = {}
        for repeat in range(args.repeats):
            for name, config in bare.items():
                speeds.setdefault(f"bare PyTorch loop ({name})", []).append(
                    bare_loop(config, images, device, args.warmup, args.steps, args.window))
                if args.compile:
                    speeds.setdefault(f"bare PyTorch loop ({name}, torch.compile)", []).append(
                        bare_loop(config, images, device, args.warmup, args.steps, args.window, compiled=True))
            for name, config in configs.items():
                run = replace(config, out=str(tmp / f"{name}-{repeat}"))
                speeds.setdefault(f"gans train {name} ({options_text(config)})", []).append(
                    project_loop(run, args.warmup))
    best = {name: max(values) for name, values in speeds.items()}
    reference = best["bare PyTorch loop (float32)"]
    print(f"{device}: {machine(device)}; load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    print(f"DCGAN {args.image_size}x{args.image_size}, batch {args.batch_size}, {args.steps} timed steps after "
          f"{args.warmup}, best {args.window}-step window of {args.repeats} repeats")
    print("| loop | images/s | vs bare float32 |\n| --- | --- | --- |")
    for name, speed in best.items():
        print(f"| {name} | {speed:.1f} | {speed / reference:.2f}x |")
    ours = f"gans train default ({options_text(default)})"
    if ours not in best:
        return 0
    ratio = best[ours] / best[f"bare PyTorch loop ({options_text(default)})"]
    print(f"ratio: {ratio:.3f} (gans train's default / the bare loop with its options; "
          f"{'within' if ratio >= 0.9 else 'NOT within'} 10%)")
    return 1 if args.check and ratio < 0.9 else 0


if __name__ == "__main__":
    sys.exit(main())
