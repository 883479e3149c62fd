"""Every command that writes a file respects the user's folders, and every failure is one line and exit 2.

For each writer (``export --out``, ``--errors-out``, ``map --out``, ``map --export``, ``check --out``,
``template --out``, ``upload --receipt``, ``history --receipt``): a shared group folder (2775), a
read-only folder (555) and a world-writable sticky folder (1777) keep their modes; an existing
target keeps its mode; nothing temporary is left. Then the failures that used to print tracebacks.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.core.samples import sample_path
from tests.helpers import TODAY

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
POSIX = os.name == "posix"
AS_ROOT = POSIX and os.geteuid() == 0
T = ["--today", TODAY.isoformat()]


def mode(p: Path) -> int:
    return stat.S_IMODE(os.lstat(p).st_mode)


def one_line(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("register-desktop: "), err
    assert "Traceback" not in err
    return lines[0]


def writers(folder: Path) -> list[tuple[str, list[str], list[Path]]]:
    """(name, arguments, files it writes) for every command that writes a file the user named."""
    s = str(sample_path())
    return [
        ("export", ["export", s, "--out", str(folder / "register.csv"), "--allow-errors",
                    "--errors-out", str(folder / "register-errors.csv"), *T],
         [folder / "register.csv", folder / "register-errors.csv"]),
        ("export default report", ["export", s, "--out", str(folder / "r2.csv"), "--allow-errors", *T],
         [folder / "r2.csv", folder / "r2-errors.csv"]),
        ("map --out", ["map", s, "--out", str(folder / "profile.json"), *T], [folder / "profile.json"]),
        ("check --out", ["check", s, "--format", "json", "--out", str(folder / "report.json"), *T],
         [folder / "report.json"]),
        ("template --out", ["template", "--out", str(folder / "template.csv")], [folder / "template.csv"]),
        ("upload --receipt", ["upload", s, "--env", "practice", "--yes", "--no-progress", "--rate-window", "1",
                              "--rate-limit", "1000", "--receipt", str(folder / "receipt.csv"), *T],
         [folder / "receipt.csv"]),
        ("history --receipt", ["history", "1", "--receipt", str(folder / "receipt.xlsx")], [folder / "receipt.xlsx"]),
        ("map --export", ["map", "--export", "shared", "--out", str(folder / "shared.json")], [folder / "shared.json"]),
    ]


def prepare(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A saved profile to export (map --export needs one)."""
    assert main(["map", str(sample_path()), "--save", "--name", "shared", *T]) in (0, 1)
    capsys.readouterr()


@pytest.mark.skipif(not POSIX, reason="POSIX folder modes")
@pytest.mark.parametrize("folder_mode", [0o2775, 0o555, 0o1777])
def test_every_writer_leaves_the_folders_mode_alone(tmp_path, capsys, folder_mode):
    prepare(tmp_path, capsys)
    folder = tmp_path / f"folder-{folder_mode:o}"
    folder.mkdir()
    os.chmod(folder, folder_mode)
    umask = os.umask(0)
    os.umask(umask)
    try:
        for name, args, files in writers(folder):
            code = main(args)
            captured = capsys.readouterr()
            assert mode(folder) == folder_mode, f"{name} changed the folder to {oct(mode(folder))}"
            assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == [], name
            if folder_mode == 0o555 and not AS_ROOT:
                assert code == 2 and "permission denied" in one_line(captured.err), (name, captured.err)
                assert not any(p.exists() for p in files)
            else:
                assert code in (0, 1), (name, captured.err)
                for f in files:
                    assert mode(f) == 0o666 & ~umask, f"{name}: {f.name} is {oct(mode(f))}"
    finally:
        os.chmod(folder, 0o755)


@pytest.mark.skipif(not POSIX, reason="POSIX modes")
@pytest.mark.parametrize("target_mode", [0o640, 0o604])
def test_every_writer_keeps_an_existing_targets_mode(tmp_path, capsys, target_mode):
    prepare(tmp_path, capsys)
    folder = tmp_path / "out"
    folder.mkdir()
    for name, args, files in writers(folder):
        for f in files:
            f.write_bytes(b"old")
            os.chmod(f, target_mode)
        assert main(args) in (0, 1), name
        capsys.readouterr()
        for f in files:
            assert f.read_bytes() != b"old", f"{name} did not write {f.name}"
            assert mode(f) == target_mode, f"{name}: {f.name} became {oct(mode(f))}"


@pytest.mark.skipif(not POSIX, reason="symbolic links")
def test_every_writer_refuses_a_link_at_its_target_and_writes_nothing_through_it(tmp_path, capsys):
    prepare(tmp_path, capsys)
    folder = tmp_path / "out"
    folder.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("not yours")
    for name, args, files in writers(folder):
        if name == "history --receipt":
            continue  # no batch yet in this test's journal (upload --receipt was refused before sending)
        for f in files:
            f.symlink_to(victim)
        assert main(args) == 2, name
        assert "symbolic link" in one_line(capsys.readouterr().err)
        assert victim.read_text() == "not yours" and all(f.is_symlink() for f in files)
        for f in files:
            f.unlink()


# ---------------------------------------------------------------------- one line and exit 2
def deep_profile(path: Path, depth: int = 100_000) -> Path:
    path.write_text('{"kind": "register-desktop-mapping-profile", "x": ' + "[" * depth + "]" * depth + "}")
    return path


