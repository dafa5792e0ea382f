"""Every metric's default setting, in one place (torch-fidelity keeps them the same way)."""

#: pytorch-fid's own defaults: pool3 features, batches of 50 (its CLI's default).
FID_DIMS = 2048
FID_BATCH_SIZE = 50
FID_WEIGHTS_FILE = "pt_inception-2015-12-05-6726825d.pth"

#: KID (Binkowski et al. 2018): cubic polynomial kernel, unbiased MMD^2 averaged over subsets.
KID_SUBSETS = 100
KID_SUBSET_SIZE = 1000
KID_DEGREE = 3
KID_COEF0 = 1.0

#: Improved precision and recall (Kynkaanniemi et al. 2019): k-th neighbour radii, k = 3.
PR_NEIGHBOURS = 3

#: Correspondence probes and disentanglement scores.
TEST_FRACTION = 0.3
MIG_BINS = 20
GBT_TREES = 100
GBT_DEPTH = 3
SEED = 0

#: Occupancy threshold for FDD images (black background): a pixel is "on" when its brightest channel
#: is above it. The sparsest palette colour is about 0.36, the background 0.
OCCUPANCY_THRESHOLD = 0.15

#: Retrieval of FD(v) from G(v): candidates per query (FD(v) and this many minus one others); chance is 1 / it.
RETRIEVAL_CANDIDATES = 10

#: Bootstrap intervals (gans.metrics.uncertainty): resamples for per-item metrics (cheap: a mean per
#: resample) and for set-level statistics that refit something per resample (MIG, DCI, ...).
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_STATISTIC_RESAMPLES = 200
BOOTSTRAP_LEVEL = 0.95

#: The FDD ceiling (gans.metrics.regressor): a CNN reading the identifiable targets, trained on the stream.
#: Each of its ``CEILING_ATTRACTORS`` distinct attractors is seen ``passes`` times (a random symmetric variant
#: each time); it is scored on ``CEILING_HELD_OUT`` held-out attractors of the stream.
REGRESSOR = {
    "width": 32,
    "features": 128,
    "passes": 2,
    "batch_size": 128,
    "lr": 2e-3,
    "weight_decay": 1e-4,
    "seed": 0,
    # Processes rendering the stream (only the speed depends on it).
    "render_workers": 2,
}
CEILING_ATTRACTORS = 100_000
CEILING_HELD_OUT = 5_000
#: A smoke-test ceiling (tests, ``gans bench --quick``): seconds, and no ceiling at all as a measurement. Small
#: batches give its few attractors enough steps (600 attractors at 20,000 points: R^2 of |a| 0.62-0.68 over four
#: training seeds with batches of 32, 0.18-0.50 with the full default's 128).
CEILING_TINY_ATTRACTORS = 600
CEILING_TINY_CONFIG = {"batch_size": 32, "passes": 5}
#: The learning curve's budgets of distinct attractors; each trains on at least ``CEILING_CURVE_MIN_IMAGES`` images.
CEILING_CURVE = (3_000, 10_000, 30_000, 100_000, 200_000)
CEILING_CURVE_MIN_IMAGES = 100_000
