"""Correspondence scores: a code that is V permuted and rescaled scores near 1, independent noise near 0;
against FDD's identifiable targets through the command line, the sanity cases of the benchmark."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from gans.cli import main
from gans.metrics.correspondence import KEYS, correspondence
from gans.metrics.dci import completeness, disentanglement
from fractaldream.identifiable import TARGETS, identifiable_targets
from gans.metrics.mig import discretize, mig
from gans.metrics.sap import sap


@pytest.fixture(scope="module")
def factors():
    return np.random.default_rng(0).uniform(-1, 1, (600, 6))


def permuted_and_rescaled(v):
    return v[:, [3, 0, 5, 1, 4, 2]] * np.array([2.0, -3.0, 0.5, 10.0, -1.0, 4.0]) + 1.0


def test_a_permuted_rescaled_copy_of_v_corresponds(factors):
    scores = correspondence(permuted_and_rescaled(factors), factors)
    assert min(scores["r2_linear"]) > 0.95
    assert min(scores["r2_nonlinear"]) > 0.95
    assert scores["dci_disentanglement"] > 0.8
    assert scores["dci_completeness"] > 0.8
    assert scores["dci_informativeness"] > 0.95
    assert scores["mig"] > 0.7
    assert scores["sap"] > 0.9


def test_independent_noise_does_not(factors):
    noise = np.random.default_rng(1).normal(size=factors.shape)
    scores = correspondence(noise, factors)
    assert max(scores["r2_linear"]) < 0.1
    assert max(scores["r2_nonlinear"]) < 0.1
    assert scores["dci_disentanglement"] < 0.2
    assert scores["dci_informativeness"] < 0.1
    assert scores["mig"] < 0.1
    assert scores["sap"] < 0.1


def test_a_non_linear_code_is_found_by_the_non_linear_probe(factors):
    codes = np.exp(6 * factors)  # invertible but far from linear
    scores = correspondence(codes, factors)
    assert max(scores["r2_linear"]) < 0.7
    assert min(scores["r2_nonlinear"]) > 0.95


def test_entangled_code_is_informative_but_not_disentangled(factors):
    mixing = np.random.default_rng(2).normal(size=(6, 6))
    scores = correspondence(factors @ mixing, factors)
    assert min(scores["r2_linear"]) > 0.95
    assert scores["dci_disentanglement"] < 0.6
    assert scores["mig"] < 0.5


def test_dci_from_the_importance_matrix():
    assert disentanglement(np.eye(3)) == pytest.approx(1.0)
    assert completeness(np.eye(3)) == pytest.approx(1.0)
    assert disentanglement(np.ones((3, 3))) == pytest.approx(0.0, abs=1e-9)
    # One code explaining every factor: complete but not disentangled.
    one_code = np.vstack([np.ones(3), np.zeros(3), np.zeros(3)])
    assert completeness(one_code) == pytest.approx(1.0)
    assert disentanglement(one_code) == pytest.approx(0.0, abs=1e-9)


def test_mig_and_sap_need_a_gap_between_the_two_best_codes(factors):
    duplicated = np.hstack([factors[:, :1], factors[:, :1]])
    assert mig(duplicated, factors[:, :1]) == pytest.approx(0.0, abs=1e-9)
    assert sap(duplicated, factors[:, :1]) == pytest.approx(0.0, abs=1e-9)
    assert mig(factors[:, :1], factors[:, :1]) == pytest.approx(1.0)


def test_cli_prints_one_json_object(tmp_path, factors):
    np.save(tmp_path / "z.npy", permuted_and_rescaled(factors))
    np.save(tmp_path / "v.npy", factors)
    result = CliRunner().invoke(main, ["metrics", "correspondence", str(tmp_path / "z.npy"), str(tmp_path / "v.npy"), "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    assert set(scores) == set(KEYS)
    assert len(scores["r2_linear"]) == len(scores["r2_nonlinear"]) == 6
    assert scores["dci_disentanglement"] > 0.8

    text = CliRunner().invoke(main, ["metrics", "correspondence", str(tmp_path / "z.npy"), str(tmp_path / "v.npy")])
    assert text.exit_code == 0 and "dci_disentanglement" in text.output


@pytest.mark.parametrize(
    "codes, factors_, expected",
    [
        (np.zeros((50, 3)), np.zeros((40, 6)), "paired row by row"),
        (np.zeros((5, 3)), np.zeros((5, 6)), "at least 10 rows"),
        (np.full((50, 3), np.nan), np.zeros((50, 6)), "finite"),
        (np.zeros((50, 3, 2)), np.zeros((50, 6)), "2-D"),
    ],
)
def test_bad_arrays_are_one_line_usage_errors(tmp_path, codes, factors_, expected):
    np.save(tmp_path / "z.npy", codes)
    np.save(tmp_path / "v.npy", factors_)
    result = CliRunner().invoke(main, ["metrics", "correspondence", str(tmp_path / "z.npy"), str(tmp_path / "v.npy")])
    assert result.exit_code == 2
    assert expected in result.output and "Traceback" not in result.output


def test_unreadable_file_is_a_usage_error(tmp_path):
    (tmp_path / "z.npy").write_text("not an array")
    result = CliRunner().invoke(main, ["metrics", "correspondence", str(tmp_path / "z.npy"), str(tmp_path / "missing.npy")])
    assert result.exit_code == 2 and "LATENTS" in result.output


# -- against what an FDD image determines (--targets fdd), through the command line ---------------------
N_SANITY = 10_000  # MIG's plug-in estimate is badly biased upward at small n


@pytest.fixture(scope="module")
def fdd_v():
    """Raw FDD vectors as the builder draws them: x0, y0 in [-1, 1], a..d in [-3, 3]."""
    rng = np.random.default_rng(5)
    return np.hstack([rng.uniform(-1, 1, (N_SANITY, 2)), rng.uniform(-3, 3, (N_SANITY, 4))])


def cli_scores(tmp_path, codes, v, *options) -> dict:
    np.save(tmp_path / "z.npy", codes)
    np.save(tmp_path / "v.npy", v)
    result = CliRunner().invoke(main, ["metrics", "correspondence", str(tmp_path / "z.npy"), str(tmp_path / "v.npy"),
                                       "--json", *options])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_codes_of_the_identifiable_targets_correspond_to_them(tmp_path, fdd_v):
    targets = identifiable_targets(fdd_v)
    codes = targets[:, [3, 0, 4, 2, 1]] * np.array([2.0, -3.0, 0.5, 10.0, -1.0]) + 1.0
    codes += np.random.default_rng(6).normal(size=codes.shape) * 0.05 * codes.std(axis=0)
    scores = cli_scores(tmp_path, codes, fdd_v, "--targets", "fdd")
    assert scores["targets"] == list(TARGETS) and "+-1" in scores["sign_targets_scored_as"]
    assert scores["mig"] > 0.5 and scores["sap"] > 0.5 and scores["dci_disentanglement"] > 0.8
    assert min(scores["r2_nonlinear"]) > 0.95


def test_start_point_and_sign_of_a_codes_sit_at_the_floor_of_the_identifiable_targets(tmp_path, fdd_v):
    """x0, y0 and sign(a) are what the image does not determine: as codes they carry nothing of the targets."""
    codes = np.stack([fdd_v[:, 0], fdd_v[:, 1], np.sign(fdd_v[:, 2])], axis=1)
    scores = cli_scores(tmp_path, codes, fdd_v, "--targets", "fdd")
    noise = cli_scores(tmp_path, np.random.default_rng(7).normal(size=(N_SANITY, 5)), fdd_v, "--targets", "fdd")
    for floor in (scores, noise):
        assert floor["mig"] < 0.02 and floor["sap"] < 0.02 and floor["dci_disentanglement"] < 0.1
        assert max(floor["r2_linear"]) < 0.02 and max(floor["r2_nonlinear"]) < 0.02
    # Scored against the raw signed v instead (no --targets), the same codes look like a correspondence.
    raw = cli_scores(tmp_path, codes, fdd_v)
    assert raw["mig"] > 0.3 and min(raw["r2_linear"][:2]) > 0.99 and "targets" not in raw


def test_targets_fdd_needs_raw_fdd_vectors(tmp_path):
    np.save(tmp_path / "z.npy", np.zeros((50, 3)))
    np.save(tmp_path / "v.npy", np.zeros((50, 5)))
    result = CliRunner().invoke(main, ["metrics", "correspondence", str(tmp_path / "z.npy"), str(tmp_path / "v.npy"),
                                       "--targets", "fdd"])
    assert result.exit_code == 2 and "N x 6" in result.output and "Traceback" not in result.output


def test_mig_keeps_discrete_columns_as_they_are_and_bins_only_continuous_ones():
    rng = np.random.default_rng(8)
    levels = np.array([0.0, 0.01, 0.02, 1.0])  # one equal-width histogram would merge the first three
    factor = levels[rng.integers(4, size=(4000, 1))]
    assert discretize(factor, bins=20).max() == 3  # four levels, kept
    assert mig(factor, factor, bins=20) == pytest.approx(1.0)
    continuous = rng.uniform(size=(4000, 1))
    assert len(np.unique(discretize(continuous, bins=20))) == 20
    sign = np.where(rng.random((4000, 1)) < 0.5, -1.0, 1.0)
    assert mig(np.hstack([sign + rng.normal(scale=0.01, size=sign.shape), continuous]), sign) > 0.95
