"""Errors of the annotation half. Each says what went wrong, with the value or file, and what to do."""


class MauqifError(Exception):
    """Base of every error mauqif raises on purpose; the CLI prints it as one `Error:` line."""


class SchemaError(MauqifError):
    """The schema file is missing, unreadable, or a key in it is wrong."""


class InputError(MauqifError):
    """An input file cannot be read as an article (not UTF-8, binary, empty, unreadable)."""

    def __init__(self, source: str, reason: str):
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class StudioError(MauqifError):
    """Label Studio cannot be reached, refuses the key, or refuses a request."""


def raise_input_error(error: InputError) -> None:
    """The default `on_skip` of the readers: a caller that gives no handler gets the error."""
    raise error
