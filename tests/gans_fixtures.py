"""Shared by the gans test files: the tiny Fractal Dream Dataset and a fast training config."""

import pytest
import torch
from pytorch_fid import inception as pytorch_fid_inception
from torch import nn

from gans.training.config import TrainConfig

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def fdd(tiny_fdd):
    """The session's tiny FDD (conftest: n=64, 32x32, palette blue)."""
    return tiny_fdd


def tiny_config(fdd, out, **changes) -> TrainConfig:
    settings = dict(model="dcgan", dataset="fractal", data=str(fdd), image_size=32, batch_size=16, max_steps=3,
                    log_every=1, device="cpu", out=str(out), progress=False, grid_size=16, width=8)
    return TrainConfig(**{**settings, **changes})


def random_fid_inception_state_dict(seed=0):
    """pytorch-fid's FID-Inception layout with variance-preserving random conv weights."""
    torch.manual_seed(seed)
    net = pytorch_fid_inception._inception_v3(num_classes=1008, aux_logits=False, weights=None)
    net.Mixed_5b = pytorch_fid_inception.FIDInceptionA(192, pool_features=32)
    net.Mixed_5c = pytorch_fid_inception.FIDInceptionA(256, pool_features=64)
    net.Mixed_5d = pytorch_fid_inception.FIDInceptionA(288, pool_features=64)
    net.Mixed_6b = pytorch_fid_inception.FIDInceptionC(768, channels_7x7=128)
    net.Mixed_6c = pytorch_fid_inception.FIDInceptionC(768, channels_7x7=160)
    net.Mixed_6d = pytorch_fid_inception.FIDInceptionC(768, channels_7x7=160)
    net.Mixed_6e = pytorch_fid_inception.FIDInceptionC(768, channels_7x7=192)
    net.Mixed_7b = pytorch_fid_inception.FIDInceptionE_1(1280)
    net.Mixed_7c = pytorch_fid_inception.FIDInceptionE_2(2048)
    for module in net.modules():
        if isinstance(module, nn.Conv2d):
            # PyTorch's default init makes the features vanish with depth (every distance ~1e-13).
            nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
    return net.state_dict()
