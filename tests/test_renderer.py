"""The renderer model: exact-symmetry augmentation checked by rendering, its reading of v, real training steps."""

import itertools

import numpy as np
import pytest
import torch

from fractaldream.errors import UsageError
from fractaldream.identifiable import identifiable_targets
from fractaldream.render import RenderSettings, iterate_batch
from gans.data.loading import DataInfo, load_data
from gans.data.pixels import signed
from gans.models import build_model
from gans.models.renderer import identifiable_targets as torch_targets, symmetric_variants
from gans.training.config import TrainConfig, resolve
from gans.training.loop import train
from gans.training.runs import load_run
from gans.training.checkpoint import load_checkpoint
from gans.training.tricks import Tricks
from gans_fixtures import fdd, tiny_config  # noqa: F401  (fixtures)

EXACT = RenderSettings(size=32, points=20_000, precision="float64", min_coverage=0.05)
FDD = DataInfo("fractal", 3, ("x0", "y0", "a", "b", "c", "d"),
               ranges=((-1.0, 1.0), (-1.0, 1.0), (-3.0, 3.0), (-3.0, 3.0), (-3.0, 3.0), (-3.0, 3.0)))


def renderer(**changes):
    config = resolve(TrainConfig(model="renderer", dataset="fractal", image_size=32, device="cpu", **changes))
    torch.manual_seed(0)
    return build_model(config, FDD)


@pytest.fixture(scope="module")
def attractors():
    """A few accepted attractors, rendered exactly (float64)."""
    rng = np.random.default_rng(5)
    v = np.hstack([rng.uniform(-1, 1, (40, 2)), rng.uniform(-3, 3, (40, 4))])
    return [a for a in iterate_batch(v, EXACT) if a.ok][:6]


def as_batch(images) -> torch.Tensor:
    return signed(torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2))


@pytest.mark.parametrize("chosen", list(itertools.product([False, True], repeat=3)), ids=str)
def test_symmetric_variants_are_the_renders_of_the_transformed_v(attractors, chosen):
    raw = torch.from_numpy(np.stack([a.params for a in attractors]))
    images, moved = symmetric_variants(as_batch([a.image("blue") for a in attractors]), raw,
                                       torch.tensor([chosen] * len(attractors)))
    rendered = iterate_batch(moved.numpy(), EXACT)
    assert all(r.ok for r in rendered)
    assert torch.equal(images, as_batch([r.image("blue") for r in rendered]))
    assert np.array_equal(identifiable_targets(moved.numpy()), identifiable_targets([r.params for r in rendered]))
    if any(chosen[1:]):  # the row flip and the mirror change the picture (the turn mostly does not)
        assert not torch.equal(images, as_batch([a.image("blue") for a in attractors]))


def test_augment_moves_image_and_normalised_v_together(attractors):
    model = renderer()
    raw = np.stack([a.params for a in attractors])
    v = torch.as_tensor(FDD.normalize(raw), dtype=torch.float32)
    torch.manual_seed(3)
    images, moved = model.augment(as_batch([a.image("blue") for a in attractors]), v)
    moved_raw = FDD.denormalize(moved.double().numpy())
    assert not np.allclose(moved_raw, raw)  # 6 samples x 8 group elements: some moved
    rendered = iterate_batch(moved_raw, EXACT)
    # v went through float32: the orbit differs, the picture not (visited pixels overlap almost fully).
    on = images.amax(dim=1) > -1
    on_rendered = as_batch([r.image("blue") for r in rendered]).amax(dim=1) > -1
    iou = (on & on_rendered).sum(dim=(1, 2)) / (on | on_rendered).sum(dim=(1, 2))
    assert iou.min() > 0.9
    assert np.allclose(identifiable_targets(moved_raw), identifiable_targets([r.params for r in rendered]))


def test_torch_targets_are_the_identifiable_targets():
    raw = np.random.default_rng(0).uniform(-3, 3, (50, 6))
    assert np.allclose(torch_targets(torch.from_numpy(raw)).numpy(), identifiable_targets(raw))


def test_output_is_an_image_in_range_and_a_function_of_the_identifiable_targets():
    model = renderer().eval()
    v = model.sample_latent(8, generator=torch.Generator().manual_seed(0))
    z, cond = model.latent_for_v(v)
    assert torch.equal(z, v) and cond is None
    images = model.generate(z)
    assert images.shape == (8, 3, 32, 32) and images.min() >= -1 and images.max() <= 1
    other = v.clone()
    other[:, :2] = -v[:, :2].flip(1)  # another start point
    other[:, 2:4] = -v[:, 2:4]  # (a, b) -> (-a, -b): the same |a|, |b|, sign(a b)
    assert torch.allclose(model.generate(other), images)
    flipped = v.clone()
    flipped[:, 4] = -v[:, 4]  # c's sign is identifiable
    assert not torch.allclose(model.generate(flipped), images)


def test_adversarial_weight_is_a_checked_setting_that_reaches_g():
    with pytest.raises(UsageError, match="renderer-adversarial-weight"):
        resolve(TrainConfig(model="renderer", dataset="fractal", renderer_adversarial_weight=-1.0))
    with pytest.raises(UsageError, match="renderer"):
        resolve(TrainConfig(model="renderer", dataset="simpsons"))
    x, v = torch.rand(4, 3, 32, 32) * 2 - 1, torch.rand(4, 6) * 2 - 1
    after = []
    for weight in (0.0, 1.0):
        model = renderer(renderer_adversarial_weight=weight, width=8)
        torch.manual_seed(1)
        model.train_step(x, v, Tricks(model.config), model.make_optimizers(), 0)
        after.append(torch.cat([p.flatten() for p in model.generator.parameters()]))
    assert not torch.equal(*after)


def reconstruction_loss(model, data) -> float:
    with torch.no_grad():
        losses = model.reconstruction_losses(*model.generator.net(data.targets), signed(data.images))
    return float(losses["loss_occupancy"] + losses["loss_colour"])


def test_training_steps_reduce_the_reconstruction_loss_and_resume_exactly(fdd, tmp_path):
    options = dict(model="renderer", batch_size=16, log_every=10)
    run_dir = train(tiny_config(fdd, tmp_path / "whole", max_steps=40, **options))
    run = load_run(run_dir)
    data = load_data("fractal", fdd, 32, progress=False)
    assert torch.equal(run.model.generator.net.ranges, torch.tensor(run.info.ranges))  # the build's, not defaults
    torch.manual_seed(0)
    fresh = build_model(run.config, run.info).eval()
    assert reconstruction_loss(run.model, data) < 0.8 * reconstruction_loss(fresh, data)
    assert run.has_place_for_v and run.generate_for_v(data.info.denormalize(data.targets[:3].numpy())).shape == (
        3, 3, 32, 32)

    train(tiny_config(fdd, tmp_path / "part", max_steps=5, **options))
    train(tiny_config(fdd, tmp_path / "part", max_steps=40, resume=True, **options))
    whole, part = load_checkpoint(run_dir), load_checkpoint(tmp_path / "part")
    for key, value in whole["model"].items():
        assert torch.equal(value, part["model"][key]), key
