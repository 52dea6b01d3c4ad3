"""Benchmark: `avtool transcribe`'s library path against faster-whisper's own
``WhisperModel.transcribe``, same model, same decoding, same threads, same files, one run.

20 espeak-ng sentences (4 voices, 130 to 170 words per minute, about 2 to 4 s each) are written
as 16 kHz wav files, then, alternately ``--repeat`` times:

* reference: ``WhisperModel(tiny.en dir, compute_type="int8", cpu_threads=T)``, then
  ``model.transcribe(path, beam_size=5, language="en", vad_filter=True)`` per file (faster-whisper
  decodes the file itself);
* avtool: ``avtool.tasks.transcribe.run.transcribe_jobs`` over the folder, as the CLI runs it
  (job planning, audio reading and checks, Whisper, per-item seeds); its model is loaded once
  before timing, as the reference's is.

Prints each side's real-time factor (wall seconds of processing per second of audio, the best
run) and CPU seconds (all threads; steadier than wall time on a shared machine), the speed
ratios reference/avtool (target >= 1.0: avtool no slower than the library), and both corpus
WERs against the scripts, which must be identical.

Run: .venv/bin/python tests/benchmarks/bench_transcribe.py [--threads N] [--repeat N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

SENTENCES = [
    "now i will cut the tomato", "take the banana and fold it", "this paper is really nice",
    "please pour the water into the bottle", "the weather is cold today",
    "add some salt then stir the soup", "i like to read books in the evening",
    "please open the window", "put the coin in the box", "knit a warm scarf for winter",
    "paint the fence with a brush", "the dough needs to rest for an hour",
    "slice the eggplant into thin rounds", "hang the chain on the hook",
    "the children are playing in the garden", "we will meet at the station at noon",
    "turn left at the next corner", "the coffee is too hot to drink",
    "wash your hands before dinner", "the train leaves in ten minutes",
]
VOICES = [("en", ""), ("en-us", ""), ("en-gb-x-rp", ""), ("en", "f2")]


def make_corpus(folder: Path) -> dict[str, str]:
    """Write the 20 wav files; returns {item id: script}."""
    from avtool.media.audio import write_wav
    from avtool.synth.speech import synthesize

    scripts = {}
    for k, text in enumerate(SENTENCES):
        voice, variant = VOICES[k % len(VOICES)]
        speech = synthesize(text, voice=voice, variant=variant, rate=130 + 10 * (k % 5))
        item = f"utt{k:02d}"
        write_wav(folder / f"{item}.wav", speech.audio, speech.sample_rate)
        scripts[item] = text
    return scripts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, help="CTranslate2 threads (default: all cores, "
                        "as avtool transcribe --workers 1 uses)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per side; best kept")
    args = parser.parse_args()

    from faster_whisper import WhisperModel

    from avtool.features.pipeline import plan_jobs
    from avtool.media.audio import audio_info
    from avtool.metrics.text import error_rates
    from avtool.tasks.transcribe import run
    from avtool.tasks.transcribe.whisper import WhisperTranscriber, whisper_model_dir

    threads = args.threads or run.cpu_cores()
    folder = Path(tempfile.mkdtemp(prefix="bench-transcribe-"))
    scripts = make_corpus(folder)
    files = sorted(folder.glob("*.wav"))
    seconds = sum(audio_info(f).duration for f in files)
    options = WhisperTranscriber("cpu", threads=threads).decode_options()  # loads avtool's model
    reference_model = WhisperModel(str(whisper_model_dir()), device="cpu", compute_type="int8",
                                   cpu_threads=threads, local_files_only=True)

    def reference() -> dict[str, str]:
        out = {}
        for f in files:
            segments, _ = reference_model.transcribe(str(f), **options)
            out[f.stem] = " ".join(s.text.strip() for s in segments if s.text.strip())
        return out

    def ours() -> dict[str, str]:
        report = run.transcribe_jobs(plan_jobs([folder]), device="cpu", threads=threads)
        assert not report.bad, report.bad
        return {t.id: t.text for t in report.transcripts}

    reference(), ours()  # warm up: imports, allocators, the VAD model
    best = {"faster-whisper": float("inf"), "avtool": float("inf")}
    cpu = dict(best)
    hyps = {}
    for _ in range(args.repeat):  # alternate, so background load hits both sides alike
        for name, fn in (("faster-whisper", reference), ("avtool", ours)):
            start, start_cpu = time.perf_counter(), time.process_time()
            hyps[name] = fn()
            best[name] = min(best[name], time.perf_counter() - start)
            cpu[name] = min(cpu[name], time.process_time() - start_cpu)

    print(f"{len(files)} files, {seconds:.1f} s of audio, Whisper tiny.en int8, beam 5, VAD, "
          f"{threads} CTranslate2 thread(s), best of {args.repeat}")
    rows = []
    for name in best:
        wer = error_rates(scripts, hyps[name]).wer
        rows.append((name, best[name], best[name] / seconds, wer))
        print(f"  {name:15s} wall {best[name]:7.2f} s  RTF {best[name] / seconds:.4f}   "
              f"CPU {cpu[name]:7.2f} s   WER {wer:.2f} %")
    ratio = best["faster-whisper"] / best["avtool"]
    print(f"  speed ratio faster-whisper / avtool: {ratio:.3f} wall, "
          f"{cpu['faster-whisper'] / cpu['avtool']:.3f} CPU time (target >= 1.0)")
    same = hyps["faster-whisper"] == hyps["avtool"]
    print(f"  identical transcripts: {same}; identical WER: {rows[0][3] == rows[1][3]}")
    if not same:
        for item in scripts:
            if hyps["faster-whisper"][item] != hyps["avtool"][item]:
                print(f"    {item}: {hyps['faster-whisper'][item]!r} vs {hyps['avtool'][item]!r}")


if __name__ == "__main__":
    main()
