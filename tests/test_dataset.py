"""FractalDreamDataset on a built folder, an interpolation and the original Kaggle layout; preview."""

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from fractaldream import FractalDreamDataset, store
from fractaldream.cli import main
from fractaldream.interpolate import interpolate, render_line
from fractaldream.render import render
from fractaldream.settings import BuildSettings, RenderSettings

START = np.array([-0.00545687187361743, -0.5312304575586382, 1.8197494653032407, 2.422111729355857, 1.4944898296889655, 2.487490210145214])
END = np.array([-0.319459804135373, -0.0981842500805612, 0.42291442353441633, 1.7253282321258185, 1.4272325555244099, 1.3701336149016234])


def test_items_are_images_in_0_1_and_vectors_normalised_from_the_build_ranges(tiny_fdd):
    data = FractalDreamDataset(tiny_fdd)
    table = store.read_params(tiny_fdd / store.PARAMS_CSV)
    assert len(data) == 64 and data.settings["n"] == 64
    image, v = data[5]
    assert image.dtype == torch.float32 and image.shape == (3, 32, 32) and 0 <= image.min() and image.max() <= 1
    stored = np.asarray(Image.open(tiny_fdd / table["file"][5]))
    assert torch.equal((image * 255).round().to(torch.uint8).permute(1, 2, 0), torch.from_numpy(stored.copy()))
    raw = table.loc[5, ["x0", "y0", "a", "b", "c", "d"]].to_numpy(float)
    assert np.array_equal(data.params[5], raw)
    np.testing.assert_allclose(v.numpy(), np.concatenate([raw[:2], raw[2:] / 3]), rtol=1e-6)
    assert np.abs(data.normalize(data.params)).max() <= 1
    np.testing.assert_allclose(data.denormalize(data.normalize(data.params)), data.params, atol=1e-12)
    assert torch.equal(FractalDreamDataset(tiny_fdd, normalize=False)[5][1], torch.from_numpy(raw.astype(np.float32)))


def test_normalisation_follows_custom_ranges(tmp_path):
    from fractaldream.build import build_dataset

    build_dataset(tmp_path, 3, BuildSettings(size=16, points=5000, palettes=("green",), range_abcd=(1.0, 2.0),
                                             range_xy=(-0.5, 0.5), min_coverage=0.0), workers=1, progress=False)
    data = FractalDreamDataset(tmp_path, palette="green", transform=lambda image: image.size)
    size, v = data[0]
    assert size == (16, 16)
    expected = np.concatenate([2 * data.params[0, :2], 2 * (data.params[0, 2:] - 1) - 1])
    np.testing.assert_allclose(v.numpy(), expected, rtol=1e-6)
    assert len(FractalDreamDataset(tmp_path, palette="blue")) == 0


def test_the_original_kaggle_layout_is_read_from_file_names(tmp_path):
    vectors = {"blue": [START, END], "orange": [START]}
    for palette, vs in vectors.items():
        (tmp_path / palette).mkdir()
        for v in vs:
            render(v, size=20, points=5000, palette=palette).save(tmp_path / palette / ("_".join(repr(float(x)) for x in v) + ".png"))
    (tmp_path / "blue" / "notes.png").write_bytes(b"not a vector")
    data = FractalDreamDataset(tmp_path)
    assert data.settings is None and len(data) == 3
    assert sorted(map(tuple, data.params)) == sorted(map(tuple, [START, END, START]))
    blue = FractalDreamDataset(tmp_path, palette="blue")
    assert len(blue) == 2 and set(blue.palettes) == {"blue"}
    image, v = blue[0]
    assert image.shape == (3, 20, 20)
    raw = blue.params[0]
    np.testing.assert_allclose(v.numpy(), np.concatenate([raw[:2], raw[2:] / 3]), rtol=1e-6)


def test_interpolation_walks_the_straight_line_and_reads_as_a_dataset(tmp_path):
    table = interpolate(START, END, 5, tmp_path / "line", RenderSettings(size=24, points=20_000), progress=False)
    assert list(table["t"]) == [0.0, 0.25, 0.5, 0.75, 1.0]
    params = table[["x0", "y0", "a", "b", "c", "d"]].to_numpy()
    assert np.array_equal(params[0], START) and np.array_equal(params[-1], END)
    np.testing.assert_allclose(params[2], (START + END) / 2, atol=1e-15)
    data = FractalDreamDataset(tmp_path / "line")
    assert len(data) == 5 and np.array_equal(data.params, params)
    first = np.asarray(render(START, size=24, points=20_000))
    assert np.array_equal(np.asarray(Image.open(data.files[0])), first)


def test_render_line_is_the_interpolation_in_memory(tmp_path):
    settings = RenderSettings(size=24, points=20_000)
    ts, attractors = render_line(START, END, 4, settings)
    table = interpolate(START, END, 4, tmp_path / "line", settings, palette="green", progress=False)
    assert list(ts) == list(table["t"]) and [a.status for a in attractors] == list(table["status"])
    for attractor, file in zip(attractors, FractalDreamDataset(tmp_path / "line").files):
        assert np.array_equal(np.asarray(Image.open(file)), attractor.image("green"))


def test_interpolate_cli_refuses_a_folder_with_other_files(tmp_path):
    (tmp_path / "mine.txt").write_text("keep")
    result = CliRunner().invoke(main, ["interpolate", "--from", "0 0 1 1 1 1", "--to", "0 0 2 2 2 2", "--steps", "3",
                                       "--out", str(tmp_path)])
    assert result.exit_code == 2 and "other files" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt"]


@pytest.mark.parametrize("args, named", [
    (["--from", "0 0 1 1 1", "--to", "0 0 2 2 2 2", "--steps", "3"], "--from"),
    (["--from", "0 0 1 1 1 x", "--to", "0 0 2 2 2 2", "--steps", "3"], "--from"),
    (["--from", "0 0 1 1 1 1", "--to", "0 0 2 2 2 nan", "--steps", "3"], "--to"),
    (["--from", "0 0 1 1 1 1", "--to", "0 0 2 2 2 2", "--steps", "1"], "--steps"),
])
def test_interpolate_bad_vectors_are_usage_errors(tmp_path, args, named):
    result = CliRunner().invoke(main, ["interpolate", *args, "--out", str(tmp_path / "line")])
    assert result.exit_code == 2 and named in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "line").exists()


def test_preview_lays_the_first_images_on_a_grid(tiny_fdd, tmp_path):
    out = tmp_path / "sheet.png"
    result = CliRunner().invoke(main, ["preview", str(tiny_fdd), "--out", str(out), "--n", "10"])
    assert result.exit_code == 0, result.output
    sheet = np.asarray(Image.open(out))
    assert sheet.shape == (3 * 34 + 2, 4 * 34 + 2, 3)
    first = np.asarray(Image.open(FractalDreamDataset(tiny_fdd).files[0]))
    assert np.array_equal(sheet[2:34, 2:34], first)
    assert np.array_equal(sheet[2 + 2 * 34:, 2 + 2 * 34:], np.full_like(sheet[2 + 2 * 34:, 2 + 2 * 34:], 0x20))
