"""``waveback scenes``: the bundled scenes, one line each, or the TOML text of one of them.

The module is not named ``scenes``: ``waveback_cli.scenes`` is the package of the bundled
scene files (``data/scenes``).
"""

from __future__ import annotations

import tomllib
from importlib import resources

import click

from .simulate import SCENES_PACKAGE, bundled_scenes


def scene_text(name: str) -> str:
    """The TOML text of the bundled scene ``name``."""
    if name not in bundled_scenes():
        raise ValueError(
            f"no bundled scene {name!r}; the bundled scenes are {', '.join(bundled_scenes())}"
        )
    return (resources.files(SCENES_PACKAGE) / f"{name}.toml").read_text(encoding="utf-8")


def summary(text: str) -> str:
    """A scene's dimensions and description from its TOML text, without building its model.

    ``2D, 121 x 301 grid, 1.2 x 3 km: <description>``; the extent is in km above a metre,
    in mm below.
    """
    doc = tomllib.loads(text)
    shape = doc["model"]["shape"]
    spacing = doc["model"]["spacing"]
    spacing = spacing if isinstance(spacing, list) else [spacing] * len(shape)
    extent = [h * (n - 1) for h, n in zip(spacing, shape, strict=True)]
    scale, unit = (1e-3, "km") if max(extent) > 1.0 else (1e3, "mm")
    size = " x ".join(f"{e * scale:.3g}" for e in extent)
    grid = " x ".join(map(str, shape))
    return f"{len(shape)}D, {grid} grid, {size} {unit}: {doc.get('description', '')}"


@click.command()
@click.argument("name", required=False)
@click.pass_context
def scenes(ctx: click.Context, name: str | None) -> None:
    """List the bundled scenes, or print the TOML of scene NAME to start a scene file from.

    Each line gives a scene's name, dimensions, grid, extent and description. `waveback
    scenes NAME > my.toml` copies one to edit (keys in docs/scenes.md); `waveback simulate`
    takes a bundled name or a scene file.
    """
    if name is not None:
        click.echo(scene_text(name), nl=False)
        return
    names = bundled_scenes()
    width = max(map(len, names))
    for scene in names:
        click.echo(f"{scene:<{width}}  {summary(scene_text(scene))}")
