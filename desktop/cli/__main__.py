"""``python -m desktop.cli``: the command line."""

from desktop.cli import run

run()
