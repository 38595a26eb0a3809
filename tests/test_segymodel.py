"""Tests of SEG-Y models with density and attenuation files (``waveback.data.segymodel``)."""

from __future__ import annotations

import numpy as np
import pytest
import segyio
from test_medium import assert_same_attenuation

import waveback as wb
from waveback.data import segy, segymodel


def model(ndim=2, rho=True, attenuation=None):
    shape = (11, 21) if ndim == 2 else (5, 6, 7)
    n = int(np.prod(shape))
    vp = np.linspace(1500.0, 2500.0, n).reshape(shape)
    density = np.linspace(1000.0, 2000.0, n).reshape(shape) if rho else None
    return wb.Model(
        vp, [10.0, 5.0, 2.5][-ndim:], [1.0] * ndim, rho=density, attenuation=attenuation
    )


ATTENUATIONS = [
    None,
    wb.ConstantQ(50.0, (5.0, 50.0)),
    # SEG-Y samples are float32: values exact in float32 come back exactly
    wb.ConstantQ(np.linspace(20.0, 80.0, 231, dtype=np.float32).reshape(11, 21), (5.0, 50.0), 4),
    wb.PowerLaw(np.full((11, 21), 0.5), 1.5, (1e6, 4e6), n_mechanisms=3),
]


@pytest.mark.parametrize("attenuation", ATTENUATIONS)
@pytest.mark.parametrize("rho", [False, True])
def test_round_trip_with_density_and_attenuation(tmp_path, rho, attenuation):
    m = model(2, rho, attenuation)
    written = segymodel.write_segy_medium(m, tmp_path / "vp.segy")
    kind = segymodel.attenuation_kind(m)
    expected = ["vp.segy"] + ["vp_rho.segy"] * rho + [f"vp_{kind}.segy"] * (kind is not None)
    assert [p.name for p in written] == expected
    assert [segy.model_quantity(p) for p in written] == [
        "velocity",
        *(["density"] * rho),
        *([kind] * (kind is not None)),
    ]
    files = dict(zip(("rho", "att"), written[1:], strict=False)) if rho else {"att": written[-1]}
    back = segymodel.read_segy_medium(
        written[0],
        rho=files.get("rho") if rho else None,
        q=files.get("att") if kind == "q" else None,
        alpha0=files.get("att") if kind == "alpha0" else None,
    )
    np.testing.assert_array_equal(back.vp, m.vp)
    assert (back.spacing, back.origin) == (m.spacing, m.origin)
    if rho:
        np.testing.assert_array_equal(back.rho, m.rho)
    else:
        assert back.rho is None
    if attenuation is not None and np.ndim(getattr(attenuation, kind)) == 0:
        # SEG-Y stores a value per point: a scalar comes back as a constant array
        assert np.all(getattr(back.attenuation, kind) == getattr(attenuation, kind))
    else:
        assert_same_attenuation(back.attenuation, m.attenuation)


def test_3d_round_trip(tmp_path):
    m = model(3, True, wb.ConstantQ(30.0, (2.0, 20.0)))
    vp, rho, q = segymodel.write_segy_medium(m, tmp_path / "m.sgy")
    back = segymodel.read_segy_medium(vp, rho=rho, q=q)
    np.testing.assert_array_equal(back.rho, m.rho)
    assert back.attenuation.band == (2.0, 20.0) and np.all(back.attenuation.q == 30.0)


def foreign(path, values):
    """A SEG-Y file written by segyio alone: one trace per column, no grid in its header."""
    segyio.tools.from_array(str(path), np.ascontiguousarray(values.T, np.float32), format=5)
    return path


def test_foreign_files_need_the_grid_and_the_band(tmp_path):
    vp = foreign(tmp_path / "vp.segy", np.full((9, 7), 2000.0))
    rho = foreign(tmp_path / "rho.segy", np.full((9, 7), 1800.0))
    alpha0 = foreign(tmp_path / "a.segy", np.full((9, 7), 0.7))
    with pytest.raises(ValueError, match="does not record its attenuation band: give --band"):
        segymodel.read_segy_medium(vp, 5.0, rho, alpha0=alpha0, y=1.2)
    with pytest.raises(ValueError, match="does not record the power law's y: give --y"):
        segymodel.read_segy_medium(vp, 5.0, rho, alpha0=alpha0, band=(1e6, 3e6))
    m = segymodel.read_segy_medium(vp, 5.0, rho, alpha0=alpha0, y=1.2, band=(1e6, 3e6))
    assert m.shape == (9, 7) and m.spacing == (5.0, 5.0)
    assert np.all(m.rho == 1800.0) and m.attenuation.y == 1.2
    np.testing.assert_array_equal(m.attenuation.alpha0, np.float32(0.7))


def test_files_of_another_grid_are_refused(tmp_path):
    vp = foreign(tmp_path / "vp.segy", np.full((9, 7), 2000.0))
    small = foreign(tmp_path / "rho.segy", np.full((9, 6), 1800.0))
    with pytest.raises(
        ValueError,
        match=r"--rho .*rho.segy holds a 9 x 6 at spacing 5 x 5 m, origin \(0.0, 0.0\) m grid, "
        r"but the velocity .*vp.segy holds 9 x 7 at spacing 5 x 5 m, origin \(0.0, 0.0\) m; ",
    ):
        segymodel.read_segy_medium(vp, 5.0, small)
    m = model(2, True, wb.ConstantQ(50.0, (5.0, 50.0)))
    _, rho, q = segymodel.write_segy_medium(m, tmp_path / "a.segy")
    moved = wb.Model(m.vp, m.spacing, (0.0, 0.0))
    segymodel.write_segy_medium(moved, tmp_path / "b.segy")
    with pytest.raises(
        ValueError,
        match=r"--q .*a_q.segy holds a 11 x 21 at spacing 5 x 2.5 m, origin \(1.0, 1.0\) m grid, "
        r"but the velocity .*b.segy holds 11 x 21 at spacing 5 x 2.5 m, origin \(0.0, 0.0\) m",
    ):
        segymodel.read_segy_medium(tmp_path / "b.segy", rho=None, q=q)


def test_a_file_of_another_quantity_is_refused(tmp_path):
    m = model(2, True, wb.ConstantQ(50.0, (5.0, 50.0)))
    vp, rho, q = segymodel.write_segy_medium(m, tmp_path / "m.segy")
    with pytest.raises(ValueError, match="m_rho.segy is a waveback density model, not the vel"):
        segymodel.read_segy_medium(rho)
    with pytest.raises(ValueError, match=r"m_q.segy is a waveback q model, not a density \(--rho"):
        segymodel.read_segy_medium(vp, rho=q)
    with pytest.raises(ValueError, match="give at most one attenuation file"):
        segymodel.read_segy_medium(vp, q=q, alpha0=q)
