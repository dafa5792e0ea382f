"""The fast path: many attractors advanced in lockstep, one per float32 SIMD lane.

The map of :mod:`fractaldream.attractor` is iterated for a whole batch of parameter vectors at
once; every kernel's inner loop runs over the lanes (the attractors), which are independent, so
LLVM turns it into vector instructions (8 lanes per AVX2 instruction, 16 per AVX-512 one). numba has no vector
sine (no SVML), so the sine is a polynomial: with ``u = x * fl32(b / pi)`` rounded as
``u = k + f`` (|f| <= 1/2), ``sin(b x) = (-1)**k sin(pi f)`` and ``sin(pi f)`` is an odd
polynomial of degree 9. Its error against ``math.sin(b * x)`` is below 1e-6 for |b x| <= 12
(the default ranges; the reduction holds for |b x| < 2**22 * pi).

Determinism: every lane goes through the same IEEE float32 operations in the same order, whatever
its position in the batch, the batch size, or whether LLVM emitted vector or scalar code for it.
Nothing here is compiled with fastmath (no reassociation, no implicit contraction); the fused
multiply-adds are explicit ``llvm.fma`` calls, fused in vector and scalar code alike. Hence one
vector computed alone gives bit-identical results to the same vector inside any batch.

A batch is surveyed once (:func:`survey`: bounding box, cycle check, nonfinite check and Lyapunov
exponent in one pass, lanes that settle on a cycle leave early) and only the attractors worth
drawing are iterated a second time to be aggregated (:func:`aggregate`), with datashader's exact
binning of the float32 points (the bounding box must be known before the first point is binned;
recomputing the orbit costs less than storing it).

Every common CPU: the kernels are written so that LLVM's code for AVX2 (8 lanes, no masked stores)
is as good as its code for AVX-512, and lanes that settle on a cycle near 0 (denormal arithmetic,
a microcode assist per operation on x86 cores) leave at the first checkpoint after, from 512
points on. The arithmetic is the same on every ISA, so are the results. ``benchmarks/README.md``
has the figures per ISA.
"""

import math
from dataclasses import dataclass

import numba
import numpy as np
from llvmlite import ir
from numba.extending import intrinsic

from fractaldream.attractor import LYAPUNOV_STEPS, MAX_CYCLE_PERIOD

#: Batches are padded to a multiple of this many lanes: of the float32 lanes of a NEON or SSE (4), AVX2
#: (8) and AVX-512 (16) register alike, so that every lane runs in LLVM's vector loop, whatever the ISA.
LANE_MULTIPLE = 16
#: Most lanes aggregated together; fewer when their 16-bit visit counts would exceed AGGREGATE_BYTES
#: (what a core's L2 holds, about: 48 lanes at 128x128).
MAX_AGGREGATE_LANES = 128
AGGREGATE_BYTES = 3 * 2**19
#: Iterations whose points are buffered before they are binned (keeps the buffers in L1).
BLOCK = 64
#: Iterations whose cells are buffered before they are counted (in L2: 256 KiB for 128 lanes).
CELL_ROWS = 512
#: Lanes are counted a few at a time, so that their counts stay in L1d (an increment that misses L1
#: costs three that hit it): as many as this many bytes of counts hold (one lane at 128x128).
TOGETHER_BYTES = 32 * 2**10
#: Points kept at the end of a survey segment to look for cycles (the last point and 256 before it).
TAIL = MAX_CYCLE_PERIOD + 1
#: Recorded-point counts at which lanes that settled on a cycle (or overflowed) leave the survey; dense
#: at first, because a cycle near 0 runs on denormal floats, some 40x slower per step on x86 cores.
CHECKPOINTS = (2**9, 2**10, 2**11, 2**12, 2**13, 2**15, 2**17, 2**19)

_F32 = np.float32
_ROUND = _F32(1.5 * 2**23)  # adding and subtracting it rounds a float32 to an integer
# sin(pi f) = f * (S1 + S3 f^2 + ... + S9 f^8) and cos(pi f) = 1 + C2 f^2 + ... + C8 f^8, |f| <= 1/2
# (minimax fits; absolute errors about 1e-10 and 4e-8 before float32 rounding).
_S1, _S3, _S5, _S7, _S9 = map(_F32, (3.1415926534339715, -5.167712355064343, 2.5501164576889104,
                                     -0.5985102820200068, 0.07805589685467082))
