"""Bad command lines on every registered command, generated from what each parameter declares
(`avtool.cli.introspect`): unknown options, missing arguments, numbers outside their range or
not numbers at all, outputs that cannot be written, inputs of the wrong kind. Each is refused
while the command line is parsed: exit 2, one line naming the option, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from avtool.cli.introspect import all_parameters, leaf_commands, parameters

COMMANDS = leaf_commands()
PARAMS = all_parameters()


def _ids(path):
    return " ".join(path)


def _given(param, value) -> list:
    """The command line giving `value` to `param` (an argument takes it bare)."""
    return [*param.command, value] if param.argument else [*param.command, param.flag, value]


@pytest.mark.parametrize("path", list(COMMANDS), ids=_ids)
def test_help_runs_and_shows_an_example(check, path):
    result = check.run(*path, "--help")
    assert result.exit_code == 0, result.output
    assert "Example" in result.stdout


@pytest.mark.parametrize("path", list(COMMANDS), ids=_ids)
def test_unknown_option_is_one_line(check, path):
    result = check.run(*path, "--no-such-option", "1")
    check.assert_clean(result, 2, "--no-such-option")
    assert len(result.stderr.splitlines()) <= 2  # the error, and at most the usage hint


REQUIRED = [path for path, command in COMMANDS.items()
            if any(p.required for p in parameters(path, command))]


@pytest.mark.parametrize("path", REQUIRED, ids=_ids)
def test_missing_argument_is_one_line(check, path):
    result = check.run(*path)
    check.assert_clean(result, 2, "Missing")
    assert len(result.stderr.splitlines()) <= 2


def _bad_numbers(param) -> list[str]:
    """Values the option must refuse: not numbers, not finite, just outside its range."""
    number = param.number
    bad = ["nan", "inf", "-inf", "ten"]
    if number.kind is int:
        bad.append("1.5")
    valid = number.valid
    if valid.min is not None:
        bad.append(str(valid.min if valid.min_open else valid.min - 1))
    if valid.max is not None:
        bad.append(str(valid.max if valid.max_open else valid.max + 1))
    return bad


NUMBER_CASES = [(p, v) for p in PARAMS if p.number is not None for v in _bad_numbers(p)]


@pytest.mark.parametrize(("param", "value"), NUMBER_CASES,
                         ids=[f"{p} {v}" for p, v in NUMBER_CASES])
def test_number_out_of_range_is_refused(check, tmp_path, param, value):
    before = check.snapshot(tmp_path)
    result = check.run(*_given(param, value))
    check.assert_clean(result, 2, param.flag)
    assert check.snapshot(tmp_path) == before


def _output_cases(param, folder):
    """(name, path) outputs of the wrong kind or format for an output parameter."""
    output = param.output
    if output.kind == "dir":
        yield "an existing file", folder / "existing.txt"
    else:
        yield "an existing folder", folder / "a_folder"
        yield "below a file", folder / "existing.txt" / "out.tsv"
    if output.suffixes:
        yield "an unknown format", folder / "out.xyz"


OUTPUTS = [p for p in PARAMS if p.output is not None]
WRONG_KIND = [(p, name) for p in OUTPUTS for name, _ in _output_cases(p, Path("."))]


@pytest.mark.parametrize(("param", "case"), WRONG_KIND, ids=[f"{p} {c}" for p, c in WRONG_KIND])
def test_output_of_the_wrong_kind_is_refused(check, tmp_path, param, case):
    (tmp_path / "existing.txt").write_text("kept\n")
    (tmp_path / "a_folder").mkdir()
    target = dict(_output_cases(param, tmp_path))[case]
    before = check.snapshot(tmp_path)
    result = check.run(*_given(param, target))
    check.assert_clean(result, 2, param.flag)
    assert check.snapshot(tmp_path) == before


@pytest.mark.parametrize("param", OUTPUTS, ids=str)
def test_output_in_a_read_only_folder_is_refused(check, readonly_dir, param):
    suffix = param.output.suffixes[0] if param.output.suffixes else ".out"
    target = readonly_dir / ("run" if param.output.kind == "dir" else f"new{suffix}")
    before = check.snapshot(readonly_dir)
    result = check.run(*_given(param, target))
    check.assert_clean(result, 2, param.flag)
    assert "not writable" in result.stderr
    assert check.snapshot(readonly_dir) == before


INPUTS = [p for p in PARAMS if p.input is not None and p.input.kind != "any"]


@pytest.mark.parametrize("param", INPUTS, ids=str)
def test_input_of_the_wrong_kind_is_refused(check, tmp_path, param):
    (tmp_path / "a_folder").mkdir()
    (tmp_path / "a_file.txt").write_text("x\n")
    target = tmp_path / ("a_folder" if param.input.kind == "file" else "a_file.txt")
    before = check.snapshot(tmp_path)
    result = check.run(*_given(param, target))
    check.assert_clean(result, 2, param.flag)
    assert check.snapshot(tmp_path) == before
