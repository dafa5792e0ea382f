"""Fetching Simpsons and CelebA: a fake Kaggle API at the network boundary, real zips, real unpacking."""

import dataclasses
import io
import json
import stat
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from fractaldream.kaggle import client as kaggle_client
from fractaldream.errors import FractalDreamError, UsageError
from gans.data import download as fetch
from gans.datasets import DATASETS
from gans.cli.data import data_group


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (250, 200, 0)).save(buffer, format="PNG")
    return buffer.getvalue()


def write_zip(path: Path, entries: dict[str, bytes], links: dict[str, str] = {}) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        for name, points_to in links.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, points_to)
    return path


def simpsons_zip(path: Path, images: int) -> Path:
    png = png_bytes()
    return write_zip(path, {f"cropped/{k}.png": png for k in range(1, images + 1)})


class FakeKaggle:
    """Answers dataset_download_files like the kaggle package: writes <slug>.zip into ``path``."""

    def __init__(self, archive: Path | None):
        self.archive = archive
        self.calls = []

    def dataset_download_files(self, dataset, path=None, force=False, quiet=True, unzip=False, licenses=[]):
        self.calls.append(dict(dataset=dataset, path=path, force=force, unzip=unzip))
        if self.archive is not None:
            (Path(path) / f"{dataset.split('/')[1]}.zip").write_bytes(self.archive.read_bytes())


def expect_images(monkeypatch, name: str, count: int) -> None:
    """Make the record of ``name`` expect ``count`` images (the real sets hold thousands)."""
    monkeypatch.setitem(DATASETS, name, dataclasses.replace(DATASETS[name], expected_images=count))


def files_under(folder: Path) -> set[Path]:
    return {p.relative_to(folder) for p in folder.rglob("*")}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GANS_DATA", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_the_expected_counts_are_those_of_the_published_data_sets():
    assert {name: DATASETS[name].expected_images for name in ("simpsons", "celeba")} == {"simpsons": 9_877,
                                                                                           "celeba": 202_599}


def test_download_unpacks_counts_marks_and_then_skips(tmp_path, cache, monkeypatch):
    expect_images(monkeypatch, "simpsons", 12)
    fake = FakeKaggle(simpsons_zip(tmp_path / "source.zip", 12))
    target = fetch.download("simpsons", client=fake)
    assert target == cache / "simpsons"
    assert fake.calls == [dict(dataset="kostastokis/simpsons-faces", path=str(cache / ".simpsons.download"),
                               force=False, unzip=False)]
    assert len(list((target / "cropped").glob("*.png"))) == 12
    assert json.loads((target / fetch.MARKER).read_text()) == {"kaggle_id": "kostastokis/simpsons-faces",
                                                               "folder": "cropped", "images": 12}
    assert sorted(p.name for p in cache.iterdir()) == ["simpsons"]  # the zip and staging folder are gone
    assert fetch.download("simpsons", client=fake) == target
    assert len(fake.calls) == 1


def test_download_goes_to_out_and_asks_for_celeba(tmp_path, monkeypatch):
    expect_images(monkeypatch, "celeba", 3)
    archive = write_zip(tmp_path / "c.zip", {f"img_align_celeba/img_align_celeba/{k:06d}.jpg": b"jpg" for k in (1, 2, 3)}
                        | {"list_attr_celeba.csv": b"image_id\n"})
    fake = FakeKaggle(archive)
    target = fetch.download("celeba", out=tmp_path / "faces", client=fake)
    assert target == tmp_path / "faces" and fake.calls[0]["dataset"] == "jessicali9530/celeba-dataset"
    assert (target / "img_align_celeba" / "img_align_celeba" / "000002.jpg").read_bytes() == b"jpg"
    assert (target / "list_attr_celeba.csv").is_file()


def test_a_count_far_from_the_expected_is_refused_and_installs_nothing(tmp_path, cache, monkeypatch):
    expect_images(monkeypatch, "simpsons", 100)
    fake = FakeKaggle(simpsons_zip(tmp_path / "s.zip", 90))
    expected = r"largest image folder \(cropped\) holds 90 images, expected 100 \(within 5%\)"
    with pytest.raises(FractalDreamError, match=expected):
        fetch.download("simpsons", client=fake)
    assert not (cache / "simpsons").exists()
    # The zip stays, so that fixing the expectation (or inspecting it) needs no second download.
    assert (cache / ".simpsons.download" / "simpsons-faces.zip").is_file()


def test_a_count_within_the_tolerance_is_accepted_with_a_note(tmp_path, cache, monkeypatch, capsys):
    expect_images(monkeypatch, "simpsons", 100)
    target = fetch.download("simpsons", client=FakeKaggle(simpsons_zip(tmp_path / "s.zip", 97)))
    assert "simpsons has 97 images in cropped, not the 100" in capsys.readouterr().out
    assert json.loads((target / fetch.MARKER).read_text())["images"] == 97


