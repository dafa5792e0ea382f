"""Errors that reach the user as one line and an exit status, never as a traceback.

Library code raises these plain exceptions; the command-line layer (:mod:`fractaldream.commandline`)
prints them as ``Error: <message>`` and exits with ``exit_code``.
"""


class FractalDreamError(Exception):
    """A clear, one-line failure. Usage errors exit with 2, others with 1."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


class UsageError(FractalDreamError):
    """The user asked for something that cannot be done as asked: exit status 2."""

    def __init__(self, message: str):
        super().__init__(message, exit_code=2)


def describe_os_error(error: OSError) -> str:
    """An OSError in words: "No space left on device: /path" (no errno number, no traceback)."""
    reason = error.strerror or str(error)
    return f"{reason}: {error.filename}" if error.filename else reason
