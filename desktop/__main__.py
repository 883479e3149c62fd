"""``python -m desktop [FILE]``: the window (the desktop issue builds it; until then, the command line)."""

from __future__ import annotations

import sys


def main() -> None:
    from desktop.cli import main as cli_main

    args = sys.argv[1:]
    sys.exit(cli_main(["check", *args]) if args else cli_main(["--help"]))


if __name__ == "__main__":
    main()
