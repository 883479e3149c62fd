"""The one way the app writes a file: into the user's folders without changing them, into its own user-only.

Every file the app writes goes through ``write_file`` (bytes or text at once) or ``open_output``
(written as it is produced). The rules, the same for every writer (README "Files the app writes"):

* **The app's own files** (settings, profiles, autosave, receipts, logs, the practice Register's
  store: ``private=True``) are created user-only (0600), and a folder the app creates for them is
  user-only (0700).
* **A file the user saves elsewhere** (export, error report, ``check --out``, ``template --out``,
  ``map --out``, a receipt with ``--receipt``, the window's reports) is created with the folder's
  normal permissions: the mode the user's umask gives (0666 minus umask) and whatever the folder's
  default ACL or setgid bit adds. A folder the app creates on the way gets the umask's mode too.
* **The app never changes the mode of a folder it did not create, nor of an existing target**:
  a file that is replaced keeps its permission bits (and its owner and group where the system
  allows it).
* **Atomic, and nothing left behind**: the data goes to a temporary file created exclusively
  (``O_CREAT | O_EXCL | O_NOFOLLOW``) under an unpredictable name (``.NAME.<random>.tmp``) in the
  target's folder, is flushed to disk (``fsync``), then replaces the target in one rename. No
  name the app writes to can be guessed in advance, so a link planted at a temporary name is never
  written through. On any failure (a full disk, a folder that is not writable, an interrupt) the
  temporary file is removed and the target is exactly as it was.
* **A target that is a symbolic link is refused** with one line: the app neither writes through
  a link (it could point at someone else's file) nor replaces it (it may be the user's own link).
* **Special files are written straight, never replaced or chmod-ed**: a character device such as
  ``/dev/null``, a FIFO, and the process's own streams ``/dev/stdout``, ``/dev/stderr`` and
  ``/dev/fd/N``. Block devices and sockets are refused with one line.
* A folder, an empty name, a missing permission: one line (``WriteError``), never a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import secrets
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from desktop.base.errors import UserFacingError

PRIVATE_FILE_MODE = 0o600
PRIVATE_FOLDER_MODE = 0o700
_SHARED_FILE_MODE = 0o666  # minus the umask, plus what the folder's default ACL says
_STREAMS = {"/dev/stdout": 1, "/dev/stderr": 2}
_FD_PATH = re.compile(r"^/(?:dev/fd|proc/self/fd)/(\d+)$")
_NAME_ROOM = 120  # characters of the target's name kept in a temporary name (names are at most 255 bytes)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation


class WriteError(UserFacingError, OSError):
    """One line saying which file and why; an ``OSError`` too, so handlers of write failures still catch it."""

    title = "The file cannot be written"


@dataclass(frozen=True)
class _Target:
    path: Path
    kind: str  # "new" | "file" | "special" | "stream"
    mode: int | None = None  # an existing file's permission bits
    owner: tuple[int, int] | None = None  # an existing file's (uid, gid)
    fd: int | None = None  # a stream's file descriptor


def _describe(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno == errno.EDQUOT:
        return "your disk quota is used up"
    if exc.errno == errno.EFBIG:
        return "the file is larger than this system allows here"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied (choose a folder you can write to)"
    if exc.errno == errno.EROFS:
        return "the disk is read-only"
    if exc.errno == errno.ENOTDIR:
        return "part of the path is a file, not a folder"
    if exc.errno == errno.ENAMETOOLONG:
        return "the name is too long"
    return (exc.strerror or str(exc)).rstrip(".").lower() if exc.strerror else str(exc)


def _fail(path: str | Path, reason: str) -> WriteError:
    return WriteError(f"Cannot write {path}: {reason}.")


def _classify(path: str | Path) -> _Target:
    if isinstance(path, str) and not path.strip():
        raise WriteError("No file name was given to write to.")
    text = os.fspath(path)
    if text in _STREAMS:
        return _Target(Path(text), "stream", fd=_STREAMS[text])
    m = _FD_PATH.match(text)
    if m:
        return _Target(Path(text), "stream", fd=int(m.group(1)))
    p = Path(text)
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        return _Target(p, "new")
    except OSError as exc:
        raise _fail(p, _describe(exc)) from None
    if stat.S_ISLNK(st.st_mode):
        try:
            where = f" (to {os.readlink(p)})"
        except OSError:
            where = ""
        raise WriteError(f"Cannot write {p}: it is a symbolic link{where}. The app neither writes through a link nor "
                         "replaces it: choose the file it points to, or another name.")
    if stat.S_ISDIR(st.st_mode):
        raise WriteError(f"Cannot write {p}: it is a folder. Give a file name inside it.")
    if stat.S_ISREG(st.st_mode):
        return _Target(p, "file", mode=stat.S_IMODE(st.st_mode) & 0o777, owner=(st.st_uid, st.st_gid))
    if stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode):
        return _Target(p, "special")
    raise WriteError(f"Cannot write {p}: it is a device or a socket, not a file.")


def make_folder(folder: Path, *, private: bool) -> Path:
    """Create ``folder`` and any missing parents; only the folders created here get a mode set.

    ``private``: each created folder is user-only (0700, whatever the umask). Otherwise created
    folders get the umask's mode. A folder that already exists is never changed.
    """
    missing: list[Path] = []
    probe = folder
    while True:
        try:
            st = os.stat(probe)
        except FileNotFoundError:
            missing.append(probe)
            if probe.parent == probe:
                break
            probe = probe.parent
            continue
        except OSError as exc:
            raise _fail(folder, _describe(exc)) from None
        if not stat.S_ISDIR(st.st_mode):
            raise _fail(folder, f"{probe} is a file, not a folder")
        break
    for p in reversed(missing):
        try:
            os.mkdir(p, PRIVATE_FOLDER_MODE if private else 0o777)
        except FileExistsError:
            continue  # made meanwhile by someone else: theirs, not ours to change
        except OSError as exc:
            raise _fail(folder, _describe(exc)) from None
        if private:
            with contextlib.suppress(OSError):  # ours: make sure the umask did not take more than it should
                os.chmod(p, PRIVATE_FOLDER_MODE)
    return folder


def _temp_name(target: Path) -> Path:
    return target.with_name(f".{target.name[:_NAME_ROOM]}.{secrets.token_hex(8)}.tmp")


def _create_temp(target: Path, private: bool) -> tuple[int, Path]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_CLOEXEC | _O_BINARY
    for _ in range(20):
        tmp = _temp_name(target)
        try:
            return os.open(tmp, flags, PRIVATE_FILE_MODE if private else _SHARED_FILE_MODE), tmp
        except FileExistsError:  # pragma: no cover - 64 random bits: only a planted name could collide
            continue
    raise _fail(target, "no temporary name was free")  # pragma: no cover


def _keep_mode(fd: int, target: _Target) -> None:
    """An existing target keeps its permission bits, and its owner and group where allowed."""
    if target.mode is not None and hasattr(os, "fchmod"):
        os.fchmod(fd, target.mode)
    if target.owner is not None and hasattr(os, "fchown"):
        uid, gid = target.owner
        with contextlib.suppress(OSError):  # only root may give a file away; a group we are in is enough for gid
            os.fchown(fd, uid if os.geteuid() == 0 else -1, gid)
        if target.mode is not None and hasattr(os, "fchmod"):
            os.fchmod(fd, target.mode)  # chown may have cleared bits


def _sync_folder(folder: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY | _O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def open_output(path: str | Path, *, private: bool = False, binary: bool = False,
                encoding: str = "utf-8", newline: str | None = "") -> Iterator[IO[Any]]:
    """A file object to write ``path`` with (module docstring); the target changes only when the block ends well.

    ``binary`` gives a bytes file; otherwise text in ``encoding`` (``newline=""``: no translation).
    """
    target = _classify(path)
    if target.kind in ("stream", "special"):
        with _open_straight(target, binary, encoding, newline) as straight:
            yield straight
        return
    make_folder(target.path.parent, private=private)
    try:
        fd, tmp = _create_temp(target.path, private)
    except OSError as exc:
        raise _fail(target.path, _describe(exc)) from None
    raw = os.fdopen(fd, "wb")
    fh: IO[Any] = raw if binary else io.TextIOWrapper(raw, encoding=encoding, newline=newline)
    done = False
    try:
        try:
            yield fh
            fh.flush()
            os.fsync(raw.fileno())
            _keep_mode(raw.fileno(), target)
            fh.close()
            os.replace(tmp, target.path)
            done = True
        except OSError as exc:
            raise _fail(target.path, _describe(exc)) from None
    finally:
        if not done:
            with contextlib.suppress(OSError, ValueError):
                fh.close()
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    _sync_folder(target.path.parent)


@contextlib.contextmanager
def _open_straight(target: _Target, binary: bool, encoding: str, newline: str | None) -> Iterator[IO[Any]]:
    """A device, a FIFO or one of the process's own streams: written in place, never replaced or chmod-ed."""
    try:
        if target.kind == "stream":
            assert target.fd is not None
            if target.fd in (1, 2):
                stream = sys.stdout if target.fd == 1 else sys.stderr
                with contextlib.suppress(Exception):
                    stream.flush()  # what was printed before comes first
            fd = os.dup(target.fd)
        else:
            fd = os.open(target.path, os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | _O_CLOEXEC | _O_BINARY)
    except OSError as exc:
        raise _fail(target.path, _describe(exc)) from None
    raw = os.fdopen(fd, "wb")
    fh: IO[Any] = raw if binary else io.TextIOWrapper(raw, encoding=encoding, newline=newline)
    try:
        try:
            yield fh
            fh.flush()
        except OSError as exc:
            raise _fail(target.path, _describe(exc)) from None
    finally:
        with contextlib.suppress(OSError, ValueError):
            fh.close()


def write_file(path: str | Path, data: bytes | str, *, private: bool = False, encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``path`` by the rules in the module docstring; returns the path written."""
    payload = data.encode(encoding) if isinstance(data, str) else data
    with open_output(path, private=private, binary=True) as fh:
        fh.write(payload)
    return Path(path)


def check_target(path: str | Path) -> None:
    """Raise ``WriteError`` now if ``path`` could never be written (a folder, a link, a socket, no name),
    so a command can say so before it does its work rather than after."""
    _classify(path)


def is_special(path: str | Path) -> bool:
    """Whether ``path`` is written straight (a device, a FIFO or a stream) rather than replaced."""
    try:
        return _classify(path).kind in ("special", "stream")
    except WriteError:
        return False


def writes_to_stdout(path: str | Path | None) -> bool:
    """Whether ``path`` names this process's standard output (so messages should go to standard error)."""
    if path is None:
        return False
    text = os.fspath(path)
    m = _FD_PATH.match(text)
    return text in ("-", "/dev/stdout") or bool(m and m.group(1) == "1")


__all__ = ["PRIVATE_FILE_MODE", "PRIVATE_FOLDER_MODE", "WriteError", "check_target", "is_special", "make_folder", "open_output", "write_file",
           "writes_to_stdout"]
