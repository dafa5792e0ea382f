"""FDD without a disk: accepted attractors rendered on the fly, as a torch ``IterableDataset``.

Candidate k of the stream with seed s draws its vector from ``default_rng([s, STREAM_DOMAIN, k])``
(see :mod:`fractaldream.sample`), so no stream meets a built data set. Candidates are judged in
chunks of ``CHUNK`` in lockstep exactly as the builder judges them, and the accepted ones are yielded
in candidate order. Under a ``DataLoader`` with W workers, worker w renders chunks w, w + W, ...:
together they yield every accepted attractor once, and what an item holds depends only on the seed
and its candidate index.
"""

from __future__ import annotations

import itertools

import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

from fractaldream.build import CHUNK
from fractaldream.dataset import normalize
from fractaldream.render import iterate_batch
from fractaldream.sample import sample_parameters
from fractaldream.settings import BuildSettings, factor_ranges

#: The key that separates the stream's candidates from a build's (the bytes of "strm").
STREAM_DOMAIN = (0x7374726D,)


class FractalDreamStream(IterableDataset):
    """Endless (image, v) of accepted attractors, like ``FractalDreamDataset``'s items.

    ``image`` is a float32 tensor 3 x S x S in [0, 1] in ``palette`` (default: the settings' first);
    ``v`` float32 (6,), normalised to [-1, 1] over the settings' ranges unless ``normalize=False``.
    ``first_chunk`` skips the stream's first chunks (e.g. to hold out its beginning).
    """

    def __init__(self, settings: BuildSettings = BuildSettings(), seed: int = 0, palette: str | None = None,
                 normalize: bool = True, first_chunk: int = 0):
        settings.validate()
        self.settings = settings
        self.seed = seed
        self.palette = palette or settings.palettes[0]
        self.normalize_vectors = normalize
        self.first_chunk = first_chunk
        self.ranges = np.array(factor_ranges(settings.range_xy, settings.range_abcd), dtype=np.float64)

    def chunk(self, index: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """The accepted attractors of chunk ``index`` as (uint8 image S x S x 3, raw v), in candidate order."""
        s = self.settings
        params = sample_parameters(self.seed, index * CHUNK, CHUNK, s.range_xy, s.range_abcd, STREAM_DOMAIN)
        return [(attractor.image(self.palette), attractor.params)
                for attractor in iterate_batch(params, s.render, draw_cycles=False) if attractor.ok]

    def chunks(self):
        """(chunk index, its accepted attractors), endlessly, for this DataLoader worker's share."""
        worker = get_worker_info()
        share, step = (worker.id, worker.num_workers) if worker is not None else (0, 1)
        for index in itertools.count(self.first_chunk + share, step):
            yield index, self.chunk(index)

    def __iter__(self):
        for _, accepted in self.chunks():
            for image, v in accepted:
                yield self.item(image, v)

    def item(self, image: np.ndarray, v: np.ndarray):
        v = normalize(v, self.ranges) if self.normalize_vectors else v
        return torch.from_numpy(image).permute(2, 0, 1).float().div_(255.0), torch.from_numpy(v.astype(np.float32))

    def take(self, n: int) -> tuple[torch.Tensor, np.ndarray]:
        """The stream's first ``n`` accepted attractors (in this process): uint8 images (n, 3, S, S), raw v (n, 6)."""
        images, vectors = [], []
        for index in itertools.count(self.first_chunk):
            for image, v in self.chunk(index):
                images.append(image)
                vectors.append(v)
            if len(images) >= n:
                break
        return torch.from_numpy(np.stack(images[:n])).permute(0, 3, 1, 2).contiguous(), np.stack(vectors[:n])
