"""``UserFacingError`` for the validation floor (defined in ``desktop.base.errors``, the floor below).

``desktop.core.errors`` re-exports it too; import it from there in core and the front ends.
"""

from __future__ import annotations

from desktop.base.errors import UserFacingError

__all__ = ["UserFacingError"]
