"""Console entry of the frozen bundle: ``register-desktop`` (the window is ``RegisterDesktop``)."""

from desktop.cli import run

run()
