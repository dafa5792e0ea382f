"""The lockstep kernels on every ISA: AVX2 code as good as AVX-512 code, and the same bits from both."""

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fractaldream import lockstep
from fractaldream.attractor import MAX_CYCLE_PERIOD, cycle_period
from fractaldream.sample import sample_parameters

ROOT = Path(__file__).absolute().parents[1]
BATCH = dict(seed=5, count=40, points=30_000, burn_in=100, size=48)

# Run in a fresh process with numba's target set to AVX2 + FMA (no AVX-512) and a cache of its own:
# the kernels' machine code, and what they compute, written to the files named on the command line.
AVX2_RUN = """
import json, sys
import numpy as np
from fractaldream import lockstep
from fractaldream.sample import sample_parameters

seed, count, points, burn_in, size = (int(a) for a in sys.argv[3:8])
params = sample_parameters(seed, 0, count, (-1.0, 1.0), (-3.0, 3.0))
found = lockstep.survey(params, points, burn_in)
drawn = found.finite & (found.period == 0)
counts = lockstep.aggregate(params[drawn], found.bounds[drawn], points, burn_in, size)
np.savez(sys.argv[1], bounds=found.bounds, finite=found.finite, period=found.period, lyapunov=found.lyapunov,
         counts=counts)
code = {name: getattr(lockstep, name).inspect_asm(getattr(lockstep, name).signatures[0])
        for name in ("run_free", "run_bounds", "run_lyapunov", "run_aggregate")}
json.dump(code, open(sys.argv[2], "w"))
"""


def batch():
    return sample_parameters(BATCH["seed"], 0, BATCH["count"], (-1.0, 1.0), (-3.0, 3.0))


@pytest.fixture(scope="module")
def avx2(tmp_path_factory):
    """(results, machine code of each kernel) of the kernels compiled for AVX2 in another process."""
    if platform.machine() not in ("x86_64", "AMD64"):
        pytest.skip("AVX2 is an x86-64 ISA")
    folder = tmp_path_factory.mktemp("avx2")
    env = dict(os.environ, NUMBA_CPU_NAME="haswell", NUMBA_CPU_FEATURES="", NUMBA_CACHE_DIR=str(folder / "cache"),
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    arguments = [str(folder / "results.npz"), str(folder / "code.json"),
                 *(str(BATCH[k]) for k in ("seed", "count", "points", "burn_in", "size"))]
    subprocess.run([sys.executable, "-c", AVX2_RUN, *arguments], env=env, check=True, cwd=folder)
    return dict(np.load(folder / "results.npz")), json.loads((folder / "code.json").read_text())


def test_avx2_code_has_no_masked_stores_and_vectorizes_box_and_binning(avx2):
    _, code = avx2
    for name, asm in code.items():
        assert "zmm" not in asm and "{%k" not in asm, f"{name} holds AVX-512 code"
        assert "vmaskmov" not in asm, f"{name} has a masked store (microcoded on AMD Zen 2 and 3)"
        assert "vfmadd" in asm and "ymm" in asm, f"{name} is not vectorized"
    for name in ("run_bounds", "run_lyapunov"):
        assert "vminps" in code[name] and "vmaxps" in code[name], f"{name}'s bounding box is not vectorized"
    binning = [line for line in code["run_aggregate"].splitlines() if "vcvttpd2dq" in line]
    assert any("ymm" in line for line in binning), "the binning does not convert four float64 cells at once"


def test_avx2_code_gives_the_bits_of_the_native_code(avx2):
    results, _ = avx2
    params = batch()
    found = lockstep.survey(params, BATCH["points"], BATCH["burn_in"])
    drawn = found.finite & (found.period == 0)
    counts = lockstep.aggregate(params[drawn], found.bounds[drawn], BATCH["points"], BATCH["burn_in"], BATCH["size"])
    assert drawn.sum() >= 10 and (~drawn).sum() >= 5
    assert np.array_equal(results["bounds"], found.bounds, equal_nan=True)
    assert np.array_equal(results["lyapunov"], found.lyapunov, equal_nan=True)
    assert np.array_equal(results["finite"], found.finite) and np.array_equal(results["period"], found.period)
    assert np.array_equal(results["counts"], counts)


def test_cycle_periods_equal_cycle_period_on_each_lane_of_a_wrapped_ring():
    rng = np.random.default_rng(0)
    held, lanes, last = lockstep.TAIL, 8, 5 * lockstep.TAIL + 40  # the ring has wrapped around several times
    orbits = rng.standard_normal((2, held, lanes)).astype(np.float32)  # points last-held+1 .. last, in order
    for lane, period in enumerate((1, 2, 7, MAX_CYCLE_PERIOD)):
        orbits[:, -1, lane] = orbits[:, -1 - period, lane]
    orbits[:, -1, 4] = orbits[:, -2, 4] = np.nan  # NaN never equals itself: no period
    orbits[0, -1, 5] = orbits[0, -4, 5]  # x repeats, y does not
    tail = np.empty_like(orbits)
    tail[:, (last - held + 1 + np.arange(held)) % held, :] = orbits
    for shown, periods in ((held, [1, 2, 7, MAX_CYCLE_PERIOD, 0, 0, 0, 0]), (3, [1, 2, 0, 0, 0, 0, 0, 0])):
        found = np.full(lanes, -1, np.int64)
        lockstep.cycle_periods(tail, last, shown, found)
        assert list(found) == periods
        assert periods == [cycle_period(orbits[0, -shown:, k].copy(), orbits[1, -shown:, k].copy(), MAX_CYCLE_PERIOD)
                           for k in range(lanes)]


def test_a_lane_that_settles_leaves_at_the_first_checkpoint_with_the_mean_so_far():
    fixed_point = [0.3, -0.2, 0.5, 0.5, 0.1, 0.1]
    first = lockstep.CHECKPOINTS[0]
    short, long = lockstep.survey([fixed_point], first, 100), lockstep.survey([fixed_point], 50 * first, 100)
    assert short.period[0] == long.period[0] == 1
    assert long.lyapunov[0] == short.lyapunov[0] < 0.0
    found = lockstep.survey(batch(), first, 100)
    chaotic = batch()[found.finite & (found.period == 0)][:1]
    assert lockstep.survey(chaotic, 50 * first, 100).lyapunov[0] != lockstep.survey(chaotic, first, 100).lyapunov[0]
