"""Typed errors for talking to Register, each with a title and a message saying what to do.

Shaped like openai-python's ``_exceptions.py``: ``ApiError`` → ``ApiConnectionError`` (no answer;
``maybe_sent`` says whether the request may have reached Register) and ``ApiStatusError`` (an
answer we cannot treat as a per-row outcome). Messages never contain the token or the request
body: only the method, the path and what Register said in its own words.
"""

from __future__ import annotations

from desktop.validation.errors import UserFacingError


class ApiError(UserFacingError):
    title = "Register could not be reached"


class InvalidEnvironmentError(ApiError):
    title = "That is not a Register address"


class MissingTokenError(ApiError):
    title = "A Register API token is needed"


class ApiConnectionError(ApiError):
    """No usable answer (connection refused, reset, timed out)."""

    title = "Cannot reach Register"

    def __init__(self, message: str, *, maybe_sent: bool) -> None:
        super().__init__(message)
        #: True when the request may have reached Register (a POST may have created a trainee)
        self.maybe_sent = maybe_sent


class ApiStatusError(ApiError):
    """Register answered with a status that is not a per-row outcome."""

    title = "Register refused the request"

    def __init__(self, message: str, *, status_code: int, request_id: str | None = None,
                 maybe_sent: bool = False) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.request_id = request_id
        self.maybe_sent = maybe_sent


class AuthenticationError(ApiStatusError):
    title = "Register did not accept the API token"


class ForbiddenError(ApiStatusError):
    title = "Register refused this computer"


class NotFoundError(ApiStatusError):
    title = "Register's API is not available there"


class RateLimitedError(ApiStatusError):
    title = "Register is asking us to slow down"


class ServerError(ApiStatusError):
    title = "Register had a problem"


class ApiResponseError(ApiStatusError):
    """An answer we cannot read (not JSON, or not the shape SPEC §7 describes)."""

    title = "Register's answer could not be read"
