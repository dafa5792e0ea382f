"""The model family's nets: the DCGAN-64 layout of CONTEXT.md, sizes 32/64/128, options, latents."""

import pytest
import torch
from torch import nn

from fractaldream.errors import UsageError
from gans.training.config import TrainConfig, resolve
from gans.data.loading import DataInfo
from gans.models import MODELS, build_model
from gans.models.aae import latent_moment_loss
from gans.models.blocks import ConvDiscriminator, ConvGenerator, MLPGenerator
from gans.training.sample import latent_path, slerp
from gans.training.tricks import Tricks

torch.set_num_threads(1)
FDD = DataInfo("fractal", 3, ("x0", "y0", "a", "b", "c", "d"))
MNIST = DataInfo("mnist", 1, classes=10)


def _layers(module):
    return [m for m in module.modules() if not isinstance(m, (nn.Sequential, ConvGenerator, ConvDiscriminator))]


def test_dcgan64_generator_is_the_tutorial_layout():
    layers = _layers(ConvGenerator(100, 64))
    expected = [
        (nn.ConvTranspose2d, 100, 512, 1, 0), nn.BatchNorm2d, nn.ReLU,
        (nn.ConvTranspose2d, 512, 256, 2, 1), nn.BatchNorm2d, nn.ReLU,
        (nn.ConvTranspose2d, 256, 128, 2, 1), nn.BatchNorm2d, nn.ReLU,
        (nn.ConvTranspose2d, 128, 64, 2, 1), nn.BatchNorm2d, nn.ReLU,
        (nn.ConvTranspose2d, 64, 3, 2, 1), nn.Tanh,
    ]
    assert len(layers) == len(expected)
    for layer, want in zip(layers, expected):
        if isinstance(want, tuple):
            kind, c_in, c_out, stride, padding = want
            assert type(layer) is kind
            assert (layer.in_channels, layer.out_channels) == (c_in, c_out)
            assert layer.kernel_size == (4, 4) and layer.stride == (stride, stride) and layer.padding == (padding, padding)
            assert layer.bias is None
        else:
            assert type(layer) is want
        if isinstance(layer, nn.BatchNorm2d):
            assert layer.num_features == layers[layers.index(layer) - 1].out_channels


def test_dcgan64_discriminator_is_the_tutorial_layout():
    d = ConvDiscriminator(64)
    layers = _layers(d)
    expected = [
        (nn.Conv2d, 3, 64, 2, 1), nn.LeakyReLU,
        (nn.Conv2d, 64, 128, 2, 1), nn.BatchNorm2d, nn.LeakyReLU,
        (nn.Conv2d, 128, 256, 2, 1), nn.BatchNorm2d, nn.LeakyReLU,
        (nn.Conv2d, 256, 512, 2, 1), nn.BatchNorm2d, nn.LeakyReLU,
        (nn.Conv2d, 512, 1, 1, 0),
    ]
    assert len(layers) == len(expected)
    for layer, want in zip(layers, expected):
        if isinstance(want, tuple):
            kind, c_in, c_out, stride, padding = want
            assert type(layer) is kind and (layer.in_channels, layer.out_channels) == (c_in, c_out)
            assert layer.kernel_size == (4, 4) and layer.stride == (stride, stride) and layer.padding == (padding, padding)
            assert layer.bias is None
        else:
            assert type(layer) is want
        if isinstance(layer, nn.LeakyReLU):
            assert layer.negative_slope == 0.2
    x = torch.randn(2, 3, 64, 64)
    d.eval()
    probability = d(x)  # the final Sigmoid of the layout
    assert probability.shape == (2,)
    assert torch.allclose(probability, torch.sigmoid(d.logits(x)))
    assert ((probability > 0) & (probability < 1)).all()


@pytest.mark.parametrize("size", [32, 64, 128])
@pytest.mark.parametrize("upsample", [False, True])
def test_conv_nets_shapes(size, upsample):
    g = ConvGenerator(6, size, channels=3, width=8, upsample=upsample)
    images = g(torch.randn(2, 6))
    assert images.shape == (2, 3, size, size)
    assert images.abs().max() <= 1
    assert ConvDiscriminator(size, width=8).logits(images).shape == (2,)


@pytest.mark.parametrize("size", [32, 64, 128])
def test_mlp_generator_shapes(size):
    assert MLPGenerator(10, size, channels=1, hidden=(16,))(torch.randn(2, 10)).shape == (2, 1, size, size)


