"""Errors the library raises. The CLI turns each into one line on stderr and exit status 2."""


class AvtoolError(Exception):
    """Base class: the message names the file (or option) and the problem."""


class MediaError(AvtoolError):
    """A media file is missing, empty, truncated, corrupt or lacks the needed stream."""


class StoreError(AvtoolError):
    """A feature store is missing, malformed, locked by another writer or incompatible."""


class ConfigError(AvtoolError):
    """A configuration value or dictionary is invalid (unknown key, bad value)."""


class UnknownNameError(AvtoolError):
    """A registry lookup failed; the message lists the valid names."""


class FormatError(AvtoolError):
    """An input list or annotation file is malformed; the message names file and line."""


class ModelError(AvtoolError):
    """A model file is missing, incompatible or cannot be loaded."""


class OutputError(AvtoolError):
    """An output path cannot be written: a read-only folder, a folder where a file is expected
    (or the reverse), an unknown format suffix, or a result that exists and is not replaced."""


def first_line(err: BaseException) -> str:
    """The first line of an exception's message (or its type name): for one-line errors."""
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