def test_a_nested_copy_of_the_images_does_not_count_twice(tmp_path):
    png = png_bytes()
    archive = write_zip(tmp_path / "s.zip", {f"{folder}/{k}.png": png for folder in ("cropped", "cropped/cropped")
                                             for k in range(4)} | {"cropped/extra/one.png": png})
    assert fetch.count_images(archive) == ("cropped", 4)


def test_a_folder_with_other_files_is_not_overwritten(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "mine.txt").write_text("keep")
    fake = FakeKaggle(None)
    with pytest.raises(UsageError, match="already holds files that are not a completed download"):
        fetch.download("simpsons", out=tmp_path / "out", client=fake)
    assert fake.calls == [] and (tmp_path / "out" / "mine.txt").read_text() == "keep"


def test_unknown_names_are_usage_errors():
    with pytest.raises(UsageError, match="unknown Kaggle data set 'mnist'; choose from simpsons, celeba"):
        fetch.download("mnist", client=FakeKaggle(None))


@pytest.mark.parametrize("entries, links, reason", [
    ({"cropped/1.png": b"ok", "../evil.png": b"x"}, {}, "../evil.png (escapes the target folder)"),
    ({"cropped/../../evil.png": b"x"}, {}, "escapes the target folder"),
    ({"/tmp/evil-absolute.png": b"x"}, {}, "/tmp/evil-absolute.png (escapes the target folder)"),
    ({"cropped/1.png": b"ok"}, {"cropped/link.png": "/etc/passwd"}, "cropped/link.png (a link)"),
])
def test_unsafe_archives_are_refused_whole_and_write_nothing(tmp_path, entries, links, reason):
    archive = write_zip(tmp_path / "bad.zip", entries, links)
    sandbox = tmp_path / "sandbox"
    target = sandbox / "deep" / "target"
    target.mkdir(parents=True)
    before = files_under(tmp_path)
    with pytest.raises(FractalDreamError, match="refusing to unpack") as error:
        fetch.safe_extract(archive, target, progress=False)
    assert reason in str(error.value)
    assert files_under(tmp_path) == before
    assert not Path("/tmp/evil-absolute.png").exists()


def test_download_refuses_a_crafted_archive_and_installs_nothing(tmp_path, cache, monkeypatch):
    expect_images(monkeypatch, "simpsons", 2)
    archive = write_zip(tmp_path / "crafted.zip", {"cropped/1.png": b"ok", "../../escaped.png": b"x",
                                                   "/abs.png": b"x"}, {"cropped/2.png": "../../../etc/passwd"})
    with pytest.raises(FractalDreamError, match=r"refusing to unpack .*: 3 unsafe entries"):
        fetch.download("simpsons", client=FakeKaggle(archive))
    assert not (cache / "simpsons").exists()
    assert not list(tmp_path.rglob("escaped.png")) and not list(tmp_path.rglob("abs.png"))
    assert not (cache / ".simpsons.download" / "unpacked").exists()


def test_cli_download_uses_the_one_client_and_list_shows_what_is_where(tmp_path, cache, monkeypatch):
    expect_images(monkeypatch, "simpsons", 5)
    fake = FakeKaggle(simpsons_zip(tmp_path / "s.zip", 5))
    runner = CliRunner()
    with kaggle_client.using(fake):
        result = runner.invoke(data_group, ["download", "simpsons"])
    assert result.exit_code == 0, result.output
    assert f"simpsons: 5 images in {cache / 'simpsons'}" in result.output and len(fake.calls) == 1
    (cache / "fractal").mkdir()
    (cache / "fractal" / "params.csv").write_text("file\n")
    listing = runner.invoke(data_group, ["list"]).output.splitlines()
    rows = {line.split()[0]: line for line in listing if not line.startswith(" ")}
    assert list(rows) == ["fractal", "simpsons", "celeba", "mnist", "fashion-mnist"]
    assert "present (5 images)" in rows["simpsons"] and str(cache / "simpsons") in rows["simpsons"]
    assert "present" in rows["fractal"]
    assert "missing" in rows["celeba"] and "gans data download celeba" in "\n".join(listing)
    assert "missing" in rows["mnist"] and str(cache / "mnist") in rows["mnist"]


def test_cli_rejects_unknown_names_with_exit_2():
    result = CliRunner().invoke(data_group, ["download", "mnist"])
    assert result.exit_code == 2 and "'mnist' is not one of 'celeba', 'simpsons'" in result.output


def test_gans_cli_offers_the_data_commands():
    import click

    from gans.cli import main

    assert set(main.get_command(click.Context(main), "data").commands) == {"download", "list"}
