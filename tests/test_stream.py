"""The on-the-fly FDD stream: the builder's judgement, determinism, worker split, disjoint from builds."""

import itertools
import subprocess
import sys

import numpy as np
import torch
from torch.utils.data import DataLoader

from fractaldream.build import CHUNK
from fractaldream.render import iterate_batch
from fractaldream.sample import sample_parameters
from fractaldream.settings import BuildSettings
from fractaldream.stream import STREAM_DOMAIN, FractalDreamStream

SETTINGS = BuildSettings(size=16, points=4_000, palettes=("green",))


def first(stream, n):
    return list(itertools.islice(iter(stream), n))


def test_items_are_accepted_attractors_rendered_as_the_builder_does():
    stream = FractalDreamStream(SETTINGS, seed=3, normalize=False)
    params = sample_parameters(3, 0, CHUNK, SETTINGS.range_xy, SETTINGS.range_abcd, STREAM_DOMAIN)
    # The builder's own judgement of the same vectors: the same accepted ones, the same pixels.
    accepted = [a for a in iterate_batch(params, SETTINGS.render, draw_cycles=False) if a.ok]
    items = first(stream, len(accepted))
    assert 10 < len(accepted) < CHUNK
    for attractor, (image, v) in zip(accepted, items):
        assert np.array_equal(v.numpy(), attractor.params.astype(np.float32))
        assert torch.equal((image * 255).round().to(torch.uint8).permute(1, 2, 0),
                           torch.from_numpy(attractor.image("green")))


def test_same_seed_same_items_and_another_seed_others():
    a, b = first(FractalDreamStream(SETTINGS, seed=1), 40), first(FractalDreamStream(SETTINGS, seed=1), 40)
    assert all(torch.equal(x[0], y[0]) and torch.equal(x[1], y[1]) for x, y in zip(a, b))
    other = first(FractalDreamStream(SETTINGS, seed=2), 40)
    assert not any(torch.equal(x[1], y[1]) for x in a for y in other)
    v = torch.stack([item[1] for item in a])
    assert v.abs().max() <= 1 and len(torch.unique(v, dim=0)) == len(v)


def test_two_dataloader_workers_share_the_chunks_without_overlap_or_repetition():
    stream = FractalDreamStream(SETTINGS, seed=5)
    first_chunks = {tuple(stream.item(image, v)[1].tolist()) for index in range(4) for image, v in stream.chunk(index)}
    loader = DataLoader(stream, batch_size=None, num_workers=2)
    seen = [tuple(v.tolist()) for _, v in itertools.islice(loader, 2 * len(first_chunks))]
    assert len(set(seen)) == len(seen)  # no attractor twice
    assert first_chunks <= set(seen)  # every attractor of the first chunks


def test_the_stream_never_draws_a_builds_vectors():
    build = sample_parameters(0, 0, 4 * CHUNK, (-1, 1), (-3, 3))
    stream = sample_parameters(0, 0, 4 * CHUNK, (-1, 1), (-3, 3), STREAM_DOMAIN)
    assert not set(map(tuple, build)) & set(map(tuple, stream))


def test_take_is_the_streams_beginning():
    stream = FractalDreamStream(SETTINGS, seed=7)
    images, v = stream.take(30)
    items = first(stream, 30)
    assert images.dtype == torch.uint8 and images.shape == (30, 3, 16, 16)
    assert torch.equal(images.float() / 255, torch.stack([image for image, _ in items]))
    assert np.allclose(stream.item(images[0].permute(1, 2, 0).numpy(), v[0])[1], items[0][1])


def test_the_package_offers_the_stream_without_importing_torch_until_asked():
    code = ("import sys, fractaldream; assert 'torch' not in sys.modules; "
            "from fractaldream.stream import FractalDreamStream; assert fractaldream.FractalDreamStream is FractalDreamStream")
    subprocess.run([sys.executable, "-c", code], check=True)
