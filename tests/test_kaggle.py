"""Publishing on Kaggle: metadata for a real build, the checks Kaggle makes, uploads through a fake API.

The network boundary is the only fake: a recording object put where the one Kaggle client is made
(``kaggle_client.using``). The real ``KaggleApi`` is exercised offline (legacy credentials
authenticate without a request) to check that every recorded call fits its real signature and
that the kaggle package's own validation accepts what ``prepare`` writes.
"""

import contextlib
import inspect
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from fractaldream import store
from fractaldream.kaggle import client as kaggle_client
from fractaldream.kaggle.cli import kaggle_group
from fractaldream.kaggle.folder import validate
from fractaldream.kaggle.metadata import METADATA_FILE
from fractaldream.kaggle.prepare import prepare
from fractaldream.settings import BuildSettings

DATASET_ID = "someone/fractal-dream-test"
KEY = "0123456789abcdef-secret-key"


class RecordingKaggle:
    """Stands in for KaggleApi: records every call, answers like a successful Kaggle."""

    def __init__(self, answer=None, error=None):
        self.calls = []
        self.answer = answer or SimpleNamespace(status="ok", url="https://www.kaggle.com/datasets/x", error="",
                                                invalid_tags=[])
        self.error = error

    def __getattr__(self, name):
        if not name.startswith("dataset_"):
            raise AttributeError(name)

        def call(*args, **kwargs):
            self.calls.append((name, args, kwargs))
            if self.error is not None:
                raise self.error
            return self.answer

        return call


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from fractaldream.build import build_dataset

    out = tmp_path_factory.mktemp("fdd")
    build_dataset(out, 8, BuildSettings(size=32, points=20_000, palettes=("blue",)), workers=1, progress=False)
    return out


@pytest.fixture
def fdd(built, tmp_path):
    """A private copy of the build, free to change."""
    return Path(shutil.copytree(built, tmp_path / "fdd"))


@pytest.fixture
def prepared(fdd):
    prepare(fdd, DATASET_ID, progress=False)
    return fdd


def run(*args, client=None):
    with kaggle_client.using(client) if client is not None else contextlib.nullcontext():
        return CliRunner().invoke(kaggle_group, [str(a) for a in args])


def clean_env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAGGLE_")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    return env


def run_python(code: str, env: dict, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], env=env, capture_output=True, text=True,
                          cwd=Path(__file__).parent.parent, timeout=120)


# ---------------------------------------------------------------- prepare


def test_prepare_writes_metadata_that_describes_the_build_and_validates(fdd):
    result = run("prepare", fdd, "--id", DATASET_ID, "--title", "Fractal Dream Dataset v2", "--license", "CC-BY-4.0")
    assert result.exit_code == 0, result.output
    metadata = json.loads((fdd / METADATA_FILE).read_text())
    assert validate(fdd) == metadata
    assert metadata["id"] == DATASET_ID and metadata["title"] == "Fractal Dream Dataset v2"
    assert metadata["licenses"] == [{"name": "CC-BY-4.0"}]
    assert 20 <= len(metadata["subtitle"]) <= 80 and metadata["keywords"]
    text = metadata["description"]
    settings = json.loads((fdd / "build.json").read_text())
    for expected in ("x' = sin(b*y) + c*sin(b*x)", "y' = sin(a*x) + d*sin(a*y)", "[-3.0, 3.0]", "[-1.0, 1.0]",
                     "fractaldream build --n 8 ", "--size 32", "--points 20000", "FractalDreamDataset(",
                     f"`seed` | `{settings['seed']}`", "8 attractors in 8 RGB PNG images", DATASET_ID):
        assert expected in text
    assert all(f"| `{column}` |" in text for column in store.COLUMNS)
    (params,) = [r for r in metadata["resources"] if r["path"] == "params.csv"]
    fields = params["schema"]["fields"]
    assert [f["name"] for f in fields] == list(store.COLUMNS)
    assert all(f["type"] in ("string", "integer", "numeric") and f["description"] for f in fields)


