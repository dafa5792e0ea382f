"""The training loop: ``train(config) -> run folder``, what ``gans train`` runs.

    from gans.training.config import TrainConfig
    from gans.training.loop import train
    run_dir = train(TrainConfig(model="dcgan", dataset="fractal", data="fdd/", image_size=32,
                                max_steps=500, batch_size=64, seed=0, device="cpu", out="runs/a"))

A run folder holds ``checkpoint.pt`` (see ``gans.training.checkpoint``), ``log.csv`` (losses and D's mean
scores on real and fake every ``log_every`` steps and at the end of each epoch, plus images/s),
``curves.png``, ``grid.png`` (samples from fixed noise, the latest) and ``samples/step_NNNNNNN.png``,
and with ``tensorboard`` a ``tensorboard/`` folder.

- Calling ``train`` again with the same settings on a finished run returns at once. A run that
  stopped (``max_steps``, interruption) continues with ``resume=True``, exactly where its last
  checkpoint left it (weights, optimizers, RNG states, position in the epoch's data order), and may
  then change ``epochs`` / ``max_steps``. Other changes are refused; ``resume`` on a folder with no
  checkpoint starts a new run.
- A checkpoint is written at the end of every epoch and at the end of the run. A non-finite loss, or a
  diverging one (beyond ``DIVERGED_LOSS``) or a diverging weight (beyond ``DIVERGED_WEIGHT``), stops the
  run with an error and leaves the last good checkpoint in place.
- One run writes into a folder at a time: a second ``train`` into the same ``out`` is refused at once.
- The loop does no host synchronisation and no disk I/O per step: losses stay on the device and are
  read back every ``log_every`` steps (the ``unequal_band`` trick is the one exception).
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import click
import torch
from tqdm import tqdm

from fractaldream.errors import FractalDreamError, UsageError
from fractaldream.lock import writer_lock
from gans.data.loading import load_data
from gans.data.pixels import signed
from gans.models import build_model
from gans.training.checkpoint import (CHECKPOINT, load_checkpoint, load_weights, refuse_other_data, restore_training,
                                      rng_states, save_checkpoint)
from gans.training.color import from_rgb, to_rgb
from gans.training.config import TrainConfig, resolve
from gans.training.device import pick_device
from gans.training.monitor import CURVES, GRID, LOG, LossLog, draw_curves, save_grid, tensorboard_writer
from gans.training.speed import mixed_precision
from gans.training.state import run_state
from gans.training.tricks import Tricks

# Data sets up to this size live on the GPU; larger ones are indexed in their memory-mapped cache and copied per batch.
GPU_DATA_BYTES = 4 << 30
#: A logged loss or score beyond this magnitude means the run has diverged: healthy runs of the family stay far
#: below (BCE and MSE losses O(1) to O(100), WGAN critic values O(100)); at --lr-g 1e6 --lr-d 1e6 they pass 1e13.
DIVERGED_LOSS = 1e6
#: A weight beyond this magnitude means the run has diverged, even where normalisation keeps the losses sane:
#: initial weights are O(1), and Adam moves a weight by at most about the learning rate a step.
DIVERGED_WEIGHT = 1e4


def train(config: TrainConfig) -> Path:
    """Train (or resume, or find finished) the run ``config`` describes; returns its folder."""
    config = resolve(config)
    with writer_lock(config.out, "gans train"):  # two runs in one folder would interleave their logs and checkpoints
        return _train_locked(config)


def _train_locked(config: TrainConfig) -> Path:
    run_dir = Path(config.out)
    state = run_state(config)
    if state.finished:
        click.echo(f"{run_dir}: already finished (step {state.step})", err=True)
        return run_dir
    if state.saved is not None:
        if not config.resume:
            raise UsageError(f"{run_dir} already holds a run (step {state.step}); pass --resume to continue it, "
                             f"or choose another --out")
        if state.changed:
            raise UsageError(f"cannot resume {run_dir} with other settings ({'; '.join(state.changed)})")
    return Trainer(config, state.saved).run()


class Trainer:
    def __init__(self, config: TrainConfig, saved: dict | None):
        self.config = c = config
        self.run_dir = Path(c.out)
        self.device = pick_device(c.device)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick its fastest kernels
        data = load_data(c.dataset, c.data, c.image_size, c.palette, c.strict, c.workers, c.progress)
        if saved is not None:
            refuse_other_data(saved, len(data.images), data.fingerprint, self.run_dir)
        self.n_images, self.data_fingerprint = len(data.images), data.fingerprint
        self.steps_per_epoch = self.n_images // c.batch_size
        if self.steps_per_epoch == 0:
            raise UsageError(f"{c.dataset}: {self.n_images} images, fewer than one batch of {c.batch_size}")
        limits = [n for n in (c.max_steps, c.epochs and c.epochs * self.steps_per_epoch) if n]
        self.total_steps = min(limits)
        self.info = data.info
        if c.color_space != "rgb" and data.info.channels != 3:
            raise UsageError(f"--color-space {c.color_space} needs colour images; {c.dataset} is grey")
        on_device = self.device.type == "cuda" and data.images.numel() <= GPU_DATA_BYTES
        self.images = data.images.to(self.device) if on_device else data.images
        self.targets = data.targets.to(self.device)

        torch.manual_seed(c.seed)
        self.model = build_model(c, data.info).to(self.device)
        if c.channels_last:
            self.model.to(memory_format=torch.channels_last)
        self.optimizers = self.model.make_optimizers()
        self.step = 0
        if saved is not None:
            load_weights(self.model, saved, self.run_dir / CHECKPOINT)
            restore_training(saved, self.run_dir / CHECKPOINT, self.optimizers)
            self.step = saved["step"]
        self.tricks = Tricks(c)
        if self.tricks.augmenting and self.model.uses_targets and data.info.factors:
            click.echo(f"warning: {c.model} with affine augmentation: an augmented image no longer matches "
                       f"its parameter vector v exactly", err=True)
        fixed = torch.Generator().manual_seed(c.seed + 1)
        self.fixed_z = self.model.sample_latent(c.grid_size, generator=fixed, device=self.device)
        self.fixed_cond = self.model.sample_condition(c.grid_size, generator=fixed, device=self.device)
        self.log = LossLog(self.run_dir / LOG)
        self.pending: list[dict] = []

    # -- the loop ---------------------------------------------------------------------------
    def run(self) -> Path:
        c = self.config
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "samples").mkdir(exist_ok=True)
        self.log.truncate(self.step)
        self.writer = tensorboard_writer(self.run_dir) if c.tensorboard else None
        autocast = mixed_precision(self.device, c.amp)
        bar = tqdm(total=self.total_steps * c.batch_size, initial=self.step * c.batch_size, unit="img",
                   unit_scale=True, desc=self.run_dir.name, disable=not c.progress, dynamic_ncols=True)
        self.clock, self.clock_step = time.perf_counter(), self.step
        try:
            self.model.train()
            while self.step < self.total_steps:
                epoch, offset = divmod(self.step, self.steps_per_epoch)
                self.start_epoch(epoch, offset)
                for x, target in self.batches(epoch, offset):
                    with autocast:
                        losses = self.model.train_step(x, target, self.tricks, self.optimizers, self.step)
                    self.pending.append(losses)
                    self.step += 1
                    bar.update(c.batch_size)
                    end_of_epoch = self.step % self.steps_per_epoch == 0
                    if self.step % c.log_every == 0 or end_of_epoch or self.step == self.total_steps:
                        bar.set_postfix(self.flush_log(), refresh=False)
                    if end_of_epoch or self.step == self.total_steps:
                        self.end_of_epoch()
                    if self.step == self.total_steps:
                        break
        finally:
            bar.close()
            if self.writer is not None:
                self.writer.close()
        return self.run_dir

    def start_epoch(self, epoch: int, offset: int) -> None:
        c = self.config
        self.tricks.set_epoch(epoch)
        if c.d_reset_every and epoch > 0 and offset == 0 and epoch % c.d_reset_every == 0:
            for name in self.model.reset_discriminator():
                self.optimizers[name] = self.model.make_optimizer(name)

    def batches(self, epoch: int, offset: int):
        """The epoch's batches from ``offset`` on, in an order fixed by (seed, epoch): resumable mid-epoch."""
        c = self.config
        order = torch.Generator().manual_seed(c.seed * 1_000_003 + epoch)
        used = self.steps_per_epoch * c.batch_size
        permutation = torch.randperm(self.n_images, generator=order)[:used].view(self.steps_per_epoch, -1)
        permutation = permutation.to(self.images.device)
        memory_format = torch.channels_last if c.channels_last else torch.contiguous_format
        on_host = self.images.device.type != self.device.type
        for indices in permutation[offset:]:
            x = self.images[indices]
            if on_host:
                x = x.pin_memory().to(self.device, non_blocking=True)
            x = from_rgb(self.tricks.augment(signed(x)), c.color_space)
            x = x.contiguous(memory_format=memory_format)
            yield x, self.targets[indices.to(self.targets.device)] if self.model.uses_targets else None

    # -- logging and checkpoints ------------------------------------------------------------
    def flush_log(self) -> dict:
        """Average the pending losses (one device->host copy), check them, append them to the log."""
        keys = list(dict.fromkeys(k for losses in self.pending for k in losses))

        def mean(key):
            values = torch.cat([p[key].float().reshape(-1) for p in self.pending if key in p])
            return (torch.sigmoid(values) if key in self.model.logit_scores else values).mean()

        *means, largest_weight = torch.stack([mean(k) for k in keys] + [largest_magnitude(self.model)]).tolist()
        values = dict(zip(keys, means))
        now = time.perf_counter()
        speed = (self.step - self.clock_step) * self.config.batch_size / max(now - self.clock, 1e-9)
        self.clock, self.clock_step = now, self.step
        self.pending.clear()
        self.stop_if_diverged(values, largest_weight)
        epoch = self.step / self.steps_per_epoch
        self.log.append({"step": self.step, "epoch": round(epoch, 4), "images_per_s": round(speed, 2), **values})
        if self.writer is not None:
            for key, value in values.items():
                self.writer.add_scalar(key, value, self.step)
            self.writer.add_scalar("images_per_s", speed, self.step)
        return {k: f"{v:.3g}" for k, v in values.items() if k.startswith("loss")}

    def stop_if_diverged(self, values: dict, largest_weight: float) -> None:
        """Stop on a non-finite or diverging loss or weight, before the next checkpoint could save the damage."""
        problem = divergence(values, largest_weight)
        if problem is None:
            return
        last = load_checkpoint(self.run_dir)["step"] if (self.run_dir / CHECKPOINT).exists() else None
        kept = "no checkpoint was written" if last is None else f"the last good checkpoint (step {last}) is kept"
        raise FractalDreamError(f"{problem} by step {self.step}; training stopped, {kept} in {self.run_dir}")

    def end_of_epoch(self) -> None:
        self.model.eval()
        with torch.no_grad():
            samples = to_rgb(self.model.generate(self.fixed_z, self.fixed_cond).float(), self.config.color_space)
        self.model.train()
        save_grid(samples, self.run_dir / "samples" / f"step_{self.step:07d}.png")
        save_grid(samples, self.run_dir / GRID)
        draw_curves(self.log, self.run_dir / CURVES)
        if self.writer is not None:
            self.writer.add_images("samples", samples.add(1).div(2).clamp(0, 1).cpu(), self.step)
        save_checkpoint(self.run_dir / CHECKPOINT, {
            "format": 1,
            "config": self.config.to_dict(),
            "data_info": self.info.to_dict(),
            "n_images": self.n_images,
            "data_fingerprint": self.data_fingerprint,
            "step": self.step,
            "epoch": self.step // self.steps_per_epoch,
            "finished": self.step >= self.total_steps,
            "model": self.model.state_dict(),
            "optimizers": {name: opt.state_dict() for name, opt in self.optimizers.items()},
            "rng": rng_states(),
        })
        self.clock = time.perf_counter()  # the interval's speed is the loop's, not the checkpoint's


def largest_magnitude(model: torch.nn.Module) -> torch.Tensor:
    """The largest absolute weight of ``model``, on its device (read back with the losses)."""
    return torch.stack([p.detach().abs().amax().float() for p in model.parameters()]).amax()


def divergence(values: dict, largest_weight: float) -> str | None:
    """What shows that a run has diverged, in words, or None for a healthy one."""
    non_finite = {k: v for k, v in values.items() if not math.isfinite(v)}
    if non_finite:
        return f"non-finite loss ({', '.join(f'{k}={v}' for k, v in non_finite.items())})"
    huge = {k: v for k, v in values.items() if abs(v) > DIVERGED_LOSS}
    if huge:
        return (f"diverged: {', '.join(f'{k}={v:.3g}' for k, v in huge.items())}, beyond +-{DIVERGED_LOSS:.0e} "
                f"(lower the learning rates)")
    if not abs(largest_weight) <= DIVERGED_WEIGHT:
        return (f"diverged: a weight of {largest_weight:.3g}, beyond +-{DIVERGED_WEIGHT:.0e} "
                f"(lower the learning rates)")
    return None
