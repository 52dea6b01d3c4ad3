"""Property: every text-format parser, given any file at all, returns or raises the project's
own error (`AvtoolError`, naming the file), never anything else.

The parsers are found, not listed: every ``read_*`` / ``load_*`` function of the
`avtool.formats` modules whose inputs are file paths, plus the extraction manifest reader, so
a new format module is covered as it lands."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import avtool.formats
from avtool.errors import AvtoolError
from avtool.features.pipeline import read_manifest

PATH_PARAMS = {"path", "hyp", "ref"}


def _parsers():
    found = {"avtool.features.pipeline.read_manifest": read_manifest}
    for info in pkgutil.iter_modules(avtool.formats.__path__):
        module = importlib.import_module(f"avtool.formats.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ != module.__name__ or not name.startswith(("read_", "load_")):
                continue
            required = [p.name for p in inspect.signature(fn).parameters.values()
                        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY,
                                                                p.POSITIONAL_OR_KEYWORD)]
            if required and set(required) <= PATH_PARAMS:
                found[f"{module.__name__}.{name}"] = fn
    return found


PARSERS = _parsers()

# Pieces of every format avtool reads, so random lines often look almost right.
TOKENS = ["1", "0", "2", "-1", "0.5", "nan", "inf", "-inf", "1e400", "10", "3.5", "",
          "a/b/00001.wav", "id10001/x/00001.wav", "KSRjje7GH44_60_70", "-0A9suni5YA_0_10",
          "Speech", "Dog", "Speech,Dog", "filename", "event_labels", "onset", "offset",
          "query_id", "video_id", "caption_id", "start", "end", "rank", "id", "path", "text",
          "label", "split", "utt1", "v1", "##", "a person opens a door", '"', "'", "\ufeff",
          "{", "}", "[", "]", ":", "\x00", "é", "日本"]
SEPARATORS = [" ", "\t", ",", "  ", ";", "##"]

line = st.lists(st.sampled_from(TOKENS), max_size=8).flatmap(
    lambda parts: st.sampled_from(SEPARATORS).map(lambda sep: sep.join(parts)))
lines = st.lists(st.one_of(line, st.text(max_size=40)), max_size=12).map("\n".join)
json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.sampled_from(TOKENS),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["id", "path", "duration", "timestamps", "sentences", "dialog",
                         "image_id", "caption", "answer", "question", "annotations",
                         "dialogs", "v1", "start", "end"]), inner, max_size=5),
    max_leaves=20).map(lambda v: json.dumps(v, allow_nan=True))
contents = st.one_of(lines.map(str.encode), json_value.map(str.encode),
                     st.binary(max_size=200))
suffixes = st.sampled_from([".txt", ".csv", ".tsv", ".json", ".jsonl"])


@pytest.mark.parametrize("name", list(PARSERS))
@settings(max_examples=120, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=contents, suffix=suffixes)
def test_parser_raises_only_avtool_errors(name, data, suffix):
    parser = PARSERS[name]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(data)
        required = [p for p in inspect.signature(parser).parameters.values()
                    if p.default is p.empty and p.name in PATH_PARAMS]
        try:
            parser(*[path] * len(required))
        except AvtoolError as err:
            assert str(err).strip(), "an error with an empty message"
            assert "\n" not in str(err).strip(), "an error message of several lines"


def test_the_parsers_are_found():
    assert {"avtool.formats.voxceleb.read_trials", "avtool.formats.llp.read_llp_weak",
            "avtool.formats.charades_sta.read_charades_sta",
            "avtool.features.pipeline.read_manifest"} <= set(PARSERS)
