"""The parameters of an attractor image, by analysis-by-synthesis with the exact renderer.

An image determines only the identifiable targets |a|, |b|, sign(a b), c and d (:mod:`fractaldream.identifiable`),
so the answer is one representative v = (x0, y0, a, b, c, d): a >= 0, b carrying sign(a b), and the fixed start
:data:`START` (the start is forgotten after the burn-in). A reading of the targets (a regressor's, passed in as a
function, or none) seeds a derivative-free search over (|a|, |b|, c, d) for each sign of a b: random candidates
over the whole ranges and around the reading, rendered in lockstep batches, then (1 + lambda) evolution
strategies from the best of them, each step growing after a success and shrinking after a failure. A candidate
scores the mean coverage-matched IoU of its render against the image's occupancy (a pixel is on when its brightest
channel is above the background threshold) and against its brightest halves and quarters of it (:data:`LEVELS`),
so the image's palette does not matter; a rejected render scores 0. The search renders fewer points
(:class:`~fractaldream.estimate_settings.SearchSettings`), the best few candidates are re-rendered at the render
settings' points, and the best of those is the answer; its similarity is the coverage-matched IoU of its image.

numpy and the renderer only: the regressor (torch) is the caller's, behind ``read``.
"""

import time
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from fractaldream.errors import UsageError
from fractaldream.estimate_settings import MAX_SIZE, MIN_SIZE, SearchSettings
from fractaldream.identifiable import TARGETS
from fractaldream.palettes import DEFAULT_PALETTE
from fractaldream.render import iterate_batch
from fractaldream.settings import RenderSettings

#: The start (x0, y0) of every answer: (0, 0) is a fixed point of the map, and x0 = y0 keeps the orbit on the
#: diagonal when a = b and c = d.
START = (0.1, -0.3)
#: Candidates drawn around the reading (split between both signs of a b when it is unsure), and their spread
#: as a fraction of each parameter's range.
READING_SAMPLES = 64
READING_SPREAD = 0.1
#: The reading's sign(a b) (an estimate of E[sign | image], in [-1, 1]) is trusted beyond this magnitude.
SURE_SIGN = 0.5
#: A local search's first step (a fraction of each parameter's range) and its change after a success or a failure.
FIRST_STEP = 0.1
GROW, SHRINK = 1.3, 0.8
#: Local searches whose best candidates are re-rendered at the render settings' points.
FINALISTS = 4
#: The search matches the image's brightest fractions of its on pixels too, not only all of them: a 32x32
#: occupancy alone is matched as well by many different attractors; the shading's order of brightness tells them apart.
LEVELS = (1.0, 0.5, 0.25)
#: Below this correlation of neighbouring pixels' brightness an image is noise: attractors' renders have 0.16
#: and more (300 stream attractors at 32x32, median 0.76); white noise has about 0 +- 0.03.
NOISE_CORRELATION = 0.1


@dataclass(frozen=True)
class Estimate:
    """One image's answer: ``v`` (x0, y0, a, b, c, d) with a >= 0; ``similarity`` the coverage-matched IoU of
    its render at the render settings against the image; ``seconds`` the time taken; ``reading`` the targets
    (TARGETS order) read before the search, or None without a reader."""

    v: np.ndarray
    similarity: float
    seconds: float
    reading: np.ndarray | None


# -- the image ---------------------------------------------------------------------------------------------------
def occupancy(image: np.ndarray, threshold: float) -> np.ndarray:
    """uint8 image (S, S, 3) -> (S, S) mask of the pixels whose brightest channel is above ``threshold`` (in [0, 1])."""
    return image.max(axis=-1) / 255.0 > threshold


def level_masks(image: np.ndarray, threshold: float) -> np.ndarray:
    """(len(LEVELS), S * S) masks: the image's on pixels, and for each further level that fraction of them, the
    brightest (by the sum of the channels: every palette grows brighter in it)."""
    on = occupancy(image, threshold).ravel()
    brightness = image.astype(np.int64).sum(axis=-1).ravel()
    masks = [on]
    for level in LEVELS[1:]:
        cut = np.quantile(brightness[on], 1.0 - level)
        masks.append(on & (brightness >= cut))
    return np.stack(masks)


def neighbour_correlation(brightness: np.ndarray) -> float:
    """Correlation of each pixel's brightness with its right and lower neighbours'; NaN for a flat image."""
    here = np.concatenate([brightness[:, :-1].ravel(), brightness[:-1, :].ravel()]).astype(np.float64)
    there = np.concatenate([brightness[:, 1:].ravel(), brightness[1:, :].ravel()]).astype(np.float64)
    if here.std() == 0 or there.std() == 0:
        return float("nan")
    return float(np.corrcoef(here, there)[0, 1])


