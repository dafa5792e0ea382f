"""Correspondence scores: a code that is V permuted and rescaled scores near 1, independent noise near 0."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from gans.cli import main
from gans.metrics.correspondence import KEYS, correspondence
from gans.metrics.dci import completeness, disentanglement
from gans.metrics.mig import mig
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
