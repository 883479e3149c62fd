"""The one writer (``desktop.base.writer``): folders and targets keep their modes, nothing is written
through a link, a failure leaves the old file and no temporary file, special files are written straight.

Every test works inside its own temporary folder; ``/dev/null`` is only written to and its mode
compared before and after, never changed.
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from desktop.base import writer
from desktop.base.writer import WriteError, make_folder, open_output, write_file

POSIX = os.name == "posix"
ROOT = Path(__file__).resolve().parents[2]


def mode(p: Path) -> int:
    return stat.S_IMODE(os.lstat(p).st_mode)


def umask() -> int:
    m = os.umask(0)
    os.umask(m)
    return m


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# ---------------------------------------------------------------------- folders keep their mode
@pytest.mark.skipif(not POSIX, reason="POSIX modes")
@pytest.mark.parametrize("folder_mode", [0o2775, 0o1777, 0o755, 0o700])
def test_a_folder_keeps_its_mode_and_a_new_file_gets_the_folders_normal_permissions(tmp_path, folder_mode):
    folder = tmp_path / "shared"
    folder.mkdir()
    os.chmod(folder, folder_mode)
    write_file(folder / "register.csv", "a,b\n")
    assert mode(folder) == folder_mode
    assert mode(folder / "register.csv") == 0o666 & ~umask()
    assert leftovers(folder) == []


@pytest.mark.skipif(not POSIX, reason="POSIX modes")
def test_a_setgid_folder_gives_its_group_to_the_new_file(tmp_path):
    folder = tmp_path / "group"
    folder.mkdir()
    groups = [g for g in os.getgroups() if g != os.getegid()] or [os.getegid()]
    try:
        os.chown(folder, -1, groups[0])
    except PermissionError:
        pytest.skip("cannot give the folder another group here")
    os.chmod(folder, 0o2775)
    write_file(folder / "x.csv", b"1")
    assert os.stat(folder / "x.csv").st_gid == groups[0]
    assert mode(folder) == 0o2775


@pytest.mark.skipif(not POSIX, reason="POSIX modes")
def test_a_read_only_folder_is_never_made_writable(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    os.chmod(folder, 0o555)
    try:
        if os.geteuid() == 0:  # root may write anyway; the folder must still not change
            write_file(folder / "x.csv", b"1")
        else:
            with pytest.raises(WriteError, match=r"^Cannot write .*x\.csv: permission denied") as info:
                write_file(folder / "x.csv", b"1")
            assert "\n" not in str(info.value)
        assert mode(folder) == 0o555
        assert leftovers(folder) == []
    finally:
        os.chmod(folder, 0o755)


@pytest.mark.skipif(not POSIX, reason="POSIX modes")
def test_private_files_and_the_folders_made_for_them_are_user_only_whatever_the_umask(tmp_path):
    old = os.umask(0o002)
    try:
        write_file(tmp_path / "app" / "sub" / "settings.json", "{}", private=True)
    finally:
        os.umask(old)
    assert mode(tmp_path / "app") == 0o700 and mode(tmp_path / "app" / "sub") == 0o700
    assert mode(tmp_path / "app" / "sub" / "settings.json") == 0o600
    assert mode(tmp_path) != 0o700 or True  # the existing parent is not touched (next test)


@pytest.mark.skipif(not POSIX, reason="POSIX modes")
def test_make_folder_never_changes_an_existing_folder(tmp_path):
    existing = tmp_path / "existing"
    existing.mkdir()
    os.chmod(existing, 0o2775)
    make_folder(existing / "new", private=True)
    assert mode(existing) == 0o2775 and mode(existing / "new") == 0o700
    make_folder(existing, private=True)
    assert mode(existing) == 0o2775


def test_a_file_where_a_folder_should_be_is_one_line(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(WriteError, match="is a file, not a folder"):
        make_folder(tmp_path / "file" / "sub", private=True)
    with pytest.raises(WriteError) as info:
        write_file(tmp_path / "file" / "x.csv", "x")
    assert str(info.value).startswith("Cannot write") and "\n" not in str(info.value)


# ---------------------------------------------------------------------- existing targets keep their mode
@pytest.mark.skipif(not POSIX, reason="POSIX modes")
@pytest.mark.parametrize("private", [False, True])
@pytest.mark.parametrize("target_mode", [0o640, 0o604, 0o600, 0o666])
def test_an_existing_target_keeps_its_mode(tmp_path, private, target_mode):
    target = tmp_path / "report.csv"
    target.write_text("old")
    os.chmod(target, target_mode)
    write_file(target, "new", private=private)
    assert target.read_text() == "new"
    assert mode(target) == target_mode


# ---------------------------------------------------------------------- links
@pytest.mark.skipif(not POSIX, reason="symbolic links")
def test_a_target_that_is_a_link_is_refused_and_neither_it_nor_its_file_changes(tmp_path):
    victim = tmp_path / "someone-elses.txt"
    victim.write_text("theirs")
    os.chmod(victim, 0o644)
    link = tmp_path / "register.csv"
    link.symlink_to(victim)
    with pytest.raises(WriteError, match=r"symbolic link .*neither writes through a link nor replaces it") as info:
        write_file(link, "personal data")
    assert "\n" not in str(info.value)
    assert link.is_symlink() and os.readlink(link) == str(victim)
    assert victim.read_text() == "theirs" and mode(victim) == 0o644
    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(WriteError, match="symbolic link"):
        write_file(dangling, "x")
    assert not (tmp_path / "nowhere").exists()


PREDICTABLE = [".{n}.tmp", "{n}.tmp", ".{n}.swp", "{n}~", "{n}.part", ".{n}.part", "{n}.new", ".{n}", "{n}.bak"]


@pytest.mark.skipif(not POSIX, reason="symbolic links")
def test_a_link_planted_at_any_predictable_temporary_name_is_never_written_through(tmp_path):
    """The old writers wrote to .NAME.tmp, following a link someone planted there."""
    victim = tmp_path / "victim.txt"
    victim.write_text("untouched")
    folder = tmp_path / "shared"
    folder.mkdir()
    planted = [folder / p.format(n="register.csv") for p in PREDICTABLE]
    for p in planted:
        p.symlink_to(victim)
    write_file(folder / "register.csv", "251 lines of personal data")
    assert victim.read_text() == "untouched"
    assert all(p.is_symlink() for p in planted)
    assert (folder / "register.csv").read_text() == "251 lines of personal data"


AUDIT_CHILD = textwrap.dedent("""
    import os, sys
    opened = []
    def hook(event, args):
        if (event == "open" and not isinstance(args[0], int) and isinstance(args[2], int)
                and args[2] & (os.O_WRONLY | os.O_RDWR)):
            opened.append((os.fspath(args[0]), args[2]))
    sys.addaudithook(hook)
    from desktop.base.writer import write_file, open_output
    folder = sys.argv[1]
    write_file(os.path.join(folder, "a.csv"), b"1")
    write_file(os.path.join(folder, "a.csv"), b"2")            # replacing an existing file
    write_file(os.path.join(folder, "new", "p.json"), b"3", private=True)
    with open_output(os.path.join(folder, "b.txt")) as fh:
        fh.write("4")
    for path, flags in opened:
        print(path, int(bool(flags & os.O_EXCL)), int(bool(flags & os.O_CREAT)), int(bool(flags & os.O_NOFOLLOW)))
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="O_NOFOLLOW and audit flags as on Linux")
def test_every_file_opened_for_writing_is_created_exclusively_under_an_unpredictable_name(tmp_path):
    """No predictable name is ever opened for writing: each write opens one new random name with O_EXCL."""
    proc = subprocess.run([sys.executable, "-c", AUDIT_CHILD, str(tmp_path)], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    lines = [line.split() for line in proc.stdout.splitlines()]
    assert len(lines) == 4
    names = set()
    for path, excl, creat, nofollow in lines:
        name = Path(path).name
        assert (excl, creat, nofollow) == ("1", "1", "1"), path
        assert name.startswith(".") and name.endswith(".tmp") and len(name.split(".")[-2]) == 16, name
        names.add(name)
    assert len(names) == 4  # a fresh random name each time


# ---------------------------------------------------------------------- failures leave everything as it was
def test_a_failed_write_removes_the_temporary_file_and_keeps_the_old_target(tmp_path, monkeypatch):
    target = tmp_path / "register.csv"
    target.write_text("the old export")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writer.os, "fsync", full)
    with pytest.raises(WriteError, match=r"^Cannot write .*register\.csv: the disk is full\.$"):
        write_file(target, "x" * 100_000)
    assert target.read_text() == "the old export"
    assert leftovers(tmp_path) == []