def check_image(image: np.ndarray, threshold: float) -> None:
    """Raise a UsageError unless ``image`` is a square uint8 RGB picture of a supported size with an attractor in it."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise UsageError(f"an image must be uint8 RGB (S x S x 3), got {image.dtype} {image.shape}")
    height, width = image.shape[:2]
    if height != width:
        raise UsageError(f"the image is {width}x{height}: attractor images are square")
    if not MIN_SIZE <= width <= MAX_SIZE:
        raise UsageError(f"the image is {width}x{width}: sizes {MIN_SIZE} to {MAX_SIZE} are supported")
    if not occupancy(image, threshold).any():
        raise UsageError("no attractor: every pixel is background (black)")
    correlation = neighbour_correlation(image.max(axis=-1))
    if np.isnan(correlation):
        raise UsageError("no attractor: the image is one flat colour")
    if correlation < NOISE_CORRELATION:
        raise UsageError(f"no attractor: neighbouring pixels are uncorrelated ({correlation:.2f}), as in noise")


# -- the similarity ---------------------------------------------------------------------------------------------
def coverage_matched_iou(brightness: np.ndarray, on: np.ndarray) -> np.ndarray:
    """IoU of each row's k brightest pixels with the k ``on`` pixels (n, P) x (P,) -> (n,), k >= 1.

    ``gans.metrics.direct.coverage_matched_iou`` for numpy: pixels tied at the k-th brightness are taken
    fractionally, as a random tie-break would on average. Any brightness that orders the pixels as the
    rendered image does will do (an attractor's visit counts).
    """
    k = int(on.sum())
    kth = -np.partition(-brightness, k - 1, axis=1)[:, k - 1:k]
    above, tied = brightness > kth, brightness == kth
    from_tied = (k - above.sum(axis=1)) / tied.sum(axis=1)
    inter = (above & on).sum(axis=1) + from_tied * (tied & on).sum(axis=1)
    return inter / (2 * k - inter)


def image_similarity(attractors, on: np.ndarray) -> np.ndarray:
    """Coverage-matched IoU of each attractor's image against ``on`` (flat mask); 0 for a rejected attractor."""
    return np.array([coverage_matched_iou(a.image(DEFAULT_PALETTE).max(axis=-1).reshape(1, -1) / 255.0, on)[0]
                     if a.ok else 0.0 for a in attractors])


# -- the searched space ----------------------------------------------------------------------------------------
class Space:
    """(|a|, |b|, c, d) <-> the unit cube, over the ranges of a..d; with a sign of a b, the representative v."""

    def __init__(self, range_abcd):
        low, high = range_abcd
        magnitude = (0.0 if low < 0 < high else min(abs(low), abs(high)), max(abs(low), abs(high)))
        self.low = np.array([magnitude[0], magnitude[0], low, low])
        self.high = np.array([magnitude[1], magnitude[1], high, high])

    def to_unit(self, targets: np.ndarray) -> np.ndarray:
        """Targets (n, 5, TARGETS order) -> points of the unit cube, clipped to the ranges."""
        abcd = targets[:, [TARGETS.index(t) for t in ("abs_a", "abs_b", "c", "d")]]
        return np.clip((abcd - self.low) / (self.high - self.low), 0.0, 1.0)

    def vectors(self, unit: np.ndarray, signs: np.ndarray) -> np.ndarray:
        """Points of the unit cube (n, 4) and signs of a b (n,) -> raw v (n, 6), a >= 0, started at START."""
        abs_a, abs_b, c, d = (self.low + unit * (self.high - self.low)).T
        return np.column_stack([np.full(len(unit), START[0]), np.full(len(unit), START[1]), abs_a, signs * abs_b, c, d])


def sign_of(reading: np.ndarray) -> float:
    return -1.0 if reading[TARGETS.index("sign_ab")] < 0 else 1.0


def search_settings(render: RenderSettings, size: int, points_at_32: int) -> RenderSettings:
    """The renders of the search: ``points_at_32`` scaled with the area, at most the settings' points; float32."""
    points = min(render.points, max(1, round(points_at_32 * (size / 32) ** 2)))
    return RenderSettings(size=size, points=points, burn_in=render.burn_in, min_coverage=render.min_coverage)


class Objective:
    """Scores candidates (unit points and signs) against one image's ``level_masks``: the mean coverage-matched IoU."""

    def __init__(self, masks: np.ndarray, space: Space, settings: RenderSettings):
        self.masks, self.space, self.settings = masks, space, settings

    def __call__(self, unit: np.ndarray, signs: np.ndarray) -> np.ndarray:
        attractors = iterate_batch(self.space.vectors(unit, signs), self.settings, draw_cycles=False)
        scores = np.zeros(len(unit))
        drawn = [k for k, attractor in enumerate(attractors) if attractor.ok]
        if drawn:
            # Visit counts order the pixels as the image does; row 0 of the counts is the lowest y.
            counts = np.stack([attractors[k].counts[::-1].ravel() for k in drawn]).astype(np.float64)
            scores[drawn] = np.mean([coverage_matched_iou(counts, mask) for mask in self.masks], axis=0)
        return scores


def first_candidates(reading, search: SearchSettings, rng: np.random.Generator, space: Space):
    """Unit points and signs: around the reading (both signs when it is unsure), then uniform over the ranges."""
    units, signs = [rng.random((search.explore, 4))], [rng.choice([-1.0, 1.0], search.explore)]
    if reading is not None:
        sure = abs(reading[TARGETS.index("sign_ab")]) > SURE_SIGN
        read_signs = [sign_of(reading)] if sure else [sign_of(reading), -sign_of(reading)]
        centre = space.to_unit(reading[None])
        for sign in read_signs:
            count = READING_SAMPLES // len(read_signs)
            around = np.clip(centre + READING_SPREAD * rng.standard_normal((count, 4)), 0.0, 1.0)
            around[0] = centre[0]
            units.insert(0, around)
            signs.insert(0, np.full(count, sign))
    return np.concatenate(units), np.concatenate(signs)


def local_searches(objective: Objective, unit: np.ndarray, signs: np.ndarray, scores: np.ndarray,
                   search: SearchSettings, rng: np.random.Generator):
    """(1 + lambda) evolution strategies in lockstep from the ``search.runs`` best candidates: each generation
    draws ``search.children`` around each run's best, keeps the best child if it scores higher, and grows the
    run's step after a success, shrinks it after a failure. Returns each run's best (unit, sign, score)."""
    start = np.argsort(-scores, kind="stable")[:search.runs]
    best, best_signs, best_scores = unit[start].copy(), signs[start], scores[start].copy()
    runs = len(start)
    steps = np.full(runs, FIRST_STEP)
    for _ in range(search.generations):
        children = np.clip(best[:, None, :] + steps[:, None, None] * rng.standard_normal((runs, search.children, 4)),
                           0.0, 1.0)
        child_scores = objective(children.reshape(-1, 4), np.repeat(best_signs, search.children))
        child_scores = child_scores.reshape(runs, search.children)
        winner = child_scores.argmax(axis=1)
        improved = child_scores[np.arange(runs), winner] > best_scores
        best[improved] = children[np.arange(runs), winner][improved]
        best_scores[improved] = child_scores[np.arange(runs), winner][improved]
        steps = np.where(improved, steps * GROW, steps * SHRINK)
    return best, best_signs, best_scores


def estimate_one(image: np.ndarray, reading, render: RenderSettings, search: SearchSettings, threshold: float,
                 refine: bool = True) -> tuple[np.ndarray, float]:
    """(v, similarity) for one checked image; the search's randomness depends only on ``search.seed``."""
    size = image.shape[0]
    masks = level_masks(image, threshold)
    on = masks[0]
    space = Space(search.range_abcd)
    final = RenderSettings(size=size, points=render.points, burn_in=render.burn_in, min_coverage=render.min_coverage,
                           precision=render.precision)
    if not refine:
        v = space.vectors(space.to_unit(reading[None]), np.array([sign_of(reading)]))
        return v[0], float(image_similarity(iterate_batch(v, final), on)[0])
    rng = np.random.default_rng(search.seed)
    objective = Objective(masks, space, search_settings(render, size, search.search_points))
    unit, signs = first_candidates(reading, search, rng, space)
    best, best_signs, best_scores = local_searches(objective, unit, signs, objective(unit, signs), search, rng)
    finalists = np.argsort(-best_scores, kind="stable")[:FINALISTS]
    chosen = finalists[int(np.argmax(Objective(masks, space, final)(best[finalists], best_signs[finalists])))]
    v = space.vectors(best[chosen][None], best_signs[chosen][None])
    return v[0], float(image_similarity(iterate_batch(v, final), on)[0])


def estimate(images, render: RenderSettings = RenderSettings(), *, threshold: float, read=None,
             search: SearchSettings = SearchSettings(), refine: bool = True, progress: bool = False) -> list[Estimate]:
    """An :class:`Estimate` per uint8 image (S x S x 3, any supported S, rendered at its own size).

    ``threshold``: the background's brightness (gans.metrics.defaults.OCCUPANCY_THRESHOLD for FDD images).
    ``read(images N x S x S x 3 uint8) -> N x 5`` targets seeds the search (images of one size per call);
    without it the search starts from random candidates only. ``refine=False`` answers the reading itself.
    """
    render.validate()
    search.validate()
    if not refine and read is None:
        raise UsageError("without refinement the estimate is the regressor's reading: give a reader")
    images = [np.asarray(image) for image in images]
    for image in images:
        check_image(image, threshold)
    readings, reading_seconds = [None] * len(images), np.zeros(len(images))
    if read is not None:
        for size in sorted({image.shape[0] for image in images}):
            rows = [k for k, image in enumerate(images) if image.shape[0] == size]
            started = time.perf_counter()
            targets = np.asarray(read(np.stack([images[k] for k in rows])), np.float64)
            if targets.shape != (len(rows), len(TARGETS)):
                raise ValueError(f"read must return {len(rows)} x {len(TARGETS)} targets, got {targets.shape}")
            reading_seconds[rows] = (time.perf_counter() - started) / len(rows)
            for k, row in zip(rows, targets):
                readings[k] = row
    results = []
    for k, image in enumerate(tqdm(images, desc="estimating", unit="image", disable=not progress)):
        started = time.perf_counter()
        v, similarity = estimate_one(image, readings[k], render, search, threshold, refine)
        seconds = float(reading_seconds[k]) + time.perf_counter() - started
        results.append(Estimate(v, similarity, seconds, readings[k]))
    return results
