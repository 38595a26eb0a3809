"""Progress bars over time steps and shots, shown only when asked for.

One helper, :func:`progress_bar`, makes every bar of waveback and its command line: the time
steps of :func:`waveback.forward` and :func:`waveback.adjoint` (:func:`time_steps`), the forward
and adjoint steps of :func:`waveback.gradient`, and the shots of the parallel workflows
(:func:`waveback.executors.counted`) and of ``waveback simulate``. Bars are ``tqdm.auto`` bars on
stderr (widgets in a notebook); tqdm is imported only when one is shown.
"""

from __future__ import annotations


def progress_bar(
    progress: bool, desc: str, unit: str, *, total=None, initial=0, iterable=None, leave=False
):
    """A tqdm bar, or a silent stand-in with the same use when ``progress`` is false.

    Parameters
    ----------
    progress : bool
        Show the bar.
    desc, unit : str
        The bar's label and the name of what it counts (``"step"``, ``"shot"``).
    total : int, optional
        The count at completion; default ``len(iterable)``.
    initial : int
        The count to start from (e.g. the shots a resumed run already has).
    iterable : iterable, optional
        Items to pass through, counting each; without it, count with ``bar.update()``.
    leave : bool
        Keep the finished bar on screen (default: clear it).

    Returns
    -------
    tqdm or Silent
        Iterable over ``iterable``, a context manager, and ``update(n=1)`` counts ``n`` more.
    """
    if not progress:
        return Silent(iterable)
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, initial=initial, desc=desc, unit=unit, leave=leave)


def time_steps(nt: int, progress: bool, reverse: bool = False):
    """The time indices ``0 .. nt - 1`` (``nt - 1 .. 0`` with ``reverse``), with a bar.

    The bar (``"time steps"``, or ``"adjoint time steps"`` in reverse) clears when done.
    """
    steps = range(nt - 1, -1, -1) if reverse else range(nt)
    return progress_bar(
        progress, "adjoint time steps" if reverse else "time steps", "step", iterable=steps
    )


class Silent:
    """What :func:`progress_bar` returns when no bar is shown: it passes items through."""

    def __init__(self, iterable=None):
        self.iterable = iterable

    def __iter__(self):
        return iter(self.iterable)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n=1):
        """Count nothing."""
