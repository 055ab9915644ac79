"""Compiled kernels of slosim (Cython): arrays in, arrays out; no names, no policy.

``_kernels`` samples and evaluates bit-packed Monte Carlo blocks,
``_bdd`` builds and evaluates decision diagrams. The engines
(:mod:`slosim.engines`) call them; nothing else does.
"""

__all__ = ["stale_extensions"]


def stale_extensions():
    """The compiled kernels older than a source they are built from.

    An editable install does not rebuild on import: after editing a
    ``.pyx``, a ``.pxd`` or a C header of this folder, the compiled module
    is stale until ``make dev`` rebuilds it. Every header and ``.pxd`` of
    the folder counts for every kernel (a rebuild too many costs seconds;
    a test run against a stale kernel costs a wrong answer).

    Returns
    -------
    list of str
        The ``.pyx`` files whose compiled module is missing or older than
        the newest of the ``.pyx`` and the shared sources; empty when the
        sources are not installed (a wheel).
    """
    import pathlib  # here, not at import: only tests and benchmarks ask

    here = pathlib.Path(__file__).resolve().parent
    shared = [p.stat().st_mtime for p in (*here.glob("*.h"), *here.glob("*.pxd"))]
    stale = []
    for pyx in sorted(here.glob("*.pyx")):
        built = [*here.glob(pyx.stem + ".*.so"), *here.glob(pyx.stem + ".*.pyd")]
        newest = max([pyx.stat().st_mtime, *shared])
        if not built or min(b.stat().st_mtime for b in built) < newest:
            stale.append(pyx.name)
    return stale
