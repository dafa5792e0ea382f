"""The one place a Kaggle API client is made: authenticated once per process, replaceable in tests.

``import kaggle`` authenticates on import and prints a help text when it finds no credentials;
``KaggleApi().authenticate()`` then calls ``exit(1)``. Both are silenced here and turned into one
clear error (exit 2) that says how to set credentials. Keys and tokens are never printed.
"""

import contextlib
import io
import json
import logging
import os
import stat
import sys
from pathlib import Path

from fractaldream.errors import FractalDreamError, UsageError

#: Where the kaggle package (kagglesdk) reads a new-style token from, whatever the config folder is.
ACCESS_TOKEN_FILE = "~/.kaggle/access_token"

log = logging.getLogger(__name__)
_client = None


def client():
    """The authenticated Kaggle API of this process (made on first use), or the one :func:`using` set."""
    global _client
    if _client is None:
        _client = _authenticated_api()
    return _client


@contextlib.contextmanager
def using(api):
    """Make ``api`` the client inside the block: tests pass a fake object here."""
    global _client
    previous, _client = _client, api
    try:
        yield api
    finally:
        _client = previous


def config_file() -> Path:
    """Where the kaggle package looks for kaggle.json (its own rule, evaluated now, not at its import)."""
    configured = os.environ.get("KAGGLE_CONFIG_DIR")
    if configured:
        return Path(configured) / "kaggle.json"
    legacy = Path.home() / ".kaggle"
    if legacy.exists() or not sys.platform.startswith("linux"):
        return legacy / "kaggle.json"
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "kaggle" / "kaggle.json"


def redact(text) -> str:
    """``text`` with every known key or token replaced by ``***``."""
    text = str(text)
    for secret in _secrets():
        text = text.replace(secret, "***")
    return text


def _secrets() -> list[str]:
    values = [os.environ.get("KAGGLE_KEY"), os.environ.get("KAGGLE_API_TOKEN")]
    config_values = getattr(_client, "config_values", None)
    if isinstance(config_values, dict):
        values += [config_values.get("key"), config_values.get("token")]
    return [v for v in values if isinstance(v, str) and len(v) >= 4]


def _authenticated_api():
    path = config_file()
    _warn_if_readable_by_others(path)
    # Both the import (it authenticates a module-level client) and authenticate() print to stdout.
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            from kaggle.api.kaggle_api_extended import KaggleApi
        except ImportError as error:
            raise FractalDreamError(f"the kaggle package cannot be imported ({error}); pip install kaggle six") from None
        api = KaggleApi()
        api.config_dir, api.config = str(path.parent), str(path)
        try:
            api.authenticate()
        except SystemExit:
            why = _why_not_authenticated(path)
            raise UsageError(f"no usable Kaggle credentials ({why}); {how_to_authenticate(path)}") from None
        except Exception as error:  # a token that cannot be checked (offline, server error)
            raise UsageError(f"Kaggle credentials could not be verified ({redact(error)}); "
                             f"{how_to_authenticate(path)}") from None
    return api


def how_to_authenticate(config: Path) -> str:
    """The ways to give credentials, naming the kaggle.json that the kaggle package reads (see :func:`config_file`)."""
    return (f"create a token at https://www.kaggle.com/settings/api and either save the legacy kaggle.json as "
            f"{config} (chmod 600), or export KAGGLE_USERNAME and KAGGLE_KEY, or export KAGGLE_API_TOKEN "
            f"(or save the token to {ACCESS_TOKEN_FILE})")


def _warn_if_readable_by_others(path: Path) -> None:
    if os.name == "nt" or not path.is_file():
        return
    if path.stat().st_mode & (stat.S_IRGRP | stat.S_IROTH):
        # A warning of the library, not output: logging shows it on stderr unless the application routes it.
        log.warning("Warning: %s is readable by other users; protect your key with: chmod 600 %s", path, path)


def _why_not_authenticated(path: Path) -> str:
    """What was tried, in words (the kaggle package ignores a broken kaggle.json silently)."""
    token = "KAGGLE_API_TOKEN was not accepted; " if os.environ.get("KAGGLE_API_TOKEN") else ""
    if not path.exists():
        return f"{token}{path} does not exist and KAGGLE_USERNAME/KAGGLE_KEY are not both set"
    try:
        values = json.loads(path.read_text())
    except OSError as error:
        return f"{token}{path} cannot be read: {error.strerror}"
    except ValueError:
        return f"{token}{path} is not valid JSON"
    if not isinstance(values, dict) or not values.get("username") or not values.get("key"):
        return f'{token}{path} lacks "username" and "key"'
    return f"{token}{path} was not accepted"
