"""Line coverage of the Cython kernel (``_core.pyx`` and its ``.pxi``) under the tests.

Builds a line-tracing copy of the package in a temporary folder
(``linetrace=True``, ``CYTHON_TRACE_NOGIL=1``, ``-O0``), runs the kernel
tests against it under coverage.py with Cython's coverage plugin, and prints
the per-file report with the missed lines. The checkout is not touched.

    python benchmarks/kernel_coverage.py [pytest args...]

Default tests: the scan kernels' tests (arc, events, thermal, onset, FFT) with the 'quick'
hypothesis profile. Pass test paths to measure more (tests/test_kernel.py covers the per-sample
analysis loop, but under line tracing it runs for more than 10 minutes here). Needs ``coverage`` and Cython.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ["tests/test_kernel_arc_branches.py", "tests/test_kernel_event_params.py", "tests/test_fft.py",
         "tests/test_arc.py::test_arc_scan_rejects_length_mismatch",
         "tests/test_events.py::test_scan_matches_reference_and_is_chunk_invariant",
         "tests/test_events.py::test_scan_rejects_bad_shapes", "tests/test_events.py::test_onset_refine_matches_reference",
         "tests/test_events.py::test_flush_judges_a_change_still_settling",
         "tests/test_loads.py::test_thermal_scan_matches_reference"]

SETUP = textwrap.dedent("""
    import numpy as np
    from Cython.Build import cythonize
    from setuptools import Extension, setup
    ext = Extension("currentprint._core", ["currentprint/_core.pyx"], include_dirs=[np.get_include()],
                    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION"),
                                   ("CYTHON_TRACE", "1"), ("CYTHON_TRACE_NOGIL", "1")],
                    extra_compile_args=["-O0"])
    setup(ext_modules=cythonize([ext], compiler_directives={"language_level": 3, "linetrace": True,
                                                           "binding": True, "wraparound": False}))
""")


def main(argv: list[str]) -> int:
    work = Path(tempfile.mkdtemp(prefix="cp-kcov-"))
    try:
        pkg = work / "currentprint"
        shutil.copytree(ROOT / "src" / "currentprint", pkg,
                        ignore=shutil.ignore_patterns("*.so", "*.c", "__pycache__"))
        (work / "setup.py").write_text(SETUP)
        subprocess.run([sys.executable, "setup.py", "build_ext", "--inplace", "-q"], cwd=work, check=True,
                       stdout=subprocess.DEVNULL)
        (work / ".coveragerc").write_text(f"[run]\nplugins = Cython.Coverage\nsource = {pkg}\n"
                                          f"[report]\ninclude = {pkg}/_core.pyx,{pkg}/*.pxi\n")
        env = {**os.environ, "PYTHONPATH": str(work), "HYPOTHESIS_PROFILE": os.environ.get("HYPOTHESIS_PROFILE", "quick"),
               "CURRENTPRINT_DATA": os.environ.get(
            "CURRENTPRINT_DATA", str(ROOT.parent / "shared" / "data"))}
        tests = argv or TESTS
        subprocess.run([sys.executable, "-m", "coverage", "run", f"--rcfile={work / '.coveragerc'}", "-m", "pytest",
                        "-q", "-x", "-p", "no:cacheprovider", "--rootdir", str(ROOT), *[str(ROOT / t) for t in tests]],
                       cwd=work, env=env, check=False)
        rep = subprocess.run([sys.executable, "-m", "coverage", "report", f"--rcfile={work / '.coveragerc'}",
                              "-m"], cwd=work, env=env, capture_output=True, text=True)
        print(rep.stdout, rep.stderr)
        return rep.returncode
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
