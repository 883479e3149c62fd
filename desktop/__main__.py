"""``python -m desktop [FILE]`` and ``register-desktop-gui [FILE]``: the window, with FILE opened."""

from __future__ import annotations

import sys


def main() -> None:
    from desktop.ui.app import main as gui_main

    sys.exit(gui_main())


if __name__ == "__main__":
    main()
