# avtool: `make demo` and `make test` do all the set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
AVTOOL := $(VENV)/bin/avtool
# torchaudio pins an exact torch release: install the matching pair explicitly so pip never
# backtracks through several-GB CUDA wheels.
TORCH_PAIR := torch==2.11.0 torchaudio==2.11.0
DEMO_DIR ?= build/demo

.PHONY: setup demo test bench lint clean table-voxceleb table-voxceleb-best table-avvp table-curate table-avsd \
	table-avatar table-mmt asd-model expert-nets table-malta

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(TORCH_PAIR)
	$(PY) -m pip install -q -e '.[test]' $(TORCH_PAIR)
	touch $@

demo: setup
	@echo "== Is it the same speaker? (GE2E default model, no model file needed)"
	$(AVTOOL) verify-speaker examples/speaker/same_a.wav examples/speaker/same_b.wav
	$(AVTOOL) verify-speaker examples/speaker/same_a.wav examples/speaker/other.wav
	@echo "== Synthetic media -> features -> store"
	@mkdir -p $(DEMO_DIR)
	$(AVTOOL) synth media --out $(DEMO_DIR)/media --seed 0
	$(AVTOOL) extract-features $(DEMO_DIR)/media --out $(DEMO_DIR)/features.h5 \
	    --feature fbank --feature spectrogram
	$(AVTOOL) store info $(DEMO_DIR)/features.h5

test: setup
	$(PY) -m pytest -q tests

bench: setup
	@set -e; for b in tests/benchmarks/bench_*.py; do \
	    echo "== $$b"; $(PY) $$b; done

# Paper tables on synthetic data (CPU, < 20 min each); the paper's numbers print beside ours.
table-voxceleb: setup
	$(PY) -m avtool.tasks.speaker.table --workdir build/table-voxceleb

# Not a paper table: avtool's best speaker-training recipe vs the GE2E default (about 1 h).
table-voxceleb-best: setup
	$(PY) -m avtool.tasks.speaker.table_best --workdir build/table-voxceleb-best

table-avvp: setup
	$(PY) -m avtool.tasks.avvp.table --workdir build/table-avvp

table-avsd: setup
	$(PY) -m avtool.tasks.dialog.table --workdir build/table-avsd

table-curate: setup
	$(PY) -m avtool.tasks.curate.table --workdir build/table-curate

# The active speaker network shipped as avtool/tasks/active_speaker/syncnet.pt (README,
# "Curating a speaker dataset"): talking-heads corpora of seeds 10-12 (the table uses 1 and
# 2), their in-sync face tracks, `train active-speaker`, and the slim checkpoint.
ASD_DIR ?= build/asd
asd-model: setup
	set -e; for s in 10 11 12; do $(AVTOOL) synth talking-heads --out $(ASD_DIR)/th-$$s \
	    --pois 3 --shot-seconds 6 --no-bad-video --seed $$s --workers 1; done
	$(PY) -m avtool.tasks.active_speaker.tracks --corpus $(ASD_DIR)/th-10 \
	    --corpus $(ASD_DIR)/th-11 --corpus $(ASD_DIR)/th-12 --store $(ASD_DIR)/tracks.h5
	$(AVTOOL) train active-speaker --store $(ASD_DIR)/tracks.h5 --out $(ASD_DIR)/run \
	    --epochs 6 --seed 0 --device cpu --overwrite
	$(PY) -m avtool.tasks.active_speaker.ship $(ASD_DIR)/run

table-avatar: setup
	$(PY) -m avtool.tasks.transcribe.table --workdir build/table-avatar

table-mmt: setup
	$(PY) -m avtool.tasks.retrieval.table --workdir build/table-mmt

# The audio, appearance and motion networks shipped as avtool/features/weights/*.pt (README,
# "Text-video retrieval"): trained on labelled synthetic examples, one thread, deterministic.
expert-nets: setup
	$(PY) -m avtool.tasks.retrieval.expert_training --out avtool/features/weights

table-malta: setup
	$(PY) -m avtool.tasks.grounding.table --workdir build/table-malta

lint: setup
	$(VENV)/bin/ruff check avtool tests

clean:
	rm -rf build .pytest_cache
