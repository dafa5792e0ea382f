"""``gans bench``: the quick smoke run end to end, the report it writes, and bad input."""

import csv
import json
import shlex

import numpy as np

import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from gans.training.checkpoint import load_checkpoint
from gans.cli import main
from gans.bench.budget import run_seconds, train_models
from gans.bench.report import write_report
from gans.bench.seeds import per_model
from gans.bench.settings import BenchSettings
from gans_fixtures import fdd, random_fid_inception_state_dict  # noqa: F401  (fdd: a fixture)

torch.set_num_threads(1)


def run_quick_bench(tmp_path, monkeypatch, *args):
    monkeypatch.setenv("GANS_DATA", str(tmp_path / "cache"))
    out = tmp_path / "results"
    result = CliRunner().invoke(main, ["bench", "--quick", "--out", str(out), "--runs", str(tmp_path / "runs"), *args])
    assert result.exit_code == 0, result.output
    return out


CONTEXT = ["real data (held out)", "ceiling (regressor)", "random codes (floor)", "shuffled codes (floor)",
           "all-on image (floor)", "1-NN lookup in targets", "training-set oracle"]


def check_report(out, models):
    folder = out / "fractal"
    with open(folder / "table.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    names = [row["model"] for row in rows]
    assert names[:len(CONTEXT)] == CONTEXT
    assert set(models) <= set(names)
    for row in rows[len(CONTEXT):]:
        assert float(row["ffd"]) >= 0 and 0 <= float(row["precision_reg"]) <= 1
        if row["codes"] != "v (by construction)":
            assert row["dci_disentanglement"] != "" and row["r2_abs_a"] != ""
            assert float(row["mig_low"]) <= float(row["mig"]) <= float(row["mig_high"])
    for baseline in rows[4:len(CONTEXT)]:
        assert 0 <= float(baseline["retrieval"]) <= 1 and baseline["iou_matched_gain"] != ""
    table = (folder / "table.md").read_text()
    assert all(f"| {name} |" in table for name in names)
    for figure in ("samples.png", "r2.png", "renderer.png"):
        assert Image.open(folder / figure).size[0] > 100
    readme = (out / "README.md").read_text()
    assert "gans bench --dataset fractal" in readme and "--quick" in readme
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["findings"] and summary["settings"]["quick"]
    return rows


def test_quick_bench_on_a_tiny_fdd(fdd, tmp_path, monkeypatch):  # noqa: F811
    out = run_quick_bench(tmp_path, monkeypatch, "--data", str(fdd), "--models", "dcgan")
    rows = check_report(out, ["dcgan"])
    dcgan = [row for row in rows if row["model"] == "dcgan"]
    assert [row["codes"] for row in dcgan] == ["inversion", "posthoc_encoder"]
    assert 0 <= float(dcgan[0]["iou"]) <= 1 and dcgan[0]["tracking"] != ""
    assert (out / "fractal" / "direct.png").exists()
    # A second bench reuses the finished run instead of training again.
    checkpoint = tmp_path / "runs" / "fractal-32" / "dcgan" / "seed=0" / "checkpoint.pt"
    trained_at = checkpoint.stat().st_mtime_ns
    run_quick_bench(tmp_path, monkeypatch, "--data", str(fdd), "--models", "dcgan")
    assert checkpoint.stat().st_mtime_ns == trained_at
    first_train_s = float(dcgan[0]["train_s"])
    assert first_train_s > 0
    # A larger budget extends that run to its length, and its training time adds up.
    rows = check_report(run_quick_bench(tmp_path, monkeypatch, "--data", str(fdd), "--models", "dcgan", "--steps", "12"),
                        ["dcgan"])
    extended = [row for row in rows if row["model"] == "dcgan"][0]
    assert int(extended["steps"]) == 12 and float(extended["train_s"]) > first_train_s
    assert load_checkpoint(checkpoint)["step"] == 12


def read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_a_bench_over_two_training_seeds_sums_them_up_per_model_and_reuses_their_runs(fdd, tmp_path,  # noqa: F811
                                                                                     monkeypatch):
    out = run_quick_bench(tmp_path, monkeypatch, "--data", str(fdd), "--models", "dcgan", "--seeds", "0,1")
    rows = check_report(out, ["dcgan"])
    per_seed = read_csv(out / "fractal" / "table_seeds.csv")
    assert sorted((row["codes"], row["seed"]) for row in per_seed) == [
        ("inversion", "0"), ("inversion", "1"), ("posthoc_encoder", "0"), ("posthoc_encoder", "1")]
    dcgan = [row for row in rows if row["model"] == "dcgan"]
    assert [(row["codes"], row["seeds"]) for row in dcgan] == [("inversion", "2"), ("posthoc_encoder", "2")]
    for row in dcgan:
        seeds = [r for r in per_seed if r["codes"] == row["codes"]]
        for key in ("ffd", "iou", "r2_nonlinear_mean", "mig", "train_s"):
            values = [float(r[key]) for r in seeds]
            assert float(row[key]) == pytest.approx(np.mean(values), rel=1e-9), key
        # A score's interval is the t-interval across the seeds: centred on their mean, 12.7 standard errors wide.
        ffd = [float(r["ffd"]) for r in seeds]
        assert ffd[0] != ffd[1]  # the seeds trained different models
        half = 12.706 * np.std(ffd, ddof=1) / np.sqrt(2)
        assert float(row["ffd_low"]) == pytest.approx(np.mean(ffd) - half, rel=1e-3)
        assert float(row["ffd_high"]) == pytest.approx(np.mean(ffd) + half, rel=1e-3)
        assert int(row["steps"]) == 6 and "seed" not in row
    assert "| seeds |" in (out / "fractal" / "table.md").read_text()
    assert "mean over 2 training seeds (0, 1)" in (out / "fractal" / "table.md").read_text()
    runs = tmp_path / "runs" / "fractal-32" / "dcgan"
    assert sorted(p.name for p in runs.iterdir()) == ["seed=0", "seed=1"]
    trained_at = {p.name: (p / "checkpoint.pt").stat().st_mtime_ns for p in runs.iterdir()}
    seed_1 = load_checkpoint(runs / "seed=1" / "checkpoint.pt")["config"]
    assert seed_1["seed"] == 1 and seed_1["max_steps"] == 6

    # Training them again (as a rerun of the bench does, without its evaluation) reuses both runs.
    again = BenchSettings(quick=True, data=str(fdd), models=("dcgan",), seeds=(0, 1), runs=str(tmp_path / "runs"),
                          progress=False)
    messages = []
    trained = train_models(again, str(fdd), run_seconds(again), messages.append)
    assert list(trained) == [("dcgan", 0), ("dcgan", 1)]
    assert {t.run_dir.name for t in trained.values()} == set(trained_at)
    assert messages == [f"dcgan seed={k}: reusing the finished run of 6 steps" for k in (0, 1)]
    assert {p.name: (p / "checkpoint.pt").stat().st_mtime_ns for p in runs.iterdir()} == trained_at


def test_set_overrides_every_run_and_is_part_of_its_identity(fdd, tmp_path, monkeypatch):  # noqa: F811
    out = run_quick_bench(tmp_path, monkeypatch, "--data", str(fdd), "--models", "lsd", "--set", "lsd_weight=7")
    runs = tmp_path / "runs" / "fractal-32" / "lsd"
    assert [p.name for p in runs.iterdir()] == ["seed=0_lsd-weight=7.0"]  # not seed=0: no run of the default lsd_weight
    checkpoint = runs / "seed=0_lsd-weight=7.0" / "checkpoint.pt"
    assert load_checkpoint(checkpoint)["config"]["lsd_weight"] == 7.0
    summary = json.loads((out / "fractal" / "summary.json").read_text())
    assert summary["overrides"] == {"lsd_weight": 7.0} and summary["command"].endswith("--set lsd-weight=7.0")
    assert "Every model trained with lsd_weight=7.0" in (out / "fractal" / "table.md").read_text()
    # The command the report gives reproduces the bench: it finds that run again.
    trained_at = checkpoint.stat().st_mtime_ns
    result = CliRunner().invoke(main, shlex.split(summary["command"])[1:] + ["--data", str(fdd), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "reusing the finished run" in result.output and checkpoint.stat().st_mtime_ns == trained_at
    assert [p.name for p in runs.iterdir()] == ["seed=0_lsd-weight=7.0"]


def test_rows_of_several_seeds_become_one_row_per_model_and_code_method():
    seed_rows = [
        {"model": "dcgan", "seed": 0, "codes": "inversion", "steps": 6, "ffd": 1.0, "ffd_low": 0.9, "ffd_high": 1.1,
         "train_s": 2.0, "n_direct": 24},
        {"model": "dcgan", "seed": 1, "codes": "inversion", "steps": 6, "ffd": 3.0, "ffd_low": 2.9, "ffd_high": 3.1,
         "train_s": 4.0, "n_direct": 24},
        {"model": "lsd", "seed": 0, "codes": "v (by construction)", "ffd": 2.0, "ffd_low": 1.5, "ffd_high": 2.5},
    ]
    dcgan, lsd = per_model(seed_rows)
    # ffd: mean 2, standard error 1, t(0.975, 1) = 12.706
    assert dcgan["seeds"] == 2 and dcgan["ffd"] == 2.0 and "seed" not in dcgan
    assert dcgan["ffd_low"] == pytest.approx(2.0 - 12.706, abs=1e-3)
    assert dcgan["ffd_high"] == pytest.approx(2.0 + 12.706, abs=1e-3)
    assert dcgan["steps"] == 6 and dcgan["train_s"] == 3.0 and "train_s_low" not in dcgan and dcgan["n_direct"] == 24
    # One seed keeps its row, within-run interval included.
    assert lsd == {"model": "lsd", "codes": "v (by construction)", "ffd": 2.0, "ffd_low": 1.5, "ffd_high": 2.5,
                   "seeds": 1}


@pytest.mark.slow
def test_quick_bench_of_every_model_builds_its_own_data(tmp_path, monkeypatch):
    models = ["gan", "dcgan", "aae", "wgan-gp", "infogan", "cdcgan", "lsd"]
    rows = check_report(run_quick_bench(tmp_path, monkeypatch), models)
    by_model = {row["model"]: row for row in rows}
    assert by_model["aae"]["codes"] == "encoder" and by_model["infogan"]["codes"] == "q_codes"
    assert by_model["lsd"]["codes"] == "v (by construction)" and by_model["lsd"]["r2_linear_mean"] == ""


def test_quick_bench_of_a_face_data_set_reports_the_inception_metrics(tmp_path, monkeypatch):
    """Simpsons (Kaggle layout, random images made here) with a random-weight Inception: FID, KID, P/R, samples."""
    faces = tmp_path / "simpsons" / "cropped"
    faces.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for k in range(96):
        Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(faces / f"{k}.png")
    weights = tmp_path / "random_inception.pth"
    torch.save(random_fid_inception_state_dict(), weights)
    out = run_quick_bench(tmp_path, monkeypatch, "--dataset", "simpsons", "--data", str(faces.parent),
                          "--models", "dcgan", "--fid-weights", str(weights))
    with open(out / "simpsons" / "table.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    dcgan = [row for row in rows if row["model"] == "dcgan"]
    assert len(dcgan) == 1
    assert float(dcgan[0]["fid"]) > 0 and 0 <= float(dcgan[0]["precision"]) <= 1 and dcgan[0]["kid_mean"] != ""
    assert not any(key.startswith(("r2_", "mig", "ffd")) and value for row in rows for key, value in row.items())
    assert Image.open(out / "simpsons" / "samples.png").size[0] > 100
    assert "## simpsons" in (out / "README.md").read_text()


def test_report_from_rows(tmp_path):
    targets = ["abs_a", "abs_b", "sign_ab", "c", "d"]
    r2 = {f"r2_{t}": 0.1 * i for i, t in enumerate(targets)}
    rows = [
        {"model": "real data (held out)", "codes": "-", "ffd": 0.01},
        {"model": "ceiling (regressor)", "codes": "ceiling(x)", **r2, "r2_nonlinear_mean": 0.25,
         "r2_nonlinear_mean_low": 0.2, "r2_nonlinear_mean_high": 0.3,
         "r2_direct_mean": 0.5, **{f"r2_direct_{t}": 0.9 for t in targets}},
        {"model": "random codes (floor)", "codes": "N(0, I)", **{k: 0.0 for k in r2}, "r2_nonlinear_mean": 0.0},
        {"model": "dcgan", "codes": "inversion", "steps": 10, "ffd": 1.5, **{k: 0.05 for k in r2}, "r2_nonlinear_mean": 0.05,
         "iou": 0.3, "iou_matched_gain": 0.2, "iou_matched_gain_low": 0.1, "iou_matched_gain_high": 0.3,
         "retrieval": 0.4, "r2_direct_mean": 0.0, **{f"r2_direct_{t}": 0.0 for t in targets}},
    ]
    images = torch.rand(16, 3, 8, 8)
    figures = {"real": images, "dcgan": {"samples": images, "direct": (images[:8], images[:8])}}
    summary = {"command": "gans bench --dataset fractal", "machine": "test", "wall_minutes": 0.1,
               "settings": {"quick": False}, "targets": targets}
    folder = write_report(tmp_path, "fractal", rows, figures, summary, rows[3:])
    table = (folder / "table.md").read_text()
    assert "| dcgan | inversion |" in table and "FID" not in table  # no Inception weights, no FID column
    assert "0.200 [0.10, 0.30]" in table  # an estimate with its interval
    table_lines = [line for line in table.splitlines() if line.startswith("|")]
    assert "| R2 abs(a) |" in table and len({line.count("|") for line in table_lines}) == 1
    findings = json.loads((folder / "summary.json").read_text())["findings"]
    assert any("abs(a) 0.90" in line for line in findings)
    assert any(line.startswith("dcgan: coverage-matched IoU gain over shuffled pairs 0.200 [0.10, 0.30]")
               for line in findings)
    assert {p.name for p in folder.iterdir()} >= {"table.csv", "table.md", "samples.png", "direct.png", "r2.png",
                                                   "renderer.png"}
    (folder / "NOTES.md").write_text("A reading kept across reruns.\n")
    write_report(tmp_path, "fractal", rows, figures, summary, rows[3:])
    assert "A reading kept across reruns." in (tmp_path / "README.md").read_text()
    with pytest.raises(ValueError, match="nobody_declared"):
        write_report(tmp_path, "fractal", [{**rows[0], "nobody_declared": 1.0}], figures, summary, [])
    with pytest.raises(ValueError, match="nobody_declared"):
        write_report(tmp_path, "fractal", rows, figures, summary, [{**rows[3], "nobody_declared": 1.0}])


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--models", "dcgan,vae"], "unknown model 'vae'"),
        (["--models", ","], "--models names no model"),
        (["--dataset", "mnist"], "Invalid value for '--dataset'"),
        (["--image-size", "48"], "Invalid value for '--image-size'"),
        (["--dataset", "simpsons", "--models", "lsd"], "no model of --models fits simpsons"),
        (["--seeds", "0,x"], "--seeds takes whole numbers"),
        (["--seeds", "1,1"], "--seeds needs distinct seeds"),
        (["--seeds", "-1"], "--seed must be a whole number in"),
        (["--set", "no_such=1"], "unknown setting 'no-such'"),
        (["--set", "lsd_weight"], "expected KEY=VALUE"),
        (["--set", "seed=3"], "the bench sets it itself"),
        (["--set", "lsd_weight=heavy"], "bad value 'heavy' for lsd-weight"),
        (["--set", "lsd_weight=-1"], "--lsd-weight must be a finite number >= 0"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, expected):
    result = CliRunner().invoke(main, ["bench", "--quick", "--out", str(tmp_path), *args])
    assert result.exit_code == 2, result.output
    assert expected in result.output and "Traceback" not in result.output
