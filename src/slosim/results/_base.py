"""What every result shares: the journey mapping, number formats, pandas."""

from collections.abc import Mapping
import math

__all__ = ["JourneyMapping", "fmt_samples", "fmt_estimate", "pandas", "pyplot"]


def fmt_samples(n):
    """10**7 for powers of ten, 1_234_567 otherwise."""
    if n >= 1000:
        e = round(math.log10(n))
        if 10**e == n:
            return f"10**{e}"
    return f"{n:_}"


def fmt_estimate(value, err):
    """Value rounded to the digit of its error's second significant figure."""
    if err > 0:
        digits = max(0, 1 - int(math.floor(math.log10(err))))
        return f"{value:.{min(digits, 15)}f}"
    return repr(value)


def pandas():
    """The pandas module, or an ImportError saying how to install it."""
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(
            "to_frame() needs pandas; install it with `pip install pandas` "
            "(or `pip install slosim[frame]`)"
        ) from None
    return pd


def pyplot():
    """matplotlib's pyplot, or an ImportError saying how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "plot() needs matplotlib; install it with `pip install matplotlib` "
            "(or `pip install slosim[plot]`)"
        ) from None
    return plt


def new_axes(ax):
    """``ax``, or the axes of a new matplotlib figure when it is None (an
    ImportError saying how to install matplotlib when it is missing)."""
    if ax is None:
        ax = pyplot().figure().add_subplot()
    return ax


class JourneyMapping(Mapping):
    """Read-only mapping journey name -> result, over ``self.journeys``."""

    def __getitem__(self, name):
        try:
            return self.journeys[name]
        except KeyError:
            raise KeyError(
                f"no journey {name!r}; journeys are: {', '.join(self.journeys)}"
            ) from None

    def __iter__(self):
        return iter(self.journeys)

    def __len__(self):
        return len(self.journeys)

    _SHOWN = 10

    def _table(self, header, row):
        """``header``, then each of the first journeys' name and ``row(result)``."""
        lines = [header]
        shown = list(self.journeys.values())[:self._SHOWN]
        width = max(len(r.journey) for r in shown)
        lines += [f"  {r.journey:<{width}}  {row(r)}" for r in shown]
        if len(self.journeys) > self._SHOWN:
            lines.append(f"  ... {len(self.journeys) - self._SHOWN} more")
        return "\n".join(lines)
