"""The retrieval task's commands: `avtool evaluate retrieval` and `avtool retrieve index|query`."""

from avtool.tasks.retrieval.cli.evaluate import evaluate_retrieval
from avtool.tasks.retrieval.cli.retrieve import app as retrieve_app

# (group, name, function or Typer group): group None is top level, else `avtool GROUP NAME`.
COMMANDS = [("evaluate", "retrieval", evaluate_retrieval), (None, "retrieve", retrieve_app)]
