"""Training on a tiny FDD (CPU, 32x32): every model, checkpoints, exact resume, failures, sampling, scans."""

import csv
import json

import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from fractaldream.errors import FractalDreamError, UsageError
from gans.training.checkpoint import CHECKPOINT, load_checkpoint
from gans.cli import main
from gans.training.config import TrainConfig, resolve
from gans.models import build_model
from gans.training.runs import load_run
from gans.training.loop import train
from gans.training.scan import parse_grid
from gans.training.speed import native_bfloat16_cpu
from gans_fixtures import fdd, tiny_config  # noqa: F401  (fixtures)

MODELS = [("gan", {}), ("dcgan", {}), ("dcgan", {"upsample": True}), ("aae", {"aae_variant": "makhzani"}),
          ("aae", {"aae_variant": "study"}), ("wgan-gp", {"n_critic": 2}), ("infogan", {}), ("cdcgan", {}),
          ("lsd", {}), ("renderer", {})]


def _rows(run_dir):
    with open(run_dir / "log.csv", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("model,options", MODELS, ids=[f"{m}-{'-'.join(map(str, o.values()))}" for m, o in MODELS])
def test_every_model_trains_and_writes_its_outputs(fdd, tmp_path, model, options):
    run_dir = train(tiny_config(fdd, tmp_path / "run", model=model, **options))
    for name in (CHECKPOINT, "grid.png", "curves.png", "log.csv", "samples/step_0000003.png"):
        assert (run_dir / name).is_file(), name
    rows = _rows(run_dir)
    assert [int(r["step"]) for r in rows] == [1, 2, 3]
    for column in ("loss_d", "loss_g", "d_real", "d_fake"):
        assert all(float(r[column]) == float(r[column]) for r in rows if r[column]), column  # finite, not NaN
    saved = torch.load(run_dir / CHECKPOINT, weights_only=True)
    assert saved["step"] == 3 and saved["finished"] and set(saved["optimizers"]) >= {"g", "d"}
    with Image.open(run_dir / "grid.png") as grid:
        assert grid.size[0] > 4 * 32

    run = load_run(run_dir)
    assert not run.generator.training
    z = run.sample_latent(5, torch.Generator().manual_seed(0))
    assert z.shape == (5, run.latent_dim)
    images = run.generate(z, run.sample_condition(5))
    assert images.shape == (5, 3, 32, 32) and images.abs().max() <= 1
    torch.manual_seed(0)
    fresh = build_model(run.config, run.info)
    assert any(not torch.equal(a, b) for a, b in zip(fresh.generator.state_dict().values(),
                                                     run.generator.state_dict().values()))
    if model == "aae":
        assert run.encoder(images).shape == (5, run.latent_dim)
    if model == "infogan":
        assert run.code_head(images).shape == (5, 6)
    assert (run.encoder is None) == (model != "aae") and (run.code_head is None) == (model != "infogan")


TRICKS = dict(label_smoothing=(0.7, 1.0), instance_noise=0.25, instance_noise_decay=0.5, instance_noise_on="both",
              d_dropout=0.2, d_reset_every=1)
AUGMENTED = dict(TRICKS, affine_degrees=15.0, affine_translate=0.1, affine_scale=(0.9, 1.1), color_space="hsv")
# bfloat16 autocast is the default on CPUs with AMX or AVX512-BF16, emulated (slowly, exactly) on the others.
SPEED = dict(amp=True, channels_last=True)


@pytest.mark.parametrize("tricks", [TRICKS, AUGMENTED, SPEED], ids=["tricks", "augmented-hsv", "amp-channels-last"])
def test_resume_continues_exactly(fdd, tmp_path, tricks):
    # 64 images / 16 = 4 steps an epoch: the interruption at step 3 is mid-epoch, the run crosses two epochs.
    whole = train(tiny_config(fdd, tmp_path / "whole", max_steps=7, **tricks))
    part = train(tiny_config(fdd, tmp_path / "part", max_steps=3, **tricks))
    assert load_checkpoint(part)["step"] == 3
    train(tiny_config(fdd, tmp_path / "part", max_steps=7, resume=True, **tricks))
    a, b = load_checkpoint(whole), load_checkpoint(part)
    assert a["step"] == b["step"] == 7
    for key, value in a["model"].items():
        assert torch.equal(value, b["model"][key]), key
    for name in a["optimizers"]:
        for index, state in a["optimizers"][name]["state"].items():
            for key, value in state.items():
                assert torch.equal(value, b["optimizers"][name]["state"][index][key]), (name, key)
    assert torch.equal(a["rng"]["torch"], b["rng"]["torch"])

    def losses(rows):
        return [{k: v for k, v in r.items() if k != "images_per_s"} for r in rows]

    assert losses(_rows(whole)) == losses(_rows(part))


def test_d_reset_restarts_the_discriminator_and_its_optimizer(fdd, tmp_path):
    run_dir = train(tiny_config(fdd, tmp_path / "run", max_steps=6, d_reset_every=1))
    saved = load_checkpoint(run_dir)
    steps = {name: int(next(iter(opt["state"].values()))["step"]) for name, opt in saved["optimizers"].items()}
    assert steps == {"g": 6, "d": 2}  # D was re-made at the start of epoch 1 (step 4)


def test_unequal_training_band_runs(fdd, tmp_path):
    run_dir = train(tiny_config(fdd, tmp_path / "run", unequal_band=(0.45, 0.55), max_steps=4))
    assert len(_rows(run_dir)) == 4


def test_finished_run_returns_at_once_and_changes_are_refused(fdd, tmp_path):
    config = tiny_config(fdd, tmp_path / "run", max_steps=2)
    run_dir = train(config)
    stamp = (run_dir / CHECKPOINT).stat().st_mtime_ns
    assert train(config) == run_dir
    assert (run_dir / CHECKPOINT).stat().st_mtime_ns == stamp
    with pytest.raises(UsageError, match="--resume"):
        train(tiny_config(fdd, tmp_path / "run", max_steps=4))
    with pytest.raises(UsageError, match="lr_g"):
        train(tiny_config(fdd, tmp_path / "run", max_steps=4, lr_g=1e-2, resume=True))


def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(fdd, tmp_path):
    # Instance noise that grows to overflow in the second epoch (4 steps an epoch).
    config = tiny_config(fdd, tmp_path / "run", max_steps=8, instance_noise=1e-30, instance_noise_decay=1e300)
    with pytest.raises(FractalDreamError, match="non-finite loss.*step 5.*step 4"):
        train(config)
    saved = load_checkpoint(tmp_path / "run")
    assert saved["step"] == 4 and not saved["finished"]
    assert all(torch.isfinite(v).all() for v in saved["model"].values() if v.is_floating_point())


def test_tensorboard_logs(fdd, tmp_path):
    run_dir = train(tiny_config(fdd, tmp_path / "run", max_steps=2, tensorboard=True))
    assert list((run_dir / "tensorboard").glob("events.out.tfevents.*"))


def _cli(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.output


def test_cli_train_sample_interpolate(fdd, tmp_path):
    run_dir = tmp_path / "run"
    code, output = _cli("train", "--model", "dcgan", "--dataset", "fractal", "--data", fdd, "--image-size", 32,
                        "--batch-size", 16, "--max-steps", 2, "--width", 8, "--device", "cpu", "--out", run_dir,
                        "--no-progress", "--label-smoothing", 0.8, 1.0, "--color-space", "hsv",
                        "--affine-degrees", 10, "--affine-translate", 0.1, "--affine-scale", 0.9, 1.1)
    assert code == 0, output
    config = load_run(run_dir).config
    assert config.label_smoothing == (0.8, 1.0) and config.color_space == "hsv"
    assert (config.affine_degrees, config.affine_translate, config.affine_scale) == (10, 0.1, (0.9, 1.1))
    code, output = _cli("sample", run_dir, "--n", 9, "--out", tmp_path / "grid.png")
    assert code == 0, output
    with Image.open(tmp_path / "grid.png") as grid:
        assert grid.size == (3 * 34 + 2, 3 * 34 + 2)
    for cycle, frames in (([], 5), (["--cycle"], 12)):
        out = tmp_path / f"walk{len(cycle)}.gif"
        code, output = _cli("interpolate", run_dir, "--mode", "slerp", *cycle, "--steps", 4, "--n", 3, "--out", out)
        assert code == 0, output
        with Image.open(out) as gif:
            assert gif.n_frames == frames


@pytest.mark.parametrize("args,message", [
    (["--model", "nope"], "unknown model"),
    (["--dataset", "nope"], "unknown data set"),
    (["--image-size", "48"], "image size 48 not supported"),
    (["--data", "/no/such/folder"], "does not exist"),
    (["--model", "lsd", "--dataset", "folder"], "lsd"),
    (["--color-space", "lab"], "unknown colour space"),
    (["--affine-scale", "0", "1"], "--affine-scale"),
])
def test_cli_bad_input_is_one_line_and_exit_2(fdd, tmp_path, args, message):
    base = ["--dataset", "fractal", "--data", str(fdd), "--out", str(tmp_path / "run"), "--max-steps", "1"]
    code, output = _cli("train", *base, *args)
    assert code == 2 and message in output and output.count("\n") == 1 and "Traceback" not in output


def test_cli_resume_of_a_foreign_run_and_a_corrupt_checkpoint(fdd, tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / CHECKPOINT).write_bytes(b"not a checkpoint")
    code, output = _cli("train", "--data", fdd, "--out", tmp_path / "run", "--max-steps", 1)
    assert code == 1 and "cannot read checkpoint" in output
    code, output = _cli("sample", tmp_path / "nothing", "--out", tmp_path / "x.png")
    assert code == 2 and "no checkpoint" in output


def test_scan_runs_the_grid_and_skips_finished_runs(fdd, tmp_path):
    args = ["scan", "--model", "dcgan", "--dataset", "fractal", "--data", fdd, "--image-size", 32, "--width", 8,
            "--batch-size", 16, "--max-steps", 2, "--device", "cpu", "--out", tmp_path / "scan",
            "--grid", "lr-g=1e-3,1e-4 label-smoothing=0.9:1.0", "--sort-by", "lr_g"]
    code, output = _cli(*args)
    assert code == 0, output
    runs = sorted(p.name for p in (tmp_path / "scan").iterdir() if p.is_dir())
    assert runs == ["lr-g=0.0001_label-smoothing=0.9:1.0", "lr-g=0.001_label-smoothing=0.9:1.0"]
    with open(tmp_path / "scan" / "summary.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [float(r["lr_g"]) for r in rows] == [1e-4, 1e-3]
    assert all(r["status"] == "finished" and r["step"] == "2" and r["loss_g"] for r in rows)
    (tmp_path / "scan" / runs[0] / "metrics.json").write_text(json.dumps({"fid": 12.5}))
    stamps = [(tmp_path / "scan" / r / CHECKPOINT).stat().st_mtime_ns for r in runs]
    code, output = _cli(*args[:-2], "--sort-by", "fid")
    assert code == 0, output
    assert [(tmp_path / "scan" / r / CHECKPOINT).stat().st_mtime_ns for r in runs] == stamps
    with open(tmp_path / "scan" / "summary.csv", newline="") as handle:
        assert next(csv.DictReader(handle))["fid"] == "12.5"


def test_scan_bad_grid_is_a_usage_error(tmp_path):
    code, output = _cli("scan", "--grid", "lr-g", "--out", tmp_path / "scan")
    assert code == 2 and "bad grid item" in output
    code, output = _cli("scan", "--grid", "no-such=1", "--out", tmp_path / "scan")
    assert code == 2 and "unknown setting" in output


def test_speed_options_default_per_device_and_a_run_keeps_its_own(fdd, tmp_path):
    assert resolve(tiny_config(fdd, tmp_path)).amp == native_bfloat16_cpu()
    assert resolve(tiny_config(fdd, tmp_path, device="cuda")).amp is False
    assert resolve(tiny_config(fdd, tmp_path)).channels_last == native_bfloat16_cpu()
    code, output = _cli("train", "--data", fdd, "--image-size", 32, "--batch-size", 16, "--width", 8, "--max-steps", 1,
                        "--no-amp", "--out", tmp_path / "run", "--no-progress")
    assert code == 0, output
    assert load_checkpoint(tmp_path / "run")["config"]["amp"] is False
    code, output = _cli("train", "--data", fdd, "--image-size", 32, "--batch-size", 16, "--width", 8, "--max-steps", 2,
                        "--amp", "--resume", "--out", tmp_path / "run", "--no-progress")
    assert code == 2 and "amp: False -> True" in output
    assert parse_grid("amp=true,false channels-last=none") == {"amp": [True, False], "channels_last": [None]}


@pytest.mark.slow
def test_resume_continues_exactly_compiled(fdd, tmp_path):
    whole = train(tiny_config(fdd, tmp_path / "whole", max_steps=6, compile=True))
    train(tiny_config(fdd, tmp_path / "part", max_steps=3, compile=True))
    part = train(tiny_config(fdd, tmp_path / "part", max_steps=6, compile=True, resume=True))
    a, b = load_checkpoint(whole), load_checkpoint(part)
    for key, value in a["model"].items():
        assert torch.equal(value, b["model"][key]), key


def test_config_round_trips_through_a_checkpoint_dict():
    config = TrainConfig(model="aae", betas=(0.5, 0.9), label_smoothing=(0.7, 1.0))
    assert TrainConfig.from_dict(config.to_dict()) == config


def test_train_speed_benchmark_reports_the_ratio(capsys):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[1] / "benchmarks" / "train_speed.py"
    spec = importlib.util.spec_from_file_location("train_speed", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--device", "cpu", "--batch-size", "4", "--image-size", "32", "--steps", "2",
                       "--warmup", "1", "--window", "1", "--variants", "default,no-amp+channels-last"]) == 0
    output = capsys.readouterr().out
    assert "bare PyTorch loop" in output and "gans train" in output and "ratio" in output
