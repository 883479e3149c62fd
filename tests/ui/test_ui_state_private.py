"""Window settings name the user's recent files: the file is user-only."""

import os
import stat
import sys

import pytest

from desktop.ui.ui_state import UiState


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_window_settings_file_is_user_only(tmp_path):
    state = UiState(tmp_path / "config" / "window.ini")
    state.add_recent(tmp_path / "trainees.xlsx")
    state.sync()
    mode = stat.S_IMODE(os.stat(tmp_path / "config" / "window.ini").st_mode)
    assert mode == 0o600, oct(mode)