def test_zip_per_palette_packs_the_build_layout_and_skips_the_images_folder(fdd):
    assert run("prepare", fdd, "--id", DATASET_ID, "--zip-per-palette").exit_code == 0
    listed = store.read_params(fdd / "params.csv")["file"].tolist()
    with zipfile.ZipFile(fdd / "images-blue.zip") as archive:
        assert sorted(archive.namelist()) == sorted(listed)
        assert archive.read(listed[0]) == (fdd / listed[0]).read_bytes()
    assert "images-blue.zip" in [r["path"] for r in validate(fdd)["resources"]]
    dry = run("upload", fdd, "--new", "--dry-run")
    assert "images-blue.zip" in dry.output and "images.zip" not in dry.output
    # Preparing again without the option removes the now stale zip.
    assert run("prepare", fdd, "--id", DATASET_ID).exit_code == 0
    assert not (fdd / "images-blue.zip").exists()
    assert "images.zip" in run("upload", fdd, "--new", "--dry-run").output


@pytest.mark.parametrize("option, value, message", [
    ("--id", "no-slash-here", "must have the form OWNER/SLUG"),
    ("--id", "someone/short", "has 5 characters; Kaggle needs 6 to 50"),
    ("--id", "someone/" + "x" * 51, "has 51 characters"),
    ("--id", "someone/Fractal_Dream", "only lowercase letters, digits and inner hyphens"),
    ("--id", "some one/fractal-dream", "owner 'some one'"),
    ("--title", "FDD", "title 'FDD' has 3 characters; Kaggle needs 6 to 50"),
    ("--title", "F" * 51, "has 51 characters"),
    ("--license", "MIT", "license 'MIT' is not one Kaggle knows; choose from CC0-1.0"),
])
def test_prepare_rejects_bad_ids_titles_and_licenses(fdd, option, value, message):
    args = {"--id": DATASET_ID, "--title": "Fractal Dream Dataset", "--license": "CC0-1.0", option: value}
    result = run("prepare", fdd, *[x for pair in args.items() for x in pair])
    assert result.exit_code == 2
    assert message in result.output and result.output.startswith("Error: ") and result.output.count("\n") == 1
    assert not (fdd / METADATA_FILE).exists()


def test_prepare_refuses_a_folder_that_is_not_a_complete_build(fdd):
    (fdd / "images" / "blue" / "0000003.png").unlink()
    (fdd / "images" / "orange").mkdir()
    (fdd / ".params.csv.tmp").write_text("half")
    result = run("prepare", fdd, "--id", DATASET_ID)
    assert result.exit_code == 2
    for expected in ("1 images listed in params.csv are missing (first: images/blue/0000003.png)",
                     "folder images/orange is empty", "half-written files are left (.params.csv.tmp"):
        assert expected in result.output
    assert "build.json is missing" in run("prepare", fdd / "images", "--id", DATASET_ID).output


@pytest.mark.parametrize("change, message", [
    ({"title": "A" * 60}, "has 60 characters"),
    ({"subtitle": "too short"}, "must have 20 to 80 characters"),
    ({"licenses": [{"name": "CC0-1.0"}, {"name": "PDDL"}]}, "exactly one"),
    ({"id": "someone/UPPER-case"}, "only lowercase"),
    ({"resources": [{"path": "nothing.csv"}]}, "resource 'nothing.csv' is not a file"),
    ({"resources": [{"path": "params.csv"}, {"path": "params.csv"}]}, "listed twice"),
    ({"keywords": "art"}, "keywords must be a list of strings"),
])
def test_upload_validates_hand_edited_metadata_before_contacting_anyone(prepared, change, message):
    path = prepared / METADATA_FILE
    path.write_text(json.dumps({**json.loads(path.read_text()), **change}))
    fake = RecordingKaggle()
    result = run("upload", prepared, "--new", client=fake)
    assert result.exit_code == 2 and message in result.output
    assert fake.calls == []


def test_upload_without_metadata_says_to_prepare(fdd):
    result = run("upload", fdd, "--new", "--dry-run")
    assert result.exit_code == 2 and "fractaldream kaggle prepare" in result.output


# ---------------------------------------------------------------- upload through the fake API


def test_upload_new_sends_the_folder_with_the_public_flag(prepared):
    fake = RecordingKaggle()
    result = run("upload", prepared, "--new", "--public", client=fake)
    assert result.exit_code == 0, result.output
    assert fake.calls == [("dataset_create_new", (), dict(folder=str(prepared), public=True, quiet=False,
                                                         dir_mode="zip", ignore_patterns=[".lock"]))]
    assert "create the public data set someone/fractal-dream-test" in result.output


