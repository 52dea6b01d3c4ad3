"""The `avtool` entry point: one Typer app, one thin module per subcommand.

Errors raised by the library (`AvtoolError`) and by the operating system (`OSError`: a full
disk, a file that vanished) become one line on stderr and exit status 2; `--debug` (or
AVTOOL_DEBUG=1) re-raises them with the traceback instead. Usage errors (an unknown option, a
missing argument) are one line too, with the usage hint on a second line.
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


def one_line(text: str) -> str:
    return " ".join(line.strip() for line in str(text).splitlines() if line.strip())


class AvtoolGroup(TyperGroup):
    """Top-level group: one handler turns every error into a one-line message."""

    def invoke(self, ctx: click.Context):  # noqa: D401
        try:
            return super().invoke(ctx)
        except (AvtoolError, OSError) as err:
            if debug_enabled() or isinstance(err, BrokenPipeError):  # a closed pipe: Click's
                raise
            message = err if isinstance(err, AvtoolError) else _os_error(err)
            click.echo(f"avtool: error: {one_line(message)}", err=True)
            ctx.exit(2)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True,
             **extra):
        """Click's standalone main, except that a usage error is one line (plus the hint)."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except (typer.Abort, click.exceptions.Abort):
            click.echo("avtool: aborted", err=True)
            sys.exit(1)
        except Exception as err:
            if not _is_usage_error(err):
                raise
            sys.exit(_usage_error(err))
        sys.exit(code if isinstance(code, int) else 0)

    def list_commands(self, ctx: click.Context) -> list[str]:
        # Keep the order commands were added (pipeline order), not alphabetical.
        return list(self.commands)


def _os_error(err: OSError) -> str:
    where = f"{err.filename}: " if err.filename else ""
    return f"{where}{err.strerror or err}"


def _is_usage_error(err: Exception) -> bool:
    """Click's exceptions (Typer vendors its own copy of Click): a message and an exit code."""
    return callable(getattr(err, "format_message", None)) and isinstance(
        getattr(err, "exit_code", None), int)


def _usage_error(err) -> int:
    """Print a Click error as ``avtool: error: ...`` and ``Try '... --help' for help.``;
    a group given no command prints its help instead."""
    ctx = getattr(err, "ctx", None)
    if type(err).__name__ == "NoArgsIsHelpError" and ctx is not None:
        click.echo(ctx.get_help())
        return err.exit_code
    click.echo(f"avtool: error: {one_line(err.format_message())}", err=True)
    if ctx is not None:
        flag = max(ctx.help_option_names or ["--help"], key=len)
        click.echo(f"Try '{ctx.command_path} {flag}' for help.", err=True)
    return err.exit_code


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