_C2, _C4, _C6, _C8 = map(_F32, (-4.93479415589305, 4.058424965650316, -1.3319368161098497, 0.21978449504622938))
_ONE = _F32(1.0)


@intrinsic
def fma(typingctx, a, b, c):
    """a * b + c with a single rounding (llvm.fma: the same in vector and scalar code)."""
    def codegen(context, builder, signature, args):
        return builder.fma(*args)

    return a(a, b, c), codegen


@intrinsic
def negate_if_odd(typingctx, value, rounded):
    """``value`` with its sign flipped when the integer held in ``rounded + 1.5 * 2**23`` is odd.

    That integer's parity is the lowest mantissa bit of the float32 sum; it is moved to the sign
    bit. Integer operations on the bits, so they vectorize and never see a float-to-int conversion.
    """
    def codegen(context, builder, signature, args):
        i32 = ir.IntType(32)
        value_bits = builder.bitcast(args[0], i32)
        parity = builder.shl(builder.bitcast(args[1], i32), ir.Constant(i32, 31))
        return builder.bitcast(builder.xor(value_bits, parity), ir.FloatType())

    return value(value, rounded), codegen


@numba.njit(inline="always", error_model="numpy")
def _reduce(u):
    """(f, m): u = k + f with k the nearest integer, |f| <= 1/2; m carries k's parity."""
    m = u + _ROUND
    return u - (m - _ROUND), m


@numba.njit(inline="always", error_model="numpy")
def _sin_of_reduced(f, m):
    f = negate_if_odd(f, m)
    f2 = f * f
    p = fma(f2, _S9, _S7)
    p = fma(p, f2, _S5)
    p = fma(p, f2, _S3)
    p = fma(p, f2, _S1)
    return p * f


@numba.njit(inline="always", error_model="numpy")
def sinpi(u):
    """sin(pi u) for a float32 u."""
    f, m = _reduce(u)
    return _sin_of_reduced(f, m)


@numba.njit(inline="always", error_model="numpy")
def sincospi(u):
    """(sin(pi u), cos(pi u)); the sine is bit-identical to :func:`sinpi`."""
    f, m = _reduce(u)
    f2 = f * f
    q = fma(f2, _C8, _C6)
    q = fma(q, f2, _C4)
    q = fma(q, f2, _C2)
    return _sin_of_reduced(f, m), negate_if_odd(fma(q, f2, _ONE), m)


@numba.njit(inline="always", error_model="numpy")
def step(x, y, a_pi, b_pi, c, d):
    """One iterate of the map; a_pi and b_pi are fl32(a / pi) and fl32(b / pi)."""
    return fma(c, sinpi(b_pi * x), sinpi(b_pi * y)), fma(d, sinpi(a_pi * y), sinpi(a_pi * x))


# -- kernels: each advances every lane by `steps` iterates --------------------------------------
# Lane arrays are 1-D float32 views of one 64-byte aligned block; the inner loops run over lanes.

@numba.njit(cache=True, nogil=True, error_model="numpy")
def run_free(x, y, a_pi, b_pi, c, d, steps):
    """Advance without recording (the burn-in)."""
    for _ in range(steps):
        for lane in range(x.shape[0]):
            x[lane], y[lane] = step(x[lane], y[lane], a_pi[lane], b_pi[lane], c[lane], d[lane])


