"""Build the Cython core of slosim.

Every extension is listed explicitly. Compiler directives live here, not in
file headers, so that ``SLOSIM_DEBUG=1`` turns bounds checks, wraparound
checks and C assertions back on for a debug run of the test suite::

    SLOSIM_DEBUG=1 pip install -e . --no-build-isolation

``SLOSIM_NATIVE=1`` compiles for the build machine's own instruction set
(``-march=native``); the default build runs on any x86-64 / arm64 machine.
"""

import os
import sys

from Cython.Build import cythonize
import numpy as np
from setuptools import Extension, setup

DEBUG = os.environ.get("SLOSIM_DEBUG", "0") not in ("", "0")
NATIVE = os.environ.get("SLOSIM_NATIVE", "0") not in ("", "0")

directives = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "initializedcheck": DEBUG,
    "cdivision": not DEBUG,
    "nonecheck": DEBUG,
    "embedsignature": True,
}

numpy_dir = os.path.dirname(np.__file__)
npyrandom_dir = os.path.join(numpy_dir, "random", "lib")
npymath_dir = os.path.join(numpy_dir, "_core", "lib")
if not os.path.isdir(npymath_dir):  # numpy < 2
    npymath_dir = os.path.join(numpy_dir, "core", "lib")

if sys.platform == "win32":
    compile_args = ["/O2"]
else:
    compile_args = ["-O0", "-g"] if DEBUG else ["-O3"]
    if NATIVE:
        compile_args.append("-march=native")
macros = [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]
if not DEBUG:
    macros.append(("NDEBUG", None))

extensions = [
    Extension(
        "slosim._core._kernels",
        sources=["src/slosim/_core/_kernels.pyx"],
        include_dirs=[np.get_include(), "src/slosim/_core"],
        depends=["src/slosim/_core/_bitops.h"],
        library_dirs=[npyrandom_dir, npymath_dir],
        libraries=["npyrandom", "npymath"],
        define_macros=macros,
        extra_compile_args=compile_args,
    ),
    Extension(
        "slosim._core._timeline",
        sources=["src/slosim/_core/_timeline.pyx"],
        include_dirs=[np.get_include()],
        library_dirs=[npyrandom_dir, npymath_dir],
        libraries=["npyrandom", "npymath"],
        define_macros=macros,
        extra_compile_args=compile_args,
    ),
    *(Extension(
        f"slosim._core.{name}",
        sources=[f"src/slosim/_core/{name}.pyx"],
        include_dirs=[np.get_include()],
        define_macros=macros,
        extra_compile_args=compile_args,
    ) for name in ("_bdd", "_batch", "_pairs", "_graphs")),
]

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives=directives,
        annotate=DEBUG,
    ),
)
