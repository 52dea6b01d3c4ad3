"""Bad lists, manifests and annotation files through every command that reads them.

Each command has one valid invocation here (BASE); every input file it declares
(`avtool.cli.options.input_path`) is then replaced, in turn, by each bad text file of
`avtool.testing.hostile`, so a new input option of these commands is covered as it lands.
Each case: exit 2, one line naming the bad file, the output folder as it was."""

from __future__ import annotations

import pytest

from avtool.cli.introspect import leaf_commands, parameters
from avtool.testing.hostile import BAD_MANIFESTS, BAD_TEXTS


def _speaker(ws, out):
    trials, scores = ws.speaker_lists
    return ["--scores", scores, "--trials", trials, "--append", out / "results.tsv"]


def _avvp(ws, out):
    d = ws.avvp
    return ["--clips", d / "AVVP_test_pd.csv", "--gt-audio", d / "AVVP_eval_audio.csv",
            "--gt-visual", d / "AVVP_eval_visual.csv", "--pred-audio", d / "AVVP_eval_audio.csv",
            "--pred-visual", d / "AVVP_eval_visual.csv", "--allow-extra",
            "--append", out / "results.tsv"]


def _grounding(ws, out):
    gt, pred = ws.grounding
    return ["--pred", pred, "--gt", gt, "--per-video", out / "videos.tsv"]


def _retrieval(ws, out):
    sim, queries, videos, gt = ws.retrieval
    return ["--sim", sim, "--query-ids", queries, "--video-ids", videos, "--gt", gt]


def _captioning(ws, out):
    hyp, ref = ws.captions
    return ["--hyp", hyp, "--ref", ref, "--no-meteor"]


def _verify(ws, out):
    trials, _ = ws.speaker_lists
    return ["--trials", trials, "--audio-root", ws.speaker_audio, "--out", out / "scores.txt",
            "--no-trim-silence"]


def _import_llp(ws, out):
    features, train = ws.llp_import
    return ["--features", features, "--csv", train, "--out", out / "llp.h5"]


def _import_ce(ws, out):
    root = ws.ce_release
    return ["--root", root, "--file", root / "aggregated_speech" / "speech-w2v.pickle",
            "--split-list", root / "train_list_jsfusion.txt", "--out", out / "ce.h5"]


def _parse_events(ws, out):
    d = ws.avvp
    return [d / "store.h5", "--model", d / "run", "--clips", d / "AVVP_test_pd.csv",
            "--out", out / "events.tsv", "--plot", out / "timeline.png",
            "--gt-audio", d / "AVVP_eval_audio.csv", "--gt-visual", d / "AVVP_eval_visual.csv"]


BASE = {
    ("evaluate", "speaker"): _speaker,
    ("evaluate", "avvp"): _avvp,
    ("evaluate", "grounding"): _grounding,
    ("evaluate", "retrieval"): _retrieval,
    ("evaluate", "captioning"): _captioning,
    ("verify-speaker",): _verify,
    ("import", "llp"): _import_llp,
    ("import", "ce-features"): _import_ce,
    ("parse-events",): _parse_events,
}

COMMANDS = leaf_commands()
TEXT_INPUTS = [p for path in BASE for p in parameters(path, COMMANDS[path])
               if p.input is not None and p.input.kind == "file" and not p.argument]
CASES = [(p, bad) for p in TEXT_INPUTS for bad in BAD_TEXTS]


@pytest.mark.parametrize("command", list(BASE), ids=" ".join)
def test_base_invocation_is_valid(check, ws, tmp_path, command):
    """The invocations the bad files are swapped into work as they are."""
    result = check.run(*command, *BASE[command](ws, tmp_path))
    check.assert_clean(result, 0)


def _swap(argv: list, flag: str, value) -> list:
    """`argv` with `flag`'s value replaced (or the option added)."""
    if flag not in argv:
        return [*argv, flag, value]
    i = argv.index(flag)
    return [*argv[:i + 1], value, *argv[i + 2:]]


@pytest.mark.parametrize(("param", "bad"), CASES, ids=[f"{p} {b}" for p, b in CASES])
def test_bad_text_input_is_one_line_naming_it(check, ws, tmp_path, param, bad):
    argv = _swap(BASE[param.command](ws, tmp_path), param.flag, ws.texts[bad])
    before = check.snapshot(tmp_path)
    result = check.run(*param.command, *argv)
    check.assert_clean(result, 2, ws.texts[bad])
    assert check.snapshot(tmp_path) == before


@pytest.mark.parametrize("name", BAD_MANIFESTS)
def test_bad_manifest_is_one_line_naming_it(check, ws, tmp_path, name):
    manifest = ws.manifests[name]
    before = check.snapshot(tmp_path)
    result = check.run("extract-features", "--manifest", manifest, "--out", tmp_path / "s.h5",
                       "--feature", "fbank")
    check.assert_clean(result, 2, manifest)
    assert check.snapshot(tmp_path) == before


def test_duplicate_manifest_id_names_both_lines(check, ws, tmp_path):
    manifest = ws.manifests["manifest_duplicate_id.csv"]
    result = check.run("extract-features", "--manifest", manifest, "--out", tmp_path / "s.h5",
                       "--feature", "fbank")
    assert f"{manifest}:4: item id 'a' repeats line 2" in result.stderr


def test_parse_events_clips_missing_from_the_store_names_the_clips_file(check, ws, tmp_path):
    clips = tmp_path / "clips.csv"
    clips.write_text("filename\tevent_labels\nAAAAAAAAAAA_0_10\tSpeech\n")
    result = check.run("parse-events", ws.avvp / "store.h5", "--model", ws.avvp / "run",
                       "--clips", clips)
    check.assert_clean(result, 2, clips)
    assert "AAAAAAAAAAA_0_10" in result.stderr