@numba.njit(inline="always", error_model="numpy")
def _keep_tail(x, y, tail, point, tail_from):
    """Store the lanes' current point (recorded index ``point``) in the ring ``tail`` from ``tail_from`` on."""
    if point >= tail_from:
        slot = point % tail.shape[1]
        for lane in range(x.shape[0]):
            tail[0, slot, lane] = x[lane]
            tail[1, slot, lane] = y[lane]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def run_bounds(x, y, a_pi, b_pi, c, d, xmin, xmax, ymin, ymax, steps, tail, first, tail_from):
    """Record ``steps`` points (recorded indices first, first + 1, ...) in the bounding boxes.

    Points with index >= ``tail_from`` also go to the ring buffer ``tail`` (slot = index % TAIL).

    The box is loaded before the new point is stored and stored after it: with a store between
    them, LLVM cannot fold ``p = min(p, v)`` into a masked store (vmaskmovps with AVX2, microcoded
    on AMD Zen 2 and 3, where it made this pass cost 3.7x the bare iteration); it emits vminps.
    """
    for j in range(steps):
        _keep_tail(x, y, tail, first + j, tail_from)
        for lane in range(x.shape[0]):
            xl, yl = x[lane], y[lane]
            lo_x, hi_x, lo_y, hi_y = xmin[lane], xmax[lane], ymin[lane], ymax[lane]
            x[lane], y[lane] = step(xl, yl, a_pi[lane], b_pi[lane], c[lane], d[lane])
            xmin[lane], xmax[lane] = min(lo_x, xl), max(hi_x, xl)
            ymin[lane], ymax[lane] = min(lo_y, yl), max(hi_y, yl)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def run_lyapunov(x, y, a_pi, b_pi, a, b, c, d, xmin, xmax, ymin, ymax, wx, wy, norm, log_sum, alive,
                 steps, tail, first, tail_from):
    """:func:`run_bounds`, also pushing a tangent vector (wx, wy) through the Jacobian.

    The same algorithm as :func:`fractaldream.attractor.lyapunov_exponent`, in float32 with the
    polynomial sine and cosine; ``log_sum`` (float64) adds the log growth of each step, and a lane
    whose tangent vanishes or overflows ends with -inf or NaN (``alive`` turns 0).
    """
    for j in range(steps):
        _keep_tail(x, y, tail, first + j, tail_from)
        for lane in range(x.shape[0]):
            xl, yl, al, bl, cl, dl = x[lane], y[lane], a[lane], b[lane], c[lane], d[lane]
            lo_x, hi_x, lo_y, hi_y = xmin[lane], xmax[lane], ymin[lane], ymax[lane]
            sin_bx, cos_bx = sincospi(b_pi[lane] * xl)
            sin_by, cos_by = sincospi(b_pi[lane] * yl)
            sin_ax, cos_ax = sincospi(a_pi[lane] * xl)
            sin_ay, cos_ay = sincospi(a_pi[lane] * yl)
            tx, ty = wx[lane], wy[lane]
            nx = bl * cl * cos_bx * tx + bl * cos_by * ty
            ny = al * cos_ax * tx + al * dl * cos_ay * ty
            length = math.sqrt(nx * nx + ny * ny)
            norm[lane] = length
            wx[lane] = nx / length
            wy[lane] = ny / length
            x[lane] = fma(cl, sin_bx, sin_by)
            y[lane] = fma(dl, sin_ay, sin_ax)
            xmin[lane], xmax[lane] = min(lo_x, xl), max(hi_x, xl)  # after the point: see run_bounds
            ymin[lane], ymax[lane] = min(lo_y, yl), max(hi_y, yl)
        for lane in range(x.shape[0]):
            if alive[lane]:
                length = norm[lane]
                if length == 0.0 or not math.isfinite(length):
                    log_sum[lane] = -math.inf if length == 0.0 else math.nan
                    alive[lane] = 0
                else:
                    log_sum[lane] += math.log(np.float64(length))


@numba.njit(cache=True, nogil=True, error_model="numpy")
def cycle_periods(tail, last, held, periods):
    """Per lane, the smallest k <= min(MAX_CYCLE_PERIOD, held - 1) with the point k before ``last`` equal to it, else 0.

    ``tail`` is the ring of :func:`run_bounds`; ``last`` the recorded index of the lane's last point,
    ``held`` how many points before it (itself included) the ring holds. The same answer as
    :func:`fractaldream.attractor.cycle_period` on those points, for all lanes in one call.
    """
    ring = tail.shape[1]
    end = last % ring
    periods[:] = 0
    for k in range(1, min(MAX_CYCLE_PERIOD, held - 1) + 1):
        slot = (last - k) % ring
        for lane in range(periods.shape[0]):
            repeats = tail[0, slot, lane] == tail[0, end, lane] and tail[1, slot, lane] == tail[1, end, lane]
            if periods[lane] == 0 and repeats:
                periods[lane] = k


