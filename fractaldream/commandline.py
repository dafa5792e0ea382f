"""The command-line layer shared by ``fractaldream`` and ``gans``.

- :class:`OneLineErrorGroup`: every failure the user can cause ends as one line and an exit status.
- :class:`LazyGroup`: sub-commands named by ``"module:attribute"``, imported only when used or listed,
  so ``--help`` does not pay for torch, numba or datashader.
- :func:`settings_options` and :func:`command_line`: the click options of a settings dataclass, and the
  command line that reproduces a settings object, both generated from the dataclass's fields (a field's
  default and help live with it, as ``setting(default, "help")``).
"""

from __future__ import annotations

import dataclasses
import importlib
import shlex
import sys
import types
import typing

import click

from fractaldream.errors import FractalDreamError, describe_os_error


def flatten(message: str) -> str:
    return " ".join(str(message).split())


class OneLineErrorGroup(click.Group):
    """A click group whose errors print one line (``Error: ...``): usage errors exit 2, others their own code."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Exit as exit_:
            sys.exit(exit_.exit_code)
        except click.UsageError as error:
            fail(error.format_message(), 2)
        except click.ClickException as error:
            fail(error.format_message(), error.exit_code)
        except FractalDreamError as error:
            fail(str(error), error.exit_code)
        except OSError as error:  # a full disk, read-only media, a vanished file: the system's words, one line
            fail(describe_os_error(error), 1)
        except click.Abort:
            fail("Aborted.", 130, prefix="")
        except KeyboardInterrupt:
            fail("Interrupted.", 130, prefix="")


def fail(message: str, exit_code: int, prefix: str = "Error: ") -> typing.NoReturn:
    click.echo(f"{prefix}{flatten(message)}", err=True)
    sys.exit(exit_code)


class LazyGroup(OneLineErrorGroup):
    """A group whose sub-commands are ``{"name": "module:attribute"}``, imported when first needed."""

    def __init__(self, *args, lazy_commands: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx):
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx, name):
        if name in self.lazy_commands and name not in self.commands:
            module, attribute = self.lazy_commands[name].split(":")
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return super().get_command(ctx, name)


# -- settings dataclasses <-> command lines -----------------------------------------------------
def setting(default, help: str = "", *, choices=None, flag: bool = True):
    """A settings field with its default, its help and (optionally) its choices; ``flag=False``: no option."""
    metadata = {"help": help, "choices": choices, "flag": flag}
    if isinstance(default, (list, dict, set)):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def flag_name(name: str) -> str:
    return "--" + name.replace("_", "-")


def _kind(hint) -> tuple[type, str]:
    """(element type, shape) of a field's type: shape is "one", "pair" (nargs 2) or "list" (comma-separated)."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        hint = args[0]
        args = list(typing.get_args(hint))
    if typing.get_origin(hint) is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return args[0], "list"
        return args[0], "pair"
    return hint, "one"


def _split_list(ctx, param, value):
    if value is None or isinstance(value, tuple):
        return value
    return tuple(item.strip() for item in value.split(",") if item.strip())


def settings_options(cls, only=None, exclude=()):
    """A decorator adding one click option per field of the settings dataclass ``cls`` (``lr_g`` -> ``--lr-g``).

    Booleans become ``--x/--no-x``, pairs take two values, ``tuple[str, ...]`` a comma-separated list;
    a field's metadata (see :func:`setting`) gives the help and the choices.
    """
    hints = typing.get_type_hints(cls)

    def decorate(command):
        for field in reversed(dataclasses.fields(cls)):
            if field.name in exclude or (only is not None and field.name not in only):
                continue
            if not field.metadata.get("flag", True):
                continue
            command = _option(field, hints[field.name])(command)
        return command

    return decorate


def _option(field, hint):
    flag = flag_name(field.name)
    default = field.default if field.default is not dataclasses.MISSING else field.default_factory()
    help_ = field.metadata.get("help") or None
    choices = field.metadata.get("choices")
    kind, shape = _kind(hint)
    show = default is not None
    if kind is bool:
        return click.option(f"{flag}/--no-{flag[2:]}", field.name, default=default, show_default=True, help=help_)
    if shape == "pair":
        return click.option(flag, field.name, type=kind, nargs=2, default=default, show_default=show, help=help_)
    if shape == "list":
        shown = ",".join(map(str, default)) if default else None
        return click.option(flag, field.name, default=shown, show_default=show, callback=_split_list,
                            help=(help_ or "") + (f" Comma-separated, from: {', '.join(choices)}." if choices else ""))
    if choices and kind is not str:  # click compares choices as text: convert back to the field's type
        return click.option(flag, field.name, type=click.Choice([str(c) for c in choices]), default=default,
                            show_default=show, help=help_, callback=lambda ctx, param, value: _typed(kind, value))
    type_ = click.Choice(list(choices)) if choices else kind
    return click.option(flag, field.name, type=type_, default=default, show_default=show, help=help_)


def _typed(kind, value):
    return None if value is None else kind(value)


def command_line(prog: str, settings, arguments=(), always=()) -> str:
    """The command ``prog ARGUMENTS --flag value ...`` that gives back ``settings``: the flags of the fields
    that differ from the class defaults, and of the fields named in ``always``."""
    defaults = type(settings)()
    hints = typing.get_type_hints(type(settings))
    parts = [prog, *map(shlex.quote, map(str, arguments))]
    for field in dataclasses.fields(settings):
        value = getattr(settings, field.name)
        if not field.metadata.get("flag", True) or value is None:
            continue
        if value == getattr(defaults, field.name) and field.name not in always:
            continue
        kind, shape = _kind(hints[field.name])
        flag = flag_name(field.name)
        if kind is bool:
            parts.append(flag if value else f"--no-{flag[2:]}")
        elif shape == "pair":
            parts += [flag, *(shlex.quote(repr(v) if isinstance(v, float) else str(v)) for v in value)]
        elif shape == "list":
            parts += [flag, shlex.quote(",".join(map(str, value)))]
        else:
            parts += [flag, shlex.quote(repr(value) if isinstance(value, float) else str(value))]
    return " ".join(parts)
