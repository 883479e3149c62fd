"""App settings (pydantic, JSON in the user's config folder): environment, pacing, timeouts, receipts.

Never the token (that is ``secrets.py``'s job). A damaged or hand-edited file never stops the app:
unreadable settings fall back to the defaults, and the reason is logged.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from desktop.core.paths import config_dir, private_file

logger = logging.getLogger(__name__)

FILE_NAME = "settings.json"


class AppConfig(BaseModel):
    model_config = ConfigDict(extra="ignore", validate_assignment=True)

    environment: str = "practice"  # production, sandbox, practice or an API base URL; Practice until the user picks one
    rate_limit: int = Field(default=100, ge=1, le=100_000)  # requests per rate_window (Register: 100 per 60 s)
    rate_window: float = Field(default=60.0, gt=0, le=3600)
    connect_timeout: float = Field(default=10.0, gt=0, le=300)
    read_timeout: float = Field(default=30.0, gt=0, le=600)
    #: after a lost answer or a crash mid-request, a trainee is looked up only once Register has had the read
    #: timeout plus this long since the request was sent (None: as long as the read timeout)
    settle_margin: float | None = Field(default=None, ge=0, le=3600)
    #: for a custom address: read the token from this environment variable (REGISTER_API_TOKEN is otherwise
    #: used for production and sandbox only)
    token_env: str | None = None
    account_name: str | None = None  # who is named on receipts (default: the computer's user name)
    receipt_format: Literal["csv", "xlsx"] = "csv"


def config_path() -> Path:
    return config_dir() / FILE_NAME


def load_config(path: Path | None = None) -> AppConfig:
    path = path or config_path()
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return AppConfig()
    except OSError as exc:
        logger.warning("Settings could not be read (%s); using the defaults", type(exc).__name__)
        return AppConfig()
    try:
        return AppConfig.model_validate(json.loads(text))
    except (ValueError, ValidationError) as exc:
        logger.warning("Settings file is damaged (%s); using the defaults", type(exc).__name__)
        return AppConfig()


def save_config(config: AppConfig, path: Path | None = None) -> Path:
    return private_file(path or config_path(), config.model_dump_json(indent=2))