def test_upload_new_is_private_by_default(prepared):
    fake = RecordingKaggle()
    assert run("upload", prepared, "--new", client=fake).exit_code == 0
    assert fake.calls[0][2]["public"] is False


def test_upload_version_sends_the_message(prepared):
    fake = RecordingKaggle()
    result = run("upload", prepared, "--version", "-m", "more attractors", client=fake)
    assert result.exit_code == 0, result.output
    assert fake.calls == [("dataset_create_version", (), dict(folder=str(prepared), version_notes="more attractors",
                                                             quiet=False, dir_mode="zip", ignore_patterns=[".lock"]))]


@pytest.mark.parametrize("args, message", [
    ([], "choose exactly one of --new and --version"),
    (["--new", "--version", "-m", "x"], "choose exactly one"),
    (["--version"], "--version needs -m MESSAGE"),
    (["--version", "-m", "  "], "non-empty -m MESSAGE"),
    (["--new", "-m", "x"], "-m MESSAGE goes with --version"),
    (["--version", "-m", "x", "--public"], "--public applies to --new only"),
])
def test_upload_option_mistakes_are_usage_errors(prepared, args, message):
    fake = RecordingKaggle()
    result = run("upload", prepared, *args, client=fake)
    assert result.exit_code == 2 and message in result.output
    assert fake.calls == []


def test_dry_run_prints_files_sizes_and_metadata_and_contacts_nobody(prepared):
    fake = RecordingKaggle(error=AssertionError("the dry run contacted Kaggle"))
    result = run("upload", prepared, "--new", "--dry-run", client=fake)
    assert result.exit_code == 0, result.output
    assert fake.calls == []
    images = sum(p.stat().st_size for p in (prepared / "images").rglob("*.png"))
    lines = result.output.splitlines()
    assert any(line.split()[:1] == ["params.csv"] and "kB" in line for line in lines)
    assert any(line.split()[:1] == ["images.zip"] and "8 files" in line for line in lines)
    assert f"{images / 1000:,.1f} kB" in result.output
    assert json.dumps(validate(prepared), indent=2) in result.output
    assert METADATA_FILE not in [line.split()[0] for line in lines if line.startswith("  ")]


def test_kaggle_refusal_and_failure_are_one_line_errors_without_keys(prepared, monkeypatch):
    monkeypatch.setenv("KAGGLE_KEY", KEY)
    refused = RecordingKaggle(answer=SimpleNamespace(status="error", error="The requested title is already in use"))
    result = run("upload", prepared, "--new", client=refused)
    assert result.exit_code == 1 and "Kaggle refused to create" in result.output and "already in use" in result.output
    failing = RecordingKaggle(error=RuntimeError(f"401 Unauthorized for key {KEY}"))
    result = run("upload", prepared, "--version", "-m", "v2", client=failing)
    assert result.exit_code == 1 and "401 Unauthorized for key ***" in result.output
    assert KEY not in result.output and "Traceback" not in result.output


# ---------------------------------------------------------------- credentials


def test_missing_credentials_are_a_clear_usage_error(prepared, tmp_path):
    env = clean_env(tmp_path / "home")
    (tmp_path / "home").mkdir()
    done = run_python("from fractaldream.kaggle.cli import kaggle_group; kaggle_group()", env, "upload", prepared, "--new")
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("Error: no usable Kaggle credentials") and done.stderr.count("\n") == 1
    for hint in ("kaggle.json", "KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_API_TOKEN", "chmod 600"):
        assert hint in done.stderr
    assert "Traceback" not in done.stderr and "Authentication required" not in done.stdout + done.stderr


def test_unreadable_kaggle_json_is_named(prepared, tmp_path):
    home = tmp_path / "home"
    (home / ".kaggle").mkdir(parents=True)
    (home / ".kaggle" / "kaggle.json").write_text('{"username": "someone", "key": ')
    (home / ".kaggle" / "kaggle.json").chmod(0o600)
    done = run_python("from fractaldream.kaggle.cli import kaggle_group; kaggle_group()", clean_env(home),
                      "upload", prepared, "--new")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"({home}/.kaggle/kaggle.json is not valid JSON)" in done.stderr


