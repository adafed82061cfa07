"""The examples in README.md and docs/getting-started.md run and say what the text says."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pytest

from conftest import data_path

ROOT = Path(__file__).resolve().parents[1]


def _blocks(path: Path) -> list[str]:
    if not path.exists():
        pytest.skip(f"{path.name} not shipped here")
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), re.S)


def _run(code: str) -> tuple[dict, str]:
    ns: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<doc example>", "exec"), ns)
    return ns, out.getvalue()


def test_readme_examples(tmp_path):
    kettle = data_path("hfhadc", "kettle_01.npz")
    first, monitor = _blocks(ROOT / "README.md")[:2]
    ns, _ = _run(first.replace('"kettle_01.npz"', repr(str(kettle))))
    table, parts = ns["table"], ns["parts"]
    assert len(table) > 100 and np.median(table.pf) > 0.99
    # streaming in 40 chunks gives the batch table
    assert sum(len(p) for p in parts) == len(table)
    state = tmp_path / "monitor.json"
    code = monitor.replace("for i_chunk, v_chunk in source:",
                           "source = zip(np.array_split(d['current'], 150), np.array_split(d['voltage'], 150))\n"
                           "for i_chunk, v_chunk in source:").replace('"monitor.json"', repr(str(state)))
    ns2, _ = _run(first.replace('"kettle_01.npz"', repr(str(kettle))) + "\n" + code)
    assert state.exists() and ns2["cp"].Monitor.load(state).cycles_seen == ns2["mon"].cycles_seen


def test_getting_started_first_example():
    code = _blocks(ROOT / "docs" / "getting-started.md")[0]
    ns, out = _run(code)
    lines = out.split()
    # the numbers the page quotes in its comments
    assert len(ns["table"]) == 48
    t = ns["table"]
    assert t.i_rms[0] == pytest.approx(5.755, abs=1e-3)
    assert t.p[0] == pytest.approx(1241.9, abs=0.1)
    assert t.dpf[0] == pytest.approx(np.cos(0.3), abs=1e-9)
    assert t.thd[0] == pytest.approx(1.5 / 8, rel=1e-9)
    assert abs(t.harmonic(3)[0]) == pytest.approx(1.5 / np.sqrt(2), rel=1e-9)
    assert lines


# -- every code block on every page of the documentation site ----------------------------------

#: fence languages a page may use; ``python`` blocks run, the others are shown, not run
#: (``bash``/``console``: shell sessions; ``text``/``toml``/``yaml``: output and configuration)
_SHOWN = {"bash", "console", "text", "toml", "json", "yaml", ""}
_PAGES = sorted(p for p in (ROOT / "docs").glob("*.md"))
#: packages of the optional extras: a page using one is skipped where it is not installed
_OPTIONAL = {"matplotlib", "pandas", "sklearn", "tqdm", "soundfile", "dask", "distributed", "pyarrow", "fsspec"}


def _fences(path: Path) -> list[tuple[str, str]]:
    """(language, code) of every fenced block; directive fences (```{name}) are Sphinx's."""
    text = path.read_text(encoding="utf-8")
    return [(lang, code) for lang, code in re.findall(r"^```([^\n`]*)\n(.*?)^```", text, re.S | re.M)
            if not lang.startswith("{")]


def test_docs_pages_found():
    assert len(_PAGES) >= 12, "the documentation pages moved?"


@pytest.mark.parametrize("page", _PAGES, ids=lambda p: p.name)
def test_docs_page_runs_as_written(page, tmp_path, monkeypatch):
    """A page's Python blocks run in order in one namespace, as a reader pastes them,
    in an empty working directory (files the page writes land there)."""
    fences = _fences(page)
    unknown = {lang for lang, _ in fences} - _SHOWN - {"python"}
    assert not unknown, f"{page.name}: fence languages {unknown} are neither run nor known"
    code = [c for lang, c in fences if lang == "python"]
    if not code:
        return                                # shell and output blocks only
    if any("plot" in c for c in code):
        pytest.importorskip("matplotlib")
        import matplotlib

        matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    # not "__main__": a block's `if __name__ == "__main__":` part (e.g. starting worker
    # processes) is left to the reader; everything else runs
    ns: dict = {"__name__": "__doc_page__"}
    for k, block in enumerate(code):
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                exec(compile(block, f"<{page.name} block {k + 1}>", "exec"), ns)
            except ModuleNotFoundError as exc:
                if (exc.name or "").split(".")[0] in _OPTIONAL:
                    pytest.skip(f"{page.name} needs the optional package {exc.name}")
                raise AssertionError(f"{page.name}, block {k + 1} fails as written:\n{block}") from exc
            except Exception as exc:  # say which block failed, with its code
                raise AssertionError(f"{page.name}, block {k + 1} fails as written:\n{block}") from exc
