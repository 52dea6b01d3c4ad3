import re
import subprocess
import sys
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from avtool import __version__
from avtool.cli.app import app

runner = CliRunner()
README = Path(__file__).resolve().parents[2] / "README.md"


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"avtool {__version__}"


def test_help_lists_commands_and_every_command_has_an_example():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0 and "extract-features" in result.stdout
    for command in app.registered_commands:
        text = runner.invoke(app, [command.name, "--help"]).stdout
        assert "Example" in text, command.name


def test_completion_is_available():
    # `--show-completion` finds the shell from the parent processes (shellingham), which a
    # detached run has none of; the script itself is what `_AVTOOL_COMPLETE=source_bash` prints.
    result = runner.invoke(app, [], env={"_AVTOOL_COMPLETE": "source_bash"}, prog_name="avtool")
    assert result.exit_code == 0 and "_AVTOOL_COMPLETE=complete_bash" in result.stdout
    assert "complete -o default -F _avtool_completion avtool" in result.stdout


def test_errors_are_one_line_unless_debug(tmp_path):
    missing = str(tmp_path / "nope.h5")
    result = runner.invoke(app, ["store", "info", missing])
    assert result.exit_code == 2
    assert result.stderr == f"avtool: error: {missing}: no such store\n"
    debug = subprocess.run([sys.executable, "-m", "avtool.cli.app", "--debug", "store", "info",
                            missing], capture_output=True, text=True)
    assert debug.returncode != 0 and "Traceback" in debug.stderr


def test_list_features():
    result = runner.invoke(app, ["list", "features", "--json"])
    names = [row["name"] for row in __import__("json").loads(result.stdout)]
    assert {"fbank", "spectrogram", "logmel", "mfcc", "vggish", "color", "motion",
            "frames"} <= set(names)


def test_readme_extractor_example_works():
    """The README's 'Adding a feature extractor' example runs as written."""
    text = README.read_text()
    section = text[text.index("### Adding a feature extractor"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    from avtool.features import extractors

    try:
        exec(compile(code, "README.md", "exec"), namespace)
        ex = namespace["MyFeatureExtractor"]()
        out = ex.compute(np.ones(16000, np.float32))
        assert out.shape == (100, 1) and ex.info().frame_rate == 100
    finally:
        extractors.unregister("my_feature")
