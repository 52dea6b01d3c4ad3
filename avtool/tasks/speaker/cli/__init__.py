"""The speaker task's commands (`avtool train speaker` is built from its Options)."""

from avtool.tasks.speaker.cli.evaluate import evaluate_speaker
from avtool.tasks.speaker.cli.verify import verify_speaker

# (group, name, function): group None is a top-level command, else `avtool GROUP NAME`.
COMMANDS = [(None, "verify-speaker", verify_speaker), ("evaluate", "speaker", evaluate_speaker)]
