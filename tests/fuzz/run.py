"""Coverage-guided fuzzing of the loaders with atheris.

    python tests/fuzz/run.py TARGET [-max_total_time=60] [-runs=N]

Starts from ``tests/fuzz/corpus/TARGET`` (kept in the repository); new
inputs found go to a temporary folder (``-only_ascii``, ``-dict`` etc. as
for libFuzzer). A failing input is written to ``crash-*`` in the working
directory: add it to the corpus once fixed.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

import atheris

with atheris.instrument_imports(include=["currentprint"]):
    import currentprint  # noqa: F401
    sys.path.insert(0, os.path.dirname(__file__))
    from targets import TARGETS


def main() -> None:
    name = sys.argv[1]
    target = TARGETS[name]
    corpus = os.path.join(os.path.dirname(__file__), "corpus", name)
    work = tempfile.mkdtemp(prefix=f"fuzz-{name}-")
    for f in os.listdir(corpus):
        shutil.copy(os.path.join(corpus, f), work)
    atheris.Setup([sys.argv[0], work, *sys.argv[2:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
