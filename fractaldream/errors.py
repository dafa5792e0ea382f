"""Errors that reach the user as one line and an exit status, never as a traceback."""

import sys

import click


class FractalDreamError(click.ClickException):
    """A clear, one-line failure. Usage errors exit with 2, others with 1."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


class UsageError(FractalDreamError):
    def __init__(self, message: str):
        super().__init__(message, exit_code=2)


class OneLineErrorGroup(click.Group):
    """A click group whose usage errors print one line (``Error: ...``) and exit 2."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Exit as exit_:
            sys.exit(exit_.exit_code)
        except click.UsageError as error:
            click.echo(f"Error: {_flatten(error.format_message())}", err=True)
            sys.exit(2)
        except click.ClickException as error:
            click.echo(f"Error: {_flatten(error.format_message())}", err=True)
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(130)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)


def _flatten(message: str) -> str:
    return " ".join(message.split())
