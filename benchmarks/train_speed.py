"""Images/s of ``gans train`` (DCGAN) against a bare PyTorch DCGAN loop: same nets, batch, device, threads.

    python benchmarks/train_speed.py --device cuda --batch-size 128 --steps 200
    python benchmarks/train_speed.py --device cpu --batch-size 16 --steps 10 --image-size 32

Both loops train on the same images (random PNGs decoded by ``gans.data``, its cache in a temporary
folder: the content does not change the speed). Each first runs ``--warmup`` steps, then ``--steps``
timed steps ending in a device synchronisation; ``gans train``'s speed is the one it logs itself for
the timed steps (read back every ``--warmup`` steps; one epoch spans the whole run, so no checkpoint
falls inside it).
Prints both speeds and their ratio, which should be at least 0.9; ``--check`` makes a lower ratio exit 1.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

import numpy as np
import torch
from PIL import Image

from gans.config import TrainConfig, resolve
from gans.data import load_data
from gans.models.blocks import ConvDiscriminator, ConvGenerator
from gans.tricks import bce_ones, bce_zeros
from gans.train import pick_device, train


def write_images(folder: Path, n: int, size: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(folder / f"{i:05d}.png")


def bare_loop(config: TrainConfig, images: torch.Tensor, device: torch.device, warmup: int, steps: int) -> float:
    """The PyTorch DCGAN tutorial's loop, nothing else; returns images/s over the timed steps."""
    torch.manual_seed(config.seed)
    generator = ConvGenerator(config.latent_dim, config.image_size, 3, config.width, config.bn_eps).to(device)
    discriminator = ConvDiscriminator(config.image_size, 3, config.width, config.leaky_slope, config.bn_eps).to(device)
    memory_format = torch.channels_last if config.channels_last else torch.contiguous_format
    generator.to(memory_format=memory_format)
    discriminator.to(memory_format=memory_format)
    opt_g = torch.optim.Adam(generator.parameters(), lr=config.lr_g, betas=config.betas)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=config.lr_d, betas=config.betas)
    images = images.to(device)
    batch = config.batch_size
    batches = torch.randperm(len(images), device=device)[: (warmup + steps) * batch].view(warmup + steps, batch)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16) if config.amp else contextlib.nullcontext()
    start = 0.0
    for step in range(warmup + steps):
        if step == warmup:
            _sync(device)
            start = time.perf_counter()
        x = images[batches[step]].float().div_(127.5).sub_(1).contiguous(memory_format=memory_format)
        with autocast:
            fake = generator(torch.randn(batch, config.latent_dim, device=device))
            loss_d = bce_ones(discriminator.logits(x)) + bce_zeros(discriminator.logits(fake.detach()))
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            loss_g = bce_ones(discriminator.logits(fake))
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
    _sync(device)
    return steps * batch / (time.perf_counter() - start)


def project_loop(config: TrainConfig, warmup: int, steps: int) -> float:
    """``gans train`` for warmup + steps steps; its logged images/s over the steps after the warm-up."""
    run_dir = train(config)
    with open(run_dir / "log.csv", newline="") as handle:
        rows = [(int(row["step"]), float(row["images_per_s"])) for row in csv.DictReader(handle)]
    seconds, previous = 0.0, 0
    for step, speed in rows:
        if previous >= warmup:
            seconds += (step - previous) * config.batch_size / speed
        previous = step
    return steps * config.batch_size / seconds


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=100, help="timed steps")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--amp", action="store_true")
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--repeats", type=int, default=1, help="best of this many measurements of each loop")
    parser.add_argument("--check", action="store_true", help="exit 1 if the ratio is below 0.9")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    total = args.warmup + args.steps
    with tempfile.TemporaryDirectory() as tmp, mock.patch.dict(os.environ, GANS_DATA=str(Path(tmp) / "cache")):
        tmp = Path(tmp)
        write_images(tmp / "images", total * args.batch_size, args.image_size)
        config = resolve(TrainConfig(
            model="dcgan", dataset="folder", data=str(tmp / "images"), image_size=args.image_size,
            batch_size=args.batch_size, max_steps=total, log_every=args.warmup, device=str(device), amp=args.amp,
            channels_last=args.channels_last, grid_size=16, progress=False))
        images = load_data("folder", config.data, config.image_size, progress=False).images
        bare, ours = [], []
        for repeat in range(args.repeats):
            bare.append(bare_loop(config, images, device, args.warmup, args.steps))
            run = TrainConfig.from_dict({**config.to_dict(), "out": str(tmp / f"run{repeat}")})
            ours.append(project_loop(run, args.warmup, args.steps))
    ratio = max(ours) / max(bare)
    if args.repeats > 1:
        print("each repeat (bare / gans train, images/s): "
              + ", ".join(f"{b:.0f} / {o:.0f}" for b, o in zip(bare, ours)))
    print(f"device {device} ({torch.get_num_threads()} threads), DCGAN {args.image_size}x{args.image_size}, "
          f"batch {args.batch_size}, {args.steps} timed steps after {args.warmup}"
          f"{', amp' if args.amp else ''}{', channels-last' if args.channels_last else ''}")
    print(f"bare PyTorch loop: {max(bare):10.1f} images/s")
    print(f"gans train:        {max(ours):10.1f} images/s")
    print(f"ratio:             {ratio:10.3f} ({'within' if ratio >= 0.9 else 'NOT within'} 10%)")
    return 1 if args.check and ratio < 0.9 else 0


if __name__ == "__main__":
    sys.exit(main())
