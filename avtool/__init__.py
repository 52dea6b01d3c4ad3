"""avtool: composable command-line toolkit for audio-visual video understanding research."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("avtool")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
