"""The AVVP task's commands (`avtool train avvp|avvp-pretrain` are built from their Options)."""

from avtool.tasks.avvp.cli.evaluate import evaluate_avvp
from avtool.tasks.avvp.cli.parse_events import parse_events

# (group, name, function): group None is a top-level command, else `avtool GROUP NAME`.
COMMANDS = [(None, "parse-events", parse_events), ("evaluate", "avvp", evaluate_avvp)]
