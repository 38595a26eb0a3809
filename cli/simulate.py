"""``waveback simulate``: model every shot of a scene into a resumable HDF5 shot file.

Each shot is committed as soon as it finishes (:class:`waveback.data.resumable.ResumableShotFile`),
so a rerun of the same command after an interruption runs only the missing shots.
"""

from __future__ import annotations

import logging
import shlex
import time
from importlib import resources
from pathlib import Path

import click

import waveback as wb
from waveback.data.resumable import ResumableShotFile
from waveback.data.scenes import Scene, read_scene
from waveback.physics.progress import progress_bar

from .options import executor_options, output_option, overwrite_option, tdc_option
from .outputs import check_writable, hold_lock
from .scaleout import open_executor

log = logging.getLogger("waveback_cli")

#: Package that holds the bundled scene files (``data/scenes`` in the source tree).
SCENES_PACKAGE = "waveback_cli.scenes"


def bundled_scenes() -> list[str]:
    """Names of the scenes shipped with waveback (``seismic_2d``, ``demo``, ...)."""
    root = resources.files(SCENES_PACKAGE)
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".toml"))


def resolve_scene(name_or_path: str) -> Scene:
    """Read a scene file, or the bundled scene of that name when no such file exists."""
    path = Path(name_or_path)
    if not path.is_file() and name_or_path in bundled_scenes():
        with resources.as_file(resources.files(SCENES_PACKAGE) / f"{name_or_path}.toml") as p:
            return read_scene(p)
    if not path.is_file():
        raise FileNotFoundError(
            f"scene {path}: no such file; give a TOML scene file or the name of a bundled "
            f"scene ({', '.join(bundled_scenes())})"
        )
    return read_scene(path)


def snapshot_indices(nt: int, count: int) -> list[int]:
    """``count`` time indices evenly inside the record, at ``k / (count + 1)`` of it."""
    return [int(round((k + 1) / (count + 1) * (nt - 1))) for k in range(count)]


def run_scene(
    scene: Scene,
    output: Path,
    *,
    command: str,
    snapshots: int = 0,
    time_dispersion_correction: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    executor=None,
) -> tuple[ResumableShotFile, int]:
    """Simulate the shots of ``scene`` missing from ``output`` and complete the file.

    ``time_dispersion_correction`` runs the corrected forward (:mod:`waveback.physics.dispersion`);
    it cannot be combined with ``snapshots``. ``executor`` runs the shots
    (:func:`waveback.simulate`; None: one after the other here); each is committed as it
    arrives. Returns the run and the number of shots simulated now (0 when ``output`` was
    complete or every shot was committed by an earlier run). ``snapshots`` beyond what fits
    strictly inside the record (``nt - 2``) are refused.
    """
    survey = scene.survey
    tdc = time_dispersion_correction
    if tdc and snapshots:
        raise ValueError(
            "wavefield snapshots cannot be corrected for time dispersion: drop --snapshots or --tdc"
        )
    if snapshots > max(survey.nt - 2, 0):
        raise ValueError(
            f"--snapshots {snapshots}: the record has nt = {survey.nt} time samples, so at "
            f"most {max(survey.nt - 2, 0)} distinct snapshots fit strictly inside it; give fewer"
        )
    indices = snapshot_indices(survey.nt, snapshots)
    run = ResumableShotFile(
        output,
        survey,
        indices,
        command=command,
        parameters=scene.text,
        time_dispersion_correction=tdc,
        overwrite=overwrite,
    )
    pending = run.pending
    if len(pending) < len(survey.shots) and not run.complete:
        log.info(
            "resuming %s: %d of %d shots already committed",
            output,
            len(run.committed),
            len(survey.shots),
        )
    with progress_bar(
        progress,
        "shots",
        "shot",
        total=len(survey.shots),
        initial=len(survey.shots) - len(pending),
        leave=True,
    ) as bar:

        def commit(i, data, fields):
            run.commit(i, data, fields)
            log.info("shot %d of %d committed", i + 1, len(survey.shots))
            bar.update()

        wb.simulate(
            survey,
            executor=executor,
            indices=pending,
            snapshots=indices or None,
            on_shot=commit,
            progress=progress,
            time_dispersion_correction=tdc,
        )
    run.finish()
    return run, len(pending)


@click.command()
@click.argument("scene")
@output_option("The HDF5 shot file to write (SHOTS.h5).")
@click.option(
    "--snapshots",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Also store this many wavefield snapshots per shot, evenly spread in time.",
)
@tdc_option("Correct the leapfrog's time dispersion (pre- and post-warps; not with --snapshots).")
@overwrite_option("Replace an output that holds something else.")
@executor_options
@click.pass_context
def simulate(
    ctx: click.Context,
    scene: str,
    output: Path,
    snapshots: int,
    tdc: bool,
    overwrite: bool,
    executor: str | None,
    workers: int | None,
    scheduler: str | None,
):
    """Model every shot of SCENE and write them to an HDF5 shot file.

    SCENE is a TOML scene file (docs/scenes.md) or the name of a bundled scene:
    `waveback scenes` lists them all, `waveback scenes NAME` prints one's TOML.

    --tdc removes the time-stepping error from the traces (waveback.physics.dispersion), so that
    only the spatial error is left; it is part of the file's fingerprint.

    Each shot is committed as soon as it finishes: after an interruption, run the same
    command again and it simulates only the missing shots. An output that already holds this
    simulation is left as it is; one that holds anything else is refused unless --overwrite.
    While it runs the output is locked (SHOTS.h5.lock): a second run on it is refused.
    Shots run in parallel (--executor, --workers, --scheduler); the file is the same bit for
    bit whichever runs them.
    """
    quiet = ctx.obj["quiet"]
    start = time.perf_counter()
    parsed = resolve_scene(scene)
    survey = parsed.survey
    log.info("scene %s: %r, dt = %.4g s, nt = %d", parsed.path, survey.model, survey.dt, survey.nt)
    extra = (["--snapshots", str(snapshots)] if snapshots else []) + (["--tdc"] if tdc else [])
    command = shlex.join(["waveback", "simulate", scene, "-o", str(output), *extra])
    check_writable(output)
    hold_lock(ctx, output)
    try:
        with open_executor(executor, workers, scheduler) as ex:
            run, ran = run_scene(
                parsed,
                output,
                command=command,
                snapshots=snapshots,
                time_dispersion_correction=tdc,
                overwrite=overwrite,
                progress=not quiet,
                executor=ex,
            )
    except KeyboardInterrupt:
        raise KeyboardInterrupt("run the same command again to resume") from None
    if quiet:
        return
    n = len(survey.shots)
    if run.found_complete:
        click.echo(f"{output} already holds this simulation ({n} shots); nothing to do")
        return
    resumed = f", {n - ran} resumed from an earlier run" if ran < n else ""
    click.echo(f"wrote {output}: {n} shots ({ran} simulated{resumed})")
    click.echo(
        f"{' x '.join(map(str, survey.model.shape))} grid, nt = {survey.nt} at "
        f"dt = {survey.dt:.4g} s ({survey.time[-1]:.4g} s)"
        f"{', time dispersion corrected' if tdc else ''}; wall time "
        f"{time.perf_counter() - start:.1f} s"
    )