def test_an_error_while_producing_the_data_keeps_the_old_target(tmp_path):
    target = tmp_path / "report.json"
    target.write_text("old")

    def produce() -> None:
        with open_output(target) as fh:
            fh.write("half a report")
            raise RuntimeError("stopped")

    with pytest.raises(RuntimeError):
        produce()
    assert target.read_text() == "old" and leftovers(tmp_path) == []


FSIZE_CHILD = textwrap.dedent("""
    import resource, signal, sys
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000))
    from desktop.base.writer import write_file, WriteError
    try:
        write_file(sys.argv[1], b"x" * 200_000)
    except WriteError as exc:
        print(exc)
        sys.exit(2)
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_FSIZE as on Linux")
def test_a_file_size_limit_mid_write_gives_one_line_and_keeps_the_old_target(tmp_path):
    """A real failure from the kernel part-way through (as a full disk gives), not a simulated one."""
    target = tmp_path / "register.csv"
    target.write_text("the old export")
    proc = subprocess.run([sys.executable, "-c", FSIZE_CHILD, str(target)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout.strip().startswith(f"Cannot write {target}: ") and len(proc.stdout.strip().splitlines()) == 1
    assert target.read_text() == "the old export"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("bad", ["", "   "])
def test_an_empty_name_is_one_line(bad):
    with pytest.raises(WriteError, match="No file name was given"):
        write_file(bad, "x")


def test_a_folder_as_target_is_one_line_and_the_folder_is_untouched(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    before = mode(folder)
    with pytest.raises(WriteError, match="it is a folder"):
        write_file(folder, "x")
    assert mode(folder) == before and list(folder.iterdir()) == [] and leftovers(tmp_path) == []


# ---------------------------------------------------------------------- special files
@pytest.mark.skipif(not POSIX or not os.path.exists("/dev/null"), reason="/dev/null")
def test_dev_null_is_written_straight_and_never_chmod_ed():
    before = os.stat("/dev/null")
    write_file("/dev/null", b"discarded")
    with open_output("/dev/null") as fh:
        fh.write("discarded")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_mode == before.st_mode and after.st_uid == before.st_uid


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
def test_a_fifo_is_written_straight_not_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    os.chmod(fifo, 0o620)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_file(fifo, b"through the pipe")
    reader.join(10)
    assert got == [b"through the pipe"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and mode(fifo) == 0o620
    assert leftovers(tmp_path) == []


STDOUT_CHILD = textwrap.dedent("""
    import os, sys
    from desktop.base.writer import write_file
    before = os.lstat("/dev/stdout")
    print("first", flush=True)
    write_file("/dev/stdout", b"data\\n")
    write_file("/dev/fd/1", b"more\\n")
    after = os.lstat("/dev/stdout")
    sys.stderr.write(f"{before.st_mode == after.st_mode} {before.st_ino == after.st_ino}\\n")
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/dev/stdout as on Linux")
def test_dev_stdout_is_the_process_output_not_a_file_to_replace(tmp_path):
    out = tmp_path / "captured.txt"
    with out.open("w") as fh:
        proc = subprocess.run([sys.executable, "-c", STDOUT_CHILD], cwd=ROOT, stdout=fh, stderr=subprocess.PIPE,
                              text=True, check=True)
    assert out.read_text() == "first\ndata\nmore\n"  # in order, in the same stream
    assert proc.stderr.strip() == "True True"


@pytest.mark.skipif(not POSIX or not os.path.exists("/dev/null"), reason="character devices")
def test_writes_to_stdout_and_is_special():
    assert writer.writes_to_stdout("/dev/stdout") and writer.writes_to_stdout("-")
    assert writer.writes_to_stdout("/dev/fd/1") and not writer.writes_to_stdout("/dev/fd/2")
    assert writer.is_special("/dev/null") and writer.is_special("/dev/stderr")
    assert not writer.is_special("nowhere/at/all.csv")


# ---------------------------------------------------------------------- two users (where the tests run as root)
TWO_USERS_CHILD = textwrap.dedent("""
    import os, sys
    folder, victim = sys.argv[1], sys.argv[2]
    os.setgid(65534); os.setuid(65534)            # now another user: 'nobody'
    with open(victim, "w") as fh:
        fh.write("nobody's file")
    for name in (".register.csv.tmp", "register.csv.tmp", ".register-errors.csv.tmp"):
        os.symlink(victim, os.path.join(folder, name))
    os.symlink(victim, os.path.join(folder, "report.csv"))
""")


@pytest.mark.skipif(not POSIX or os.geteuid() != 0, reason="needs root to act as a second user")
def test_links_planted_by_another_user_in_a_shared_folder_are_never_written_through():
    """As /tmp is: a folder everyone may create files in. Our own temporary folder under the system's
    (pytest's base folder is user-only, so the other user could not reach one there)."""
    import shutil
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="register-desktop-two-users-"))
    try:
        os.chmod(base, 0o755)
        folder = base / "shared"
        folder.mkdir()
        os.chmod(folder, 0o1777)  # everyone may create files, only owners remove them
        victim = folder / "nobodys-file.txt"
        subprocess.run([sys.executable, "-c", TWO_USERS_CHILD, str(folder), str(victim)], check=True)
        write_file(folder / "register.csv", "personal data")
        write_file(folder / "register-errors.csv", "personal data")
        with pytest.raises(WriteError, match="symbolic link"):
            write_file(folder / "report.csv", "personal data")
        assert victim.read_text() == "nobody's file" and os.stat(victim).st_uid == 65534
        assert (folder / "register.csv").read_text() == "personal data" and not (folder / "register.csv").is_symlink()
        assert mode(folder) == 0o1777
    finally:
        shutil.rmtree(base, ignore_errors=True)
