"""The `avtool` entry point: one Typer app, one thin module per subcommand.

Errors raised by the library (`AvtoolError`) become one line on stderr and exit status 2;
`--debug` (or AVTOOL_DEBUG=1) re-raises them with the traceback instead.
"""

from __future__ import annotations

import logging
import os
import sys

import click
import typer
from typer.core import TyperGroup

from avtool import __version__
from avtool.errors import AvtoolError

log = logging.getLogger("avtool")


def debug_enabled() -> bool:
    return os.environ.get("AVTOOL_DEBUG", "") not in ("", "0")


class AvtoolGroup(TyperGroup):
    """Top-level group: one handler turns library errors into a one-line message."""

    def invoke(self, ctx: click.Context):  # noqa: D401
        try:
            return super().invoke(ctx)
        except AvtoolError as err:
            if debug_enabled():
                raise
            click.echo(f"avtool: error: {err}", err=True)
            ctx.exit(2)

    def list_commands(self, ctx: click.Context) -> list[str]:
        # Keep the order commands were added (pipeline order), not alphabetical.
        return list(self.commands)


app = typer.Typer(
    cls=AvtoolGroup,
    name="avtool",
    help="Composable audio-visual research toolkit. Stages hand each other HDF5 feature stores.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"avtool {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details to stderr."),
) -> None:
    """Composable audio-visual research toolkit."""
    if debug:
        os.environ["AVTOOL_DEBUG"] = "1"
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _register() -> None:
    # Each import adds one subcommand (or group); heavy libraries load inside command bodies.
    from avtool.cli import commands

    commands.register(app)


_register()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
