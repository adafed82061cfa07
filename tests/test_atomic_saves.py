"""Saves are atomic: a failed or killed save leaves the old file byte-identical.

For every file the package writes (Monitor.save, FingerprintLibrary.save,
and the CLI's library, bench JSON and plot outputs) the save is made to fail
where a crash can really happen -- while the bytes are written (file size
limit), at the flush to disk (fsync) and at the rename -- and the process is
killed there. The old file must survive unchanged and, when the process
lives to clean up, no temporary file may stay behind.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import _writers  # noqa: E402  (tests/ is on sys.path under pytest's rootdir-relative import)
import currentprint as cp

HERE = Path(__file__).resolve().parent
PKG_PARENT = str(Path(cp.__file__).resolve().parents[1])

KINDS = list(_writers.WRITERS)


def _needs(kind: str) -> None:
    if kind == "cli_plot":
        pytest.importorskip("matplotlib")


def _write(kind: str, path: Path, variant: str, monkeypatch=None) -> None:
    if kind == "cli_bench_json":
        _writers.write_cli_bench_json(path, variant, monkeypatch)
    else:
        _writers.WRITERS[kind](path, variant)


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def old_file(tmp_path, monkeypatch, request):
    kind = request.param
    _needs(kind)
    path = tmp_path / (f"{kind}.png" if kind == "cli_plot" else f"{kind}.json")
    _write(kind, path, "old", monkeypatch)
    assert path.exists()
    return kind, path, path.read_bytes(), _listing(tmp_path)


def _boom(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device (injected)")


@pytest.mark.parametrize("old_file", KINDS, indirect=True)
@pytest.mark.parametrize("where", ["fsync", "replace"])
def test_failed_save_keeps_the_old_file(old_file, where, monkeypatch):
    kind, path, before, listing = old_file
    if where == "fsync":
        monkeypatch.setattr(os, "fsync", _boom)
    else:
        monkeypatch.setattr(os, "replace", _boom)
        monkeypatch.setattr(os, "rename", _boom)
    with pytest.raises(OSError):
        _write(kind, path, "new", monkeypatch)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert _listing(path.parent) == listing, "a temporary file was left behind"


@pytest.mark.parametrize("old_file", KINDS, indirect=True)
def test_successful_save_replaces_the_file(old_file, monkeypatch):
    kind, path, before, listing = old_file
    _write(kind, path, "new", monkeypatch)
    assert path.read_bytes() != before
    assert _listing(path.parent) == listing


# -- child processes: a write that fails mid-way, and a process killed mid-save ------------------
CHILD = textwrap.dedent("""
    import os, resource, signal, sys
    sys.path[:0] = [{tests!r}, {pkg!r}]
    from pathlib import Path
    import _writers
    kind, path, mode = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    def die(*a, **k):
        os.kill(os.getpid(), signal.SIGKILL)
    if kind == "cli_plot":
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot
    if mode == "kill_fsync":
        os.fsync = die
    elif mode == "kill_replace":
        os.replace = os.rename = die
    else:
        # every write past 256 bytes fails: EFBIG (signal ignored) or SIGXFSZ kills the process
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN if mode == "efbig" else signal.SIG_DFL)
        import currentprint, numpy  # noqa: F401 (imports done before the limit)
        resource.setrlimit(resource.RLIMIT_FSIZE, (256, resource.RLIM_INFINITY))
    try:
        _writers.WRITERS[kind](path, "new")
    except OSError as exc:
        print("save failed:", exc)
        sys.exit(17)
    sys.exit(0)
""")


def _child(kind: str, path: Path, mode: str) -> subprocess.CompletedProcess:
    code = CHILD.format(tests=str(HERE), pkg=PKG_PARENT)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-c", code, kind, str(path), mode], capture_output=True, text=True,
                          env=env, timeout=120)


# every writer under every crash; the plot (matplotlib's import makes each child slow) under two
CRASHES = [(k, m) for k in KINDS for m in ("efbig", "sigxfsz", "kill_fsync", "kill_replace")
           if k != "cli_plot" or m in ("efbig", "kill_fsync")]


@pytest.mark.parametrize("old_file,mode", CRASHES, indirect=["old_file"], ids=[f"{k}-{m}" for k, m in CRASHES])
def test_crashed_save_keeps_the_old_file(old_file, mode):
    kind, path, before, listing = old_file
    res = _child(kind, path, mode)
    if mode == "efbig":
        # the process lives: the save reports the failure and cleans up
        assert res.returncode != 0, (res.stdout, res.stderr)
        assert res.returncode != -signal.SIGKILL
        assert _listing(path.parent) == listing, "a temporary file was left behind"
    else:
        sig = signal.SIGXFSZ if mode == "sigxfsz" else signal.SIGKILL
        assert res.returncode == -sig, f"the save was not interrupted where expected: {res.returncode}\n{res.stderr}"
        # a killed process cannot clean up: only a temporary file may be new
        new = set(_listing(path.parent)) - set(listing)
        assert all(n.endswith(".tmp") or ".tmp" in n for n in new), new
    assert path.read_bytes() == before