def test_a_deeply_nested_profile_is_one_line(tmp_path, capsys):
    deep = deep_profile(tmp_path / "deep.json")
    assert main(["map", "--import", str(deep)]) == 2
    assert "nested" in one_line(capsys.readouterr().err)
    assert main(["check", str(sample_path()), "--mapping", str(deep), *T]) == 2
    assert "nested" in one_line(capsys.readouterr().err)
    medium = deep_profile(tmp_path / "medium.json", depth=900)  # accepted by the JSON reader, then refused
    assert main(["map", "--import", str(medium)]) == 2
    one_line(capsys.readouterr().err)


def test_export_to_an_empty_name_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["export", str(sample_path()), "--out", "", "--allow-errors", *T]) == 2
    assert "No file name" in one_line(capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == [] or all(p.name in ("config", "data", "home") for p in tmp_path.iterdir())


def test_a_receipt_naming_a_folder_is_refused_before_anything_is_sent(tmp_path, capsys):
    folder = tmp_path / "receipts-here"
    folder.mkdir()
    code = main(["upload", str(sample_path()), "--env", "practice", "--yes", "--no-progress", "--receipt", str(folder), *T])
    assert code == 2 and "it is a folder" in one_line(capsys.readouterr().err)
    assert not (tmp_path / "data" / "practice").exists()  # the practice Register never started
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("port", ["99999", "-1", "65536"])
def test_a_port_out_of_range_is_one_line(capsys, port):
    assert main(["simulator", "--port", port]) == 2
    assert "--port must be" in one_line(capsys.readouterr().err)


@pytest.mark.parametrize(("variable", "command"), [
    ("DESKTOP_DATA_DIR", ["upload", "{sample}", "--env", "practice", "--yes"]),
    ("DESKTOP_DATA_DIR", ["history"]),
    ("DESKTOP_DATA_DIR", ["purge"]),
    ("DESKTOP_CONFIG_DIR", ["check", "{sample}"]),
    ("DESKTOP_CONFIG_DIR", ["map", "--list"]),
    ("DESKTOP_CONFIG_DIR", ["map", "{sample}", "--save"]),
])
def test_an_app_folder_variable_naming_a_file_is_one_line(tmp_path, capsys, monkeypatch, variable, command):
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    monkeypatch.setenv(variable, str(a_file))
    args = [str(sample_path()) if a == "{sample}" else a for a in command]
    assert main([*args, *T] if args[0] in ("check", "upload", "map") and len(args) > 2 else args) == 2
    assert f"{variable} names {a_file}, which is a file" in one_line(capsys.readouterr().err)
    assert a_file.read_text() == "x"


DISK_FULL_CHILD = textwrap.dedent("""
    import resource, signal, sys
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)           # the write fails with EFBIG, as a full disk fails it
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    from desktop.cli import main
    sys.exit(main(sys.argv[2:]))
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_FSIZE as on Linux")
@pytest.mark.parametrize("command", [
    ["check", "{sample}", "--format", "json", "--out", "{target}"],
    ["export", "{sample}", "--out", "{target}", "--allow-errors", "--errors-out", "{other}"],
    ["map", "{sample}", "--out", "{target}"],
])
def test_a_write_that_fails_part_way_is_one_line_and_leaves_the_old_file(tmp_path, command):
    target, other = tmp_path / "target.out", tmp_path / "other.out"
    target.write_text("the old file")
    args = [{"{sample}": str(sample_path()), "{target}": str(target), "{other}": str(other)}.get(a, a) for a in command]
    env = {**os.environ, "DESKTOP_DATA_DIR": str(tmp_path / "data"), "DESKTOP_CONFIG_DIR": str(tmp_path / "config")}
    proc = subprocess.run([sys.executable, "-c", DISK_FULL_CHILD, "2000", *args, *T], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Cannot write" in one_line(proc.stderr)
    assert target.read_text() == "the old file"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.skipif(not POSIX or not os.path.exists("/dev/null"), reason="/dev/null")
def test_check_out_dev_null_leaves_dev_null_as_it_was(tmp_path):
    """The old writer chmod-ed /dev/null to 0600 (as root, for everyone on the machine)."""
    before = os.stat("/dev/null")
    env = {**os.environ, "DESKTOP_DATA_DIR": str(tmp_path / "data"), "DESKTOP_CONFIG_DIR": str(tmp_path / "config")}
    proc = subprocess.run([sys.executable, "-m", "desktop.cli", "check", str(sample_path()), "--out", "/dev/null", *T],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and proc.stdout == "", proc.stderr
    after = os.stat("/dev/null")
    assert (after.st_mode, after.st_uid, after.st_gid, after.st_ino) == (before.st_mode, before.st_uid, before.st_gid,
                                                                           before.st_ino)


def test_export_to_standard_output_keeps_the_words_apart(tmp_path):
    env = {**os.environ, "DESKTOP_DATA_DIR": str(tmp_path / "data"), "DESKTOP_CONFIG_DIR": str(tmp_path / "config")}
    proc = subprocess.run([sys.executable, "-m", "desktop.cli", "export", str(sample_path()), "--out", "/dev/stdout",
                           "--allow-errors", "--errors-out", str(tmp_path / "errors.csv"), *T],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("provider_trainee_id,") and "Wrote" not in proc.stdout
    assert "Wrote 45 of 60 rows to /dev/stdout" in proc.stderr
    assert json.dumps(proc.stdout)  # it is text