def test_legacy_credentials_authenticate_offline_and_keys_never_show(tmp_path):
    home = tmp_path / "home"
    (home / ".kaggle").mkdir(parents=True)
    config = home / ".kaggle" / "kaggle.json"
    config.write_text(json.dumps({"username": "someone", "key": KEY}))
    config.chmod(0o644)
    code = ("from fractaldream.kaggle import client as kaggle_client\n"
            "api = kaggle_client.client()\n"
            "values = api.config_values\n"
            "print(type(api).__name__, values['username'], kaggle_client.redact('key=' + values['key']))\n")
    done = run_python(code, clean_env(home))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "KaggleApi someone key=***"
    assert f"Warning: {config} is readable by other users" in done.stderr and "chmod 600" in done.stderr
    assert KEY not in done.stdout + done.stderr
    config.chmod(0o600)
    assert "Warning" not in run_python(code, clean_env(home)).stderr


def test_one_client_per_process(monkeypatch):
    fake = RecordingKaggle()
    with kaggle_client.using(fake):
        assert kaggle_client.client() is fake is kaggle_client.client()
    assert kaggle_client._client is None


# ---------------------------------------------------------------- the real KaggleApi, offline


@pytest.fixture
def real_api(tmp_path, monkeypatch):
    """The real KaggleApi, authenticated offline with legacy variables (no request is made)."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("KAGGLE_USERNAME", "someone")
    monkeypatch.setenv("KAGGLE_KEY", KEY)
    monkeypatch.delenv("KAGGLE_API_TOKEN", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the kaggle package's upload scratch space
    monkeypatch.setattr(kaggle_client, "_client", None)
    api = kaggle_client.client()
    monkeypatch.setattr(kaggle_client, "_client", None)
    return api


def test_every_call_fits_the_real_kaggle_api_signatures(prepared, tmp_path, real_api):
    from gans.data.download import download

    fake = RecordingKaggle()
    assert run("upload", prepared, "--new", "--public", client=fake).exit_code == 0
    assert run("upload", prepared, "--version", "-m", "v2", client=fake).exit_code == 0
    with pytest.raises(Exception):
        download("simpsons", tmp_path / "simpsons", client=fake)  # the fake writes no zip: only the call matters
    assert {name for name, _, _ in fake.calls} == {"dataset_create_new", "dataset_create_version", "dataset_download_files"}
    for name, args, kwargs in fake.calls:
        inspect.signature(getattr(real_api, name)).bind(*args, **kwargs)  # TypeError if it does not fit


def upload_through_the_real_api(folder, real_api, *options):
    """``fractaldream kaggle upload FOLDER --new OPTIONS`` through the real dataset_create_new, faking only the
    HTTP calls: the result, the files sent (name, and the entries of a zip), and the create requests."""
    from kagglesdk.datasets.types.dataset_api_service import ApiCreateDatasetResponse
    from requests import HTTPError

    uploaded, created = [], []

    def dataset_status(ref, format=None):
        raise HTTPError("404: no such data set yet")

    def upload_blob(path, quiet, blob_type, upload_context, content_type=None):
        uploaded.append((Path(path).name, zipfile.is_zipfile(path) and sorted(zipfile.ZipFile(path).namelist())))
        return f"token-{Path(path).name}"

    def create_dataset(request):
        created.append(request)
        response = ApiCreateDatasetResponse()
        response.status, response.url = "ok", "https://www.kaggle.com/datasets/" + DATASET_ID
        return response

    client = SimpleNamespace(datasets=SimpleNamespace(dataset_api_client=SimpleNamespace(create_dataset=create_dataset)))
    real_api.dataset_status = dataset_status
    real_api._upload_blob = upload_blob
    real_api.build_kaggle_client = lambda: contextlib.nullcontext(client)
    with kaggle_client.using(real_api):
        result = CliRunner().invoke(kaggle_group, ["upload", str(folder), "--new", *options])
    return result, uploaded, created


@pytest.mark.parametrize("zip_per_palette", [False, True])
def test_the_kaggle_package_accepts_the_prepared_folder(fdd, real_api, zip_per_palette):
    """Run the real dataset_create_new on the prepared folder, faking only the HTTP calls."""
    prepare(fdd, DATASET_ID, zip_per_palette=zip_per_palette, progress=False)
    result, uploaded, created = upload_through_the_real_api(fdd, real_api)
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (fdd / "images" / "blue").iterdir())
    images = (("images-blue.zip", [f"images/blue/{n}" for n in names]) if zip_per_palette
              else ("images.zip", [f"blue/{n}" for n in names]))
    assert sorted(uploaded) == [("build.json", False), images, ("params.csv", False)]
    (request,) = created
    assert (request.owner_slug, request.slug, request.title) == ("someone", "fractal-dream-test", "Fractal Dream Dataset")
    assert request.license_name == "CC0-1.0" and request.is_private
    (params,) = [f for f in request.files if f.token == "token-params.csv"]
    assert [c.name for c in params.columns] == list(store.COLUMNS)
    assert KEY not in result.output



# ---------------------------------------------------------------- credentials in the folder


CREDENTIALS = {"kaggle.json": '{"username": "someone", "key": "k"}', "images/.env": "KAGGLE_KEY=k",
               "images/blue/server.PEM": "-----BEGIN PRIVATE KEY-----"}
EXCLUDED = ["--exclude", "kaggle.json", "--exclude", ".env", "--exclude", "server.PEM"]


@pytest.fixture
def with_credentials(fdd):
    for name, text in CREDENTIALS.items():
        (fdd / name).write_text(text)
    return fdd


def refused_naming_each_credential(result) -> bool:
    return result.exit_code == 2 and result.output.count("\n") == 1 and all(
        f"{name} looks like credentials and would be uploaded: remove it, or leave it out with --exclude "
        f"{Path(name).name}" in result.output for name in CREDENTIALS)


def test_credentials_in_the_folder_are_refused_by_name_unless_excluded(with_credentials):
    fdd = with_credentials
    assert refused_naming_each_credential(run("prepare", fdd, "--id", DATASET_ID))
    assert not (fdd / METADATA_FILE).exists()
    assert run("prepare", fdd, "--id", DATASET_ID, *EXCLUDED).exit_code == 0
    assert refused_naming_each_credential(run("upload", fdd, "--new", "--dry-run"))
    dry = run("upload", fdd, "--new", "--dry-run", *EXCLUDED)
    assert dry.exit_code == 0 and "kaggle.json" not in dry.output and "8 files" in dry.output, dry.output
    fake = RecordingKaggle()
    assert run("upload", fdd, "--new", *EXCLUDED, client=fake).exit_code == 0
    assert fake.calls[0][2]["ignore_patterns"] == [".lock", "kaggle.json", "*/kaggle.json", ".env", "*/.env",
                                                   "server.PEM", "*/server.PEM"]


def test_the_kaggle_package_leaves_the_excluded_files_and_the_lock_at_home(with_credentials, real_api):
    fdd = with_credentials
    assert (fdd / ".lock").is_file()
    prepare(fdd, DATASET_ID, progress=False, exclude=("kaggle.json", ".env", "server.PEM"))
    result, uploaded, _ = upload_through_the_real_api(fdd, real_api, *EXCLUDED)
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (fdd / "images" / "blue").glob("*.png"))
    assert sorted(uploaded) == [("build.json", False), ("images.zip", [f"blue/{n}" for n in names]),
                                ("params.csv", False)]


def test_the_missing_credentials_message_names_the_kaggle_json_the_package_reads(prepared, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    expected = home / ".config" / "kaggle" / "kaggle.json"  # on Linux, without ~/.kaggle: the XDG folder
    done = run_python("from fractaldream.kaggle.cli import kaggle_group; kaggle_group()", clean_env(home),
                      "upload", prepared, "--new")
    assert done.returncode == 2 and f"{expected} does not exist" in done.stderr, done.stderr
    assert f"save the legacy kaggle.json as {expected} (chmod 600)" in done.stderr
    assert "~/.kaggle/kaggle.json" not in done.stderr
    expected.write_text(json.dumps({"username": "someone", "key": KEY}))
    expected.chmod(0o600)
    code = "from fractaldream.kaggle import client; print(client.client().config_values['username'])"
    authenticated = run_python(code, clean_env(home))
    assert authenticated.returncode == 0 and authenticated.stdout.strip() == "someone", authenticated.stderr
