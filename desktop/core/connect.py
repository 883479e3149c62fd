"""Reaching Register: a client paced and timed as the settings say, and Practice (the local Register).

Which token goes where is decided by ``CredentialStore.get`` (``desktop.core.secrets``):
``REGISTER_API_TOKEN`` belongs to Production and Sandbox; a custom address gets it only when told
explicitly (``--token-env`` or the ``token_env`` setting), otherwise its own token from the keychain
— so a token meant for Register is never sent to whatever address was typed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from desktop.api.client import RegisterClient, RetryPolicy
from desktop.api.environments import PRACTICE, Environment
from desktop.api.ratelimit import RateLimiter
from desktop.core.config import AppConfig
from desktop.core.paths import data_dir


def make_client(environment: Environment, token: str | None, config: AppConfig | None = None, *,
                transport: Any = None, rate_limit: int | None = None, rate_window: float | None = None,
                retry: RetryPolicy | None = None) -> RegisterClient:
    """A client paced and timed as the settings say."""
    import httpx

    from desktop.core.logs import register_secret

    register_secret(token)  # whatever else happens, this text never reaches a log
    config = config or AppConfig()
    limiter = RateLimiter(rate_limit or config.rate_limit, rate_window or config.rate_window)
    timeout = httpx.Timeout(config.read_timeout, connect=config.connect_timeout)
    return RegisterClient(environment, token, transport=transport, limiter=limiter, timeout=timeout, retry=retry)


def practice_state_file() -> Path:
    return data_dir() / "practice" / "register-state.json"


#: seconds until the practice Register grants a created trainee its TRN (so a rehearsal reaches recommend)
PRACTICE_TRN_AFTER = 5.0


def start_practice(*, state_file: Path | None = None, rate_limit: int = 100, window: float = 60.0,
                   faults: Any = None, today: dt.date | None = None,
                   trn_after: float | None = PRACTICE_TRN_AFTER) -> tuple[Any, Environment]:
    """Start the local Register in this process (Practice): returns the running simulator and its environment.

    Its trainees persist in the data folder, so a practice upload can be resumed like a real one.
    Stop it with ``simulator.stop()``.
    """
    from desktop.api.simulator import RegisterSimulator

    sim = RegisterSimulator(state_file=state_file or practice_state_file(), rate_limit=rate_limit, window=window,
                            faults=faults, today=today, trn_after=trn_after)
    base = sim.start()
    return sim, PRACTICE.with_base_url(base)
