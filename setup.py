"""Build the Cython core of currentprint.

Metadata lives in pyproject.toml; this file only declares the extension.
Set ``CURRENTPRINT_DEBUG=1`` for a bounds-checked debug build of the kernel
(run its tests with ``python -W error`` so that an out-of-bounds read inside a
``noexcept nogil`` function fails instead of only warning).
"""

import os

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("CURRENTPRINT_DEBUG", "0") not in ("", "0")

directives = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": False,
    "initializedcheck": DEBUG,
    "cdivision": not DEBUG,
    "nonecheck": DEBUG,
    "embedsignature": True,
}

# -ffp-contract=off: no fused multiply-adds chosen by the compiler; the AVX2 copy of the
# kernel (see _cycle.h) fuses only where its code asks, and agrees with the baseline and
# aarch64 builds within rounding; the framing scan is bit-identical on every build.
# No -march: the AVX2 copy is compiled with a target pragma and chosen at run time.
compile_args = (["-O0", "-g"] if DEBUG else ["-O3"]) + ["-ffp-contract=off"]

extensions = [
    Extension(
        "currentprint._core",
        ["src/currentprint/_core.pyx"],
        include_dirs=[np.get_include(), "src/currentprint"],
        depends=["src/currentprint/_cycle.h", "src/currentprint/_arcmask.h", "src/currentprint/_cycle_impl.h", "src/currentprint/_cycle_tmpl.h",
                 "src/currentprint/_events.pxi", "src/currentprint/_arc.pxi", "src/currentprint/_arcmask.pxi",
                 "src/currentprint/_arcev.pxi", "src/currentprint/_arcind.pxi", "src/currentprint/_fused.pxd"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=compile_args,
    )
]

setup(ext_modules=cythonize(extensions, compiler_directives=directives))