@numba.njit(cache=True, nogil=True, error_model="numpy")
def run_aggregate(x, y, a_pi, b_pi, c, d, transform, size, low_counts, carries, px, py, cells, together, steps):
    """Record ``steps`` points as visit counts with the binning of datashader's ``Canvas.points``.

    ``transform[:, l]`` = sx, tx, sy, ty of lane ``l``'s box and the index of its first cell in the
    counts: column = int(x * sx + tx), in float64 as datashader computes it for float32 points,
    clamped to the last column; likewise rows. Lane ``l`` counts into ``[l * size * size:][:size *
    size]`` (row 0 = lowest y). Every point must lie in its lane's box (true of the box the survey
    measured on the same points); clamping also keeps any other point, NaN included, inside the
    lane's own counts. A cell's count is ``carries + low_counts``: the 16-bit low halves take the
    increments (half the cache lines of 32-bit counts), each wrap around adds 65536 to ``carries``.

    Blocks of ``px.shape[0]`` iterates are iterated (float32) and binned (float64; the cell index
    too: every term is an integer below 2**53, so exact, converted once to a signed int32, one
    instruction on AVX2) in two loops over the lanes that vectorize. Once ``cells`` is full, its
    points are counted by scalar increments, ``together`` lanes at a time, interleaved.
    """
    lanes = x.shape[0]
    last = np.float64(size - 1)
    width = np.float64(size)
    done = 0
    while done < steps:
        rows = min(cells.shape[0], steps - done)
        for first in range(0, rows, px.shape[0]):
            block = min(px.shape[0], rows - first)
            for j in range(block):
                for lane in range(lanes):
                    xl, yl = x[lane], y[lane]
                    px[j, lane] = xl
                    py[j, lane] = yl
                    x[lane], y[lane] = step(xl, yl, a_pi[lane], b_pi[lane], c[lane], d[lane])
            for j in range(block):
                for lane in range(lanes):
                    col = np.float64(px[j, lane]) * transform[0, lane] + transform[1, lane]
                    row = np.float64(py[j, lane]) * transform[2, lane] + transform[3, lane]
                    col, row = np.trunc(min(last, max(0.0, col))), np.trunc(min(last, max(0.0, row)))
                    cells[first + j, lane] = np.uint32(np.int32(fma(row, width, col) + transform[4, lane]))
        for start in range(0, lanes, together):
            _count(cells[:rows, start:start + together], low_counts, carries)
        done += rows


@numba.njit(nogil=True, error_model="numpy")
def _count(cells, low_counts, carries):
    """One more visit of each of ``cells``, row after row: to its 16-bit count, carried to ``carries``."""
    for j in range(cells.shape[0]):
        for k in range(cells.shape[1]):
            cell = np.uint64(cells[j, k])
            low = np.uint16(low_counts[cell] + np.uint16(1))
            low_counts[cell] = low
            if low == 0:
                carries[cell] += np.uint32(2**16)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def run_trajectory(x, y, a_pi, b_pi, c, d, xs, ys):
    """Store the next ``xs.shape[0]`` points of every lane (xs[i, lane]); for tests and checks."""
    for i in range(xs.shape[0]):
        for lane in range(x.shape[0]):
            xs[i, lane] = x[lane]
            ys[i, lane] = y[lane]
            x[lane], y[lane] = step(x[lane], y[lane], a_pi[lane], b_pi[lane], c[lane], d[lane])


# -- batches -------------------------------------------------------------------------------------

