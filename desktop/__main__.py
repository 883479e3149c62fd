"""``python -m desktop [FILE]`` and ``register-desktop-gui [FILE]``: the window, with FILE opened.

``--self-test`` (used by ``register-desktop self-test``) opens the window on the bundled sample
with throwaway settings, then closes it. In the frozen bundle on Linux and macOS one program
serves both front ends: started under the name ``register-desktop`` it is the command line.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main() -> None:
    if Path(sys.argv[0]).name in ("register-desktop", "register-desktop.exe"):
        from desktop.cli import run

        run()
    if sys.argv[1:2] == ["--self-test"]:
        from desktop.ui.selftest import run as self_test

        sys.exit(self_test())
    from desktop.ui.app import main as gui_main

    sys.exit(gui_main())


if __name__ == "__main__":
    main()
