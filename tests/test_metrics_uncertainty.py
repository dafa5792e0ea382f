"""Bootstrap intervals: they cover a known value about as often as they claim, and narrow with n."""

import numpy as np
import pytest

from fractaldream.errors import UsageError
from gans.metrics.mig import mig
from gans.metrics.uncertainty import bootstrap_interval, mean_interval


def test_the_interval_of_a_mean_covers_the_true_mean_about_95_percent_of_the_time():
    rng = np.random.default_rng(0)
    intervals = [mean_interval(rng.exponential(0.5, size=200), resamples=500, seed=k) for k in range(200)]
    covered = np.mean([i.low <= 0.5 <= i.high for i in intervals])
    assert 0.88 <= covered <= 0.99
    assert all(i.low < i.estimate < i.high for i in intervals)


def test_the_interval_narrows_as_one_over_root_n():
    rng = np.random.default_rng(1)
    width = {n: np.mean([(lambda i: i.high - i.low)(mean_interval(rng.uniform(size=n), seed=k)) for k in range(5)])
             for n in (500, 8000)}
    assert width[8000] / width[500] == pytest.approx(0.25, rel=0.2)


def test_a_set_level_statistic_gets_its_interval_from_resampled_rows():
    """The correlation of paired columns: the same rows of both arrays are drawn together."""
    rng = np.random.default_rng(2)
    hits = 0
    for k in range(60):
        x = rng.normal(size=300)
        y = 0.6 * x + 0.8 * rng.normal(size=300)  # correlation 0.6
        interval = bootstrap_interval(lambda a, b: np.corrcoef(a, b)[0, 1], x, y, resamples=200, seed=k)
        hits += interval.low <= 0.6 <= interval.high
    assert hits >= 52  # about 57 of 60 expected; independent resampling of x and y would centre on 0


def test_mig_intervals_separate_a_code_of_the_factors_from_noise():
    rng = np.random.default_rng(3)
    factors = rng.uniform(size=(2000, 3))
    matched = bootstrap_interval(mig, factors + 0.02 * rng.normal(size=factors.shape), factors, resamples=20)
    noise = bootstrap_interval(mig, rng.normal(size=factors.shape), factors, resamples=20)
    assert noise.high < 0.05 < 0.5 < matched.low


def test_strata_keep_each_side_of_a_split_its_size_and_the_seed_fixes_the_interval():
    is_test = np.arange(100) < 30
    values = np.random.default_rng(4).normal(size=100)
    sizes = bootstrap_interval(lambda side: side.sum(), is_test, strata=is_test, resamples=50)
    assert sizes.low == sizes.high == sizes.estimate == 30
    assert mean_interval(values, seed=7) == mean_interval(values, seed=7) != mean_interval(values, seed=8)


@pytest.mark.parametrize("arrays, options", [((np.ones(1),), {}), ((np.ones(5), np.ones(4)), {}),
                                             ((np.ones(5),), {"level": 1.0}), ((np.ones(5),), {"strata": [0, 1]})])
def test_bad_requests_are_usage_errors(arrays, options):
    with pytest.raises(UsageError):
        bootstrap_interval(np.mean, *arrays, **options)