def aligned_zeros(shape, dtype) -> np.ndarray:
    """Zeros starting on a 64-byte boundary (a vector load never straddles two cache lines)."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape)) * dtype.itemsize
    raw = np.zeros(nbytes + 64, np.uint8)
    start = -raw.ctypes.data % 64
    return raw[start:start + nbytes].view(dtype).reshape(shape)


def padded(count: int) -> int:
    return max(LANE_MULTIPLE, -(-count // LANE_MULTIPLE) * LANE_MULTIPLE)


class Lanes:
    """float32 state and parameters of a batch of attractors, one per lane, and their Lyapunov sums.

    Padding lanes hold the zero vector: they sit on the fixed point (0, 0) and are never reported.
    """

    ROWS = ("x", "y", "a_pi", "b_pi", "a", "b", "c", "d", "xmin", "xmax", "ymin", "ymax", "wx", "wy", "norm")

    def __init__(self, params: np.ndarray):
        params = np.asarray(params, np.float64).reshape(-1, 6)
        self._allocate(len(params))
        n = self.count
        with np.errstate(over="ignore"):  # beyond float32's range a parameter is inf: its orbit turns NaN
            self.x[:n], self.y[:n] = params[:, 0], params[:, 1]
            self.a[:n], self.b[:n], self.c[:n], self.d[:n] = params[:, 2], params[:, 3], params[:, 4], params[:, 5]
            self.a_pi[:n], self.b_pi[:n] = params[:, 2] / np.pi, params[:, 3] / np.pi
        self.wx[:] = 1.0
        self.alive[:] = 1

    def _allocate(self, count: int) -> None:
        self.count = count
        self.width = padded(count)
        self.block = aligned_zeros((len(self.ROWS), self.width), np.float32)
        for k, name in enumerate(self.ROWS):
            setattr(self, name, self.block[k])
        self.xmin[:], self.ymin[:] = np.inf, np.inf
        self.xmax[:], self.ymax[:] = -np.inf, -np.inf
        self.log_sum = aligned_zeros(self.width, np.float64)
        self.alive = aligned_zeros(self.width, np.uint8)

    @property
    def map_args(self):
        return self.x, self.y, self.a_pi, self.b_pi, self.c, self.d

    @property
    def box_args(self):
        return self.xmin, self.xmax, self.ymin, self.ymax

    @property
    def lyapunov_args(self):
        """The arguments of :func:`run_lyapunov` before ``steps``."""
        return (self.x, self.y, self.a_pi, self.b_pi, self.a, self.b, self.c, self.d, *self.box_args,
                self.wx, self.wy, self.norm, self.log_sum, self.alive)

    def keep(self, lanes: np.ndarray) -> "Lanes":
        """A new batch holding only ``lanes``, in that order, state, boxes and Lyapunov sums included."""
        kept = Lanes.__new__(Lanes)
        kept._allocate(len(lanes))
        kept.block[:, :kept.count] = self.block[:, lanes]
        kept.log_sum[:kept.count] = self.log_sum[lanes]
        kept.alive[:kept.count] = self.alive[lanes]
        return kept


@dataclass
class Survey:
    """What one pass over each orbit tells, per attractor of the batch."""

    bounds: np.ndarray  # (n, 4) float64: xmin, xmax, ymin, ymax of the float32 points
    finite: np.ndarray  # (n,) bool: every point finite
    period: np.ndarray  # (n,) int: exact cycle period <= MAX_CYCLE_PERIOD at the end of the orbit, else 0
    lyapunov: np.ndarray  # (n,) float64


def survey(params, points: int, burn_in: int) -> Survey:
    """Bounding box, cycle period, finiteness and Lyapunov exponent of each orbit, in one pass.

    The orbit is recorded in segments ending at CHECKPOINTS; at each, a lane whose last point
    repeats one of the MAX_CYCLE_PERIOD before it (or is not finite) is finished: the map is
    deterministic, so the rest of its orbit repeats that cycle (or stays NaN) and its box and
    period are already final. The others go on, compacted into fewer lanes. The Lyapunov exponent
    is the mean over the first LYAPUNOV_STEPS points, or over the points made before a lane
    finished, whichever are fewer.
    """
    lanes = Lanes(params)
    n = lanes.count
    result = Survey(np.full((n, 4), np.nan), np.zeros(n, bool), np.zeros(n, np.int64), np.full(n, np.nan))
    run_free(*lanes.map_args, burn_in)

    lyapunov_steps = min(points, LYAPUNOV_STEPS)
    tail = aligned_zeros((2, TAIL, lanes.width), np.float32)
    recorded, ids = 0, np.arange(n)
    for checkpoint in [c for c in CHECKPOINTS if c < points] + [points]:
        tail_from = max(checkpoint - TAIL, 0)
        with_tangent = min(checkpoint, lyapunov_steps) - recorded
        if with_tangent > 0:
            run_lyapunov(*lanes.lyapunov_args, with_tangent, tail, recorded, tail_from)
            recorded += with_tangent
        run_bounds(*lanes.map_args, *lanes.box_args, checkpoint - recorded, tail, recorded, tail_from)
        recorded = checkpoint

        last = tail[:, (checkpoint - 1) % TAIL, :lanes.count]
        finite = np.isfinite(last[0]) & np.isfinite(last[1])
        periods = np.zeros(lanes.width, np.int64)
        cycle_periods(tail, checkpoint - 1, checkpoint - tail_from, periods)
        period = np.where(finite, periods[:lanes.count], 0)
        done = (period > 0) | ~finite if checkpoint < points else np.ones(lanes.count, bool)
        finished = ids[done]
        result.bounds[finished] = np.column_stack([row[:lanes.count][done] for row in lanes.box_args])
        result.finite[finished] = finite[done]
        result.period[finished] = period[done]
        result.lyapunov[finished] = lanes.log_sum[:lanes.count][done] / min(recorded, lyapunov_steps)
        if done.all():
            break
        if done.any():
            kept = np.flatnonzero(~done)
            lanes, ids = lanes.keep(kept), ids[kept]
            ring_buffer = aligned_zeros((2, TAIL, lanes.width), np.float32)
            ring_buffer[:, :, :lanes.count] = tail[:, :, kept]
            tail = ring_buffer
    return result


def aggregate(params, bounds, points: int, burn_in: int, size: int) -> np.ndarray:
    """(n, size, size) uint32 visit counts of each orbit over its own box (row 0 = lowest y).

    ``bounds`` (n, 4) = xmin, xmax, ymin, ymax as :func:`survey` measured them, with xmin < xmax
    and ymin < ymax. (For any other box, aggregate the points of :func:`trajectories` with
    :func:`fractaldream.aggregate.aggregate`, which drops points outside as datashader does.)
    """
    params = np.asarray(params, np.float64).reshape(-1, 6)
    bounds = np.asarray(bounds, np.float64).reshape(-1, 4)
    counts = np.empty((len(params), size, size), np.uint32)
    for start, stop in lane_groups(len(params), aggregate_lanes(size)):
        lanes = Lanes(params[start:stop])
        low_counts = aligned_zeros((lanes.width, size, size), np.uint16)
        carries = aligned_zeros((lanes.width, size, size), np.uint32)
        px, py = aligned_zeros((BLOCK, lanes.width), np.float32), aligned_zeros((BLOCK, lanes.width), np.float32)
        cells = aligned_zeros((CELL_ROWS, lanes.width), np.uint32)
        run_free(*lanes.map_args, burn_in)
        run_aggregate(*lanes.map_args, _binning(bounds[start:stop], lanes.width, size), size, low_counts.ravel(),
                      carries.ravel(), px, py, cells, counted_together(size), points)
        np.add(carries[:lanes.count], low_counts[:lanes.count], out=counts[start:stop])
    return counts


def _binning(bounds: np.ndarray, width: int, size: int) -> np.ndarray:
    """The ``transform`` of :func:`run_aggregate` for ``width`` lanes, the first with these boxes."""
    xmin, ymin = np.zeros((2, width))
    xmax, ymax = np.ones((2, width))  # padding lanes: any nondegenerate box
    for row, column in zip((xmin, xmax, ymin, ymax), bounds.T):
        row[:len(bounds)] = column
    transform = aligned_zeros((5, width), np.float64)
    transform[0] = size / (xmax - xmin)  # datashader's scale and translation (as in aggregate.aggregate)
    transform[1] = -xmin * transform[0]
    transform[2] = size / (ymax - ymin)
    transform[3] = -ymin * transform[2]
    transform[4] = np.arange(width) * size * size
    return transform


def aggregate_lanes(size: int) -> int:
    """Most lanes aggregated together: MAX_AGGREGATE_LANES, fewer if their 16-bit counts exceed AGGREGATE_BYTES."""
    fit = AGGREGATE_BYTES // (2 * size * size) // LANE_MULTIPLE * LANE_MULTIPLE
    return max(LANE_MULTIPLE, min(MAX_AGGREGATE_LANES, fit))


def counted_together(size: int) -> int:
    """Lanes counted together by :func:`run_aggregate`: as many as TOGETHER_BYTES of 16-bit counts hold, at least 1."""
    return max(1, TOGETHER_BYTES // (2 * size * size))


def lane_groups(count: int, most: int) -> list[tuple[int, int]]:
    """(start, stop) of consecutive groups of ``count`` lanes, as few as groups of at most ``most`` lanes allow.

    The groups are as even as whole multiples of LANE_MULTIPLE make them (80 lanes, at most 64: 48 and 32,
    not 64 and 16): a group of few lanes leaves the vector units waiting on the latency of each step.
    """
    units = -(-count // LANE_MULTIPLE)
    parts = np.array_split(np.arange(units), max(1, -(-units // (most // LANE_MULTIPLE))))
    return [(int(part[0]) * LANE_MULTIPLE, min(int(part[-1] + 1) * LANE_MULTIPLE, count))
            for part in parts if len(part)]


def trajectories(params, points: int, burn_in: int) -> tuple[np.ndarray, np.ndarray]:
    """(xs, ys), each (n, points) float32: the orbits as the kernels compute them (for checks)."""
    lanes = Lanes(params)
    run_free(*lanes.map_args, burn_in)
    xs, ys = np.empty((points, lanes.width), np.float32), np.empty((points, lanes.width), np.float32)
    run_trajectory(*lanes.map_args, xs, ys)
    return np.ascontiguousarray(xs[:, :lanes.count].T), np.ascontiguousarray(ys[:, :lanes.count].T)
