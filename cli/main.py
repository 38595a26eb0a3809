"""The ``waveback`` command group, its error reporting, and the ``check`` command.

Library errors (``ValueError``, ``TypeError``, ``OSError``, ``MemoryError`` and a missing
optional module: ``ModuleNotFoundError``) become one line on stderr, ``error: <message>``, and
exit status 2; ``-v`` adds the traceback above that line. Ctrl-C (``KeyboardInterrupt``)
becomes one line, ``interrupted`` (with the command's resume hint, the exception's argument,
when it has one), and exit status 130. Each other command lives in its own module:
``simulate``, ``image``, ``invert``, ``demo``, ``plot``, ``info``, ``convert``, ``wavelet``
(``estimate``), ``scenes`` (``catalogue``), ``smooth``, ``model``. Every command also takes
``-v`` and ``-q`` after its name.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
import traceback
import warnings

import click

import waveback as wb

from . import INTERRUPTED_EXIT_CODE
from .catalogue import scenes
from .convert import convert
from .demo import demo
from .estimate import wavelet
from .image import image
from .info import info
from .invert import invert
from .model import model
from .plot import plot
from .simulate import simulate
from .smooth import smooth

#: Exceptions reported as one line and exit status 2 instead of a traceback.
REPORTED_ERRORS = (ValueError, TypeError, OSError, ModuleNotFoundError, MemoryError)
ERROR_EXIT_CODE = 2
#: Seconds after which a Ctrl-C dropped in a finalizer is raised again.
REDELIVERY_DELAY = 0.1


class WavebackGroup(click.Group):
    """A click group that turns :data:`REPORTED_ERRORS` into ``error: <message>`` and Ctrl-C
    into ``interrupted``."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except REPORTED_ERRORS as exc:
            self._report(ctx, "error", exc, ERROR_EXIT_CODE)
        except KeyboardInterrupt as exc:
            self._report(ctx, "interrupted", exc, INTERRUPTED_EXIT_CODE)

    @staticmethod
    def _report(ctx: click.Context, label: str, exc: BaseException, code: int):
        if ctx.params.get("verbose"):
            click.echo(traceback.format_exc().rstrip(), err=True)
        message = " ".join(str(exc).split())
        if label == "error":
            message = message or type(exc).__name__
        click.echo(f"{label}: {message}" if message else label, err=True)
        ctx.exit(code)