def test_upsample_generator_has_no_transposed_conv_after_the_projection():
    g = ConvGenerator(6, 64, upsample=True)
    transposed = [m for m in g.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert len(transposed) == 1 and transposed[0].stride == (1, 1)
    assert any(isinstance(m, nn.Upsample) for m in g.modules())


def test_size_not_supported_is_a_usage_error():
    with pytest.raises(UsageError, match="48"):
        ConvGenerator(6, 48)
    with pytest.raises(UsageError, match="image size 96"):
        resolve(TrainConfig(model="gan", image_size=96))


def test_options_reach_the_layers():
    config = resolve(TrainConfig(model="dcgan", dataset="fractal", image_size=32, leaky_slope=0.1, bn_eps=0.5,
                                 d_dropout=0.25, width=8))
    model = build_model(config, FDD)
    assert {m.eps for m in model.modules() if isinstance(m, nn.BatchNorm2d)} == {0.5}
    assert {m.negative_slope for m in model.discriminator.modules() if isinstance(m, nn.LeakyReLU)} == {0.1}
    assert {m.p for m in model.discriminator.modules() if isinstance(m, nn.Dropout)} == {0.25}


def test_study_defaults_come_from_one_table():
    simpsons = resolve(TrainConfig(model="dcgan", dataset="simpsons"))
    assert (simpsons.leaky_slope, simpsons.bn_eps, simpsons.batch_size, simpsons.lr_d, simpsons.lr_g) == (
        1e-6, 0.5, 16, 5e-5, 2.5e-4)
    fractal = resolve(TrainConfig(model="dcgan", dataset="fractal", lr_g=3e-4))
    assert (fractal.lr_g, fractal.lr_d, fractal.bn_eps, fractal.latent_dim) == (3e-4, 1e-4, 0.5, 6)
    aae = resolve(TrainConfig(model="aae", dataset="simpsons"))
    assert (aae.leaky_slope, aae.bn_eps, aae.lr_e) == (0.1, 0.01, 4e-4)


@pytest.mark.parametrize("name", MODELS)
def test_every_model_samples_and_steps(name):
    info = MNIST if name == "infogan" else FDD
    dataset = "mnist" if name == "infogan" else "fractal"
    config = resolve(TrainConfig(model=name, dataset=dataset, image_size=32, width=8, aae_variant="study"))
    torch.manual_seed(0)
    model = build_model(config, info)
    z = model.sample_latent(4, generator=torch.Generator().manual_seed(1))
    assert z.shape == (4, model.latent_dim)
    images = model.generate(z, model.sample_condition(4))
    assert images.shape == (4, info.channels, 32, 32)
    before = [p.detach().clone() for p in model.generator.parameters()]
    x = torch.rand(4, info.channels, 32, 32) * 2 - 1
    target = torch.rand(4, 6) * 2 - 1 if info is FDD else torch.arange(4)
    losses = model.train_step(x, target, Tricks(config), model.make_optimizers(), 0)
    assert {"loss_d", "loss_g", "d_real", "d_fake"} <= set(losses)
    assert all(torch.isfinite(v).all() for v in losses.values())
    assert any(not torch.equal(a, b) for a, b in zip(before, model.generator.parameters()))


def test_infogan_latent_layout():
    config = resolve(TrainConfig(model="infogan", dataset="mnist", width=8, codes=2))
    model = build_model(config, MNIST)
    z = model.sample_latent(20)
    assert model.latent_dim == 2 + 10 + 62
    assert z[:, :2].abs().max() <= 1
    assert torch.equal(z[:, 2:12].argmax(1), torch.arange(20) % 10)
    assert model.predict_codes(torch.randn(3, 1, 32, 32)).shape == (3, 2)


def test_cdcgan_conditions():
    config = resolve(TrainConfig(model="cdcgan", dataset="mnist", width=8))
    model = build_model(config, MNIST)
    z = model.sample_latent(3)
    labels = torch.tensor([0, 1, 2])
    model.eval()
    assert torch.allclose(model.generate(z, labels), model.generate(z, torch.eye(10)[labels]))
    assert not torch.allclose(model.generate(z, labels), model.generate(z, torch.tensor([3, 4, 5])))


def test_lsd_latent_is_v():
    with pytest.raises(UsageError, match="lsd"):
        resolve(TrainConfig(model="lsd", dataset="fractal", latent_dim=8))
    with pytest.raises(UsageError, match="lsd"):
        resolve(TrainConfig(model="lsd", dataset="simpsons"))
    model = build_model(resolve(TrainConfig(model="lsd", dataset="fractal", width=8)), FDD)
    v = model.sample_latent(100)
    assert v.shape == (100, 6) and v.min() >= -1 and v.max() <= 1 and v.min() < -0.5


def test_latent_moment_loss_is_zero_at_the_target_moments():
    z = torch.tensor([[1.0, -1.0], [-1.0, 1.0]])
    assert latent_moment_loss(z) == 0
    assert latent_moment_loss(z + 1) > 0 and latent_moment_loss(z * 2) > 0


def test_slerp_keeps_the_norm_and_the_ends():
    a, b = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]])
    middle = slerp(a, b, 0.5)
    assert torch.allclose(middle.norm(), torch.tensor(1.0))
    assert torch.allclose(slerp(a, b, 0.0), a) and torch.allclose(slerp(a, b, 1.0), b, atol=1e-6)
    assert torch.allclose(slerp(a, a, 0.3), a)
    path = latent_path([a, b, a], 4, "linear")
    assert len(path) == 9 and torch.allclose(path[2], (a + b) / 2) and torch.equal(path[-1], a)


def test_tricks():
    config = TrainConfig(label_smoothing=(0.7, 0.9), instance_noise=0.5, instance_noise_decay=0.5,
                         unequal_band=(0.4, 0.6))
    tricks = Tricks(config)
    targets = tricks.real_targets(torch.zeros(1000))
    assert targets.min() >= 0.7 and targets.max() <= 0.9 and targets.std() > 0.01
    x = torch.zeros(1000)
    assert tricks.d_input(x, real=True).std() == pytest.approx(0.5, rel=0.1)
    assert torch.equal(tricks.d_input(x, real=False), x)  # real only
    tricks.set_epoch(2)
    assert tricks.d_input(x, real=True).std() == pytest.approx(0.125, rel=0.1)
    big, small = torch.full((4,), 5.0), torch.full((4,), -5.0)
    assert tricks.updates(big, small) == (False, True)  # D winning: skip D
    assert tricks.updates(small, big) == (True, False)  # D losing: skip G
    assert tricks.updates(torch.zeros(4), torch.zeros(4)) == (True, True)
