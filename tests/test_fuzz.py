"""Fuzzing of the loaders and the analyser: the stored corpus, then mutations of it (hypothesis).

The coverage-guided run (atheris, ``tests/fuzz/run.py``) is in CI
(``.ci/fuzz``); this test replays its corpus and a deterministic set of byte
mutations on every run, so that a fixed bug stays fixed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

sys.path.insert(0, str(Path(__file__).parent / "fuzz"))
from targets import TARGETS  # noqa: E402

CORPUS = Path(__file__).parent / "fuzz" / "corpus"


def _seeds(name):
    return sorted((CORPUS / name).iterdir())


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_corpus_replays(name):
    seeds = _seeds(name)
    assert seeds, f"no corpus for {name}"
    for path in seeds:
        TARGETS[name](path.read_bytes())


@st.composite
def _mutated(draw, name):
    seeds = _seeds(name)
    data = bytearray(draw(st.sampled_from(seeds)).read_bytes())
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.integers(0, 3))
        if not data:
            break
        k = draw(st.integers(0, len(data) - 1))
        if op == 0:                                   # overwrite a byte
            data[k] = draw(st.integers(0, 255))
        elif op == 1:                                 # truncate
            del data[k:]
        elif op == 2:                                 # insert interesting text
            data[k:k] = draw(st.sampled_from([b"1e308", b"-1", b"NaN", b"[", b"{", b'"', b"1e9", b"0",
                                              b"\xff\xff\xff\x7f"]))
        else:                                         # duplicate a span
            j = draw(st.integers(k, min(len(data), k + 64)))
            data[k:k] = data[k:j]
    return bytes(data)


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_mutations(name):
    @settings(max_examples=int(os.environ.get("CURRENTPRINT_FUZZ_EXAMPLES", "30")), deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(_mutated(name))
    def run(data):
        TARGETS[name](data)

    run()