@click.group(
    "waveback", cls=WavebackGroup, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(wb.__version__, "--version", prog_name="waveback")
@click.option("-v", "--verbose", is_flag=True, help="Log progress details; show tracebacks.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool, quiet: bool) -> None:
    """Finite-difference acoustic wave simulation (m u_tt - lap u = s, SI units, z first)."""
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = {"verbose": False, "quiet": False}
    set_verbosity(ctx, verbose=verbose, quiet=quiet)


def set_verbosity(ctx: click.Context, *, verbose: bool, quiet: bool) -> None:
    """Turn on -v and -q (given before or after the subcommand) for the whole run."""
    root = ctx.find_root()
    root.obj["verbose"] = root.params["verbose"] = root.obj["verbose"] or verbose
    root.obj["quiet"] = root.params["quiet"] = root.obj["quiet"] or quiet
    level = logging.DEBUG if root.obj["verbose"] else logging.WARNING
    for name in ("waveback", "waveback_cli"):
        logging.getLogger(name).setLevel(level)


def with_global_options(command: click.Command) -> click.Command:
    """Let ``command`` take -v and -q after its name too, with the group's meaning."""
    command.params += [
        click.Option(
            ["-v", "--verbose", "verbose_after"],
            is_flag=True,
            expose_value=False,
            callback=_verbose,
            help="Log progress details; show tracebacks (as waveback -v).",
        ),
        click.Option(
            ["-q", "--quiet", "quiet_after"],
            is_flag=True,
            expose_value=False,
            callback=_quiet,
            help="No progress bar and no summary (as waveback -q).",
        ),
    ]
    return command


def _verbose(ctx: click.Context, _, value: bool) -> None:
    if value:
        set_verbosity(ctx, verbose=True, quiet=False)


def _quiet(ctx: click.Context, _, value: bool) -> None:
    if value:
        set_verbosity(ctx, verbose=False, quiet=True)


@click.command()
@click.option("--json", "as_json", is_flag=True, help='Print {"results": [...]} as JSON.')
@click.option("--ndim", type=click.Choice(["2", "3"]), multiple=True, help="Dimensions to test.")
@click.option("--boundary", type=click.Choice(["cpml", "sponge"]), multiple=True)
@click.option("--free-surface", type=click.Choice(["on", "off"]), multiple=True)
@click.option("--interpolation", type=click.Choice(["linear", "sinc"]), multiple=True)
@click.option(
    "--density",
    type=click.Choice(["on", "off"]),
    multiple=True,
    help="Models with a random density (on) or constant density (off, the default).",
)
@click.option(
    "--attenuation",
    type=click.Choice(["on", "off"]),
    multiple=True,
    help="Attenuating models, constant Q (on), or lossless ones (off, the default); with "
    "--density on, both.",
)
@click.option("--no-linearisation", is_flag=True, help="Skip the Born and Taylor slope tests.")
@click.pass_context
def check(
    ctx, as_json, ndim, boundary, free_surface, interpolation, density, attenuation,
    no_linearisation,
):  # fmt: skip
    """Verify the backward pass on small float64 grids.

    Dot-product tests of forward/adjoint, born/gradient and initial pressure, the hand-written
    adjoints against the taped reverse pass, the Born consistency and Taylor tests. Without
    option filters a representative set of cases runs; any filter selects the full matrix of
    the chosen values (others: all). Each case is announced on stderr as it starts (not with
    -q). Exits with status 1 if any check fails.
    """
    from waveback.verification.checks import option_matrix, run_checks

    cases = None
    if ndim or boundary or free_surface or interpolation or density or attenuation:
        cases = option_matrix(
            tuple(int(d) for d in ndim) or (2, 3),
            boundary or ("cpml", "sponge"),
            tuple(f == "on" for f in free_surface) or (False, True),
            interpolation or ("linear", "sinc"),
            tuple(d == "on" for d in density) or (False,),
            tuple(a == "on" for a in attenuation) or (False,),
        )
    results = run_checks(cases, not no_linearisation, None if ctx.obj["quiet"] else _progress)
    if as_json:
        click.echo(json.dumps({"results": results}, indent=1))
    else:
        width = max(len(r["name"]) for r in results)
        for r in results:
            verdict = "ok" if r["passed"] else "FAILED"
            click.echo(
                f"{r['name']:<{width}}  {r['error']:9.2e} <= {r['tolerance']:.0e}  {verdict}"
            )
        failed = sum(not r["passed"] for r in results)
        click.echo(f"{len(results) - failed} passed, {failed} failed")
    if any(not r["passed"] for r in results):
        ctx.exit(1)


for command in (
    simulate,
    image,
    invert,
    demo,
    plot,
    info,
    convert,
    wavelet,
    check,
    scenes,
    smooth,
    model,
):
    cli.add_command(with_global_options(command))


def _progress(step: int, steps: int, label: str) -> None:
    click.echo(f"[{step}/{steps}] {label}", err=True)


def warning_printer():
    """A ``warnings.showwarning`` that prints library warnings as ``warning: <message>`` lines.

    Each kind of warning (its category and the text before the first colon, e.g. ``grid
    dispersion``) is printed once: an inversion that tries a hundred models warns once.
    """
    seen = set()

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        text = " ".join(str(message).split())
        kind = (category, text.split(":", 1)[0])
        if kind not in seen:
            seen.add(kind)
            click.echo(f"warning: {text}", err=True)

    return show


def interrupt_redeliverer(hook):
    """A ``sys.unraisablehook`` that raises Ctrl-C again when it landed where it is ignored.

    A ``KeyboardInterrupt`` raised inside a finalizer or a weakref callback (h5py and
    multiprocessing free objects all the time) is printed as "Exception ignored" and dropped,
    and the run went on as if Ctrl-C had not been pressed. This hook has a timer thread send
    SIGINT to the main thread once more, a moment after the hook has returned (an interrupt
    raised in the hook itself would be dropped too; a real signal, unlike
    ``_thread.interrupt_main``, also wakes a main thread that waits); every other unraisable
    exception goes to ``hook``.
    """
    main_thread = threading.main_thread().ident

    def unraisable(info) -> None:
        if issubclass(info.exc_type, KeyboardInterrupt):
            timer = threading.Timer(
                REDELIVERY_DELAY, signal.pthread_kill, (main_thread, signal.SIGINT)
            )
            timer.daemon = True
            timer.start()
        else:
            hook(info)

    return unraisable


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the ``waveback`` group on ``argv`` (default sys.argv)."""
    warnings.showwarning = warning_printer()
    sys.unraisablehook = interrupt_redeliverer(sys.unraisablehook)
    cli.main(args=argv, prog_name="waveback")
