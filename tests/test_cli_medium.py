"""Tests of density and attenuation on the command line: ``info``, ``plot --field``, and
``convert`` of SEG-Y models with a density and a Q (or alpha0) file beside the velocity."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib.image import imread

import waveback as wb
from waveback.data import files
from waveback_cli.main import ERROR_EXIT_CODE, cli
from waveback_cli.plots import plot_model


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def model(rho=True, attenuation=None, ndim=2):
    shape = (11, 21) if ndim == 2 else (5, 6, 7)
    n = int(np.prod(shape))
    vp = np.linspace(1500.0, 2500.0, n).reshape(shape)
    density = np.linspace(1000.0, 2000.0, n).reshape(shape) if rho else None
    return wb.Model(vp, 10.0, rho=density, attenuation=attenuation)


def test_info_prints_density_and_attenuation(tmp_path):
    path = tmp_path / "m.h5"
    files.write_model(path, model(True, wb.ConstantQ(50.0, (5.0, 50.0), n_mechanisms=3)))
    lines = invoke("info", path).stdout.splitlines()
    assert lines[-3:] == [
        "density: 1000 to 2000 kg/m³",
        "attenuation: constant Q, q 50, band 5 to 50 Hz (vp is the phase velocity at 15.8114 Hz)",
        "fitted: 3 relaxation mechanisms (requested), largest Q error 0.224 % over the band",
    ]


def test_info_prints_a_power_law_and_the_chosen_mechanisms(tmp_path):
    path = tmp_path / "m.h5"
    alpha0 = np.full((11, 21), 0.5)
    alpha0[5:] = 1.0
    files.write_model(path, model(False, wb.PowerLaw(alpha0, 1.1, (1e6, 4e6))))
    lines = invoke("info", path).stdout.splitlines()
    assert lines[-3:] == [
        "density: none (constant density)",
        "attenuation: power law, alpha0 0.5 to 1 dB/(cm MHz^y), y 1.1, band 1e+06 to 4e+06 Hz "
        "(vp is the phase velocity at 2e+06 Hz)",
        "fitted: 3 relaxation mechanisms (chosen), largest Q error 0.0213 % over the band",
    ]


@pytest.mark.parametrize(
    ("field", "label", "values"),
    [
        ("vp", "vp (m/s)", lambda m: m.vp),
        ("rho", "ρ (kg/m³)", lambda m: m.rho),
        ("q", "Q at 15.81 Hz (dimensionless)", lambda m: m.attenuation.q),
    ],
)
def test_plot_model_draws_a_field_with_its_units(tmp_path, field, label, values):
    q = np.linspace(20.0, 200.0, 11 * 21).reshape(11, 21)
    m = model(True, wb.ConstantQ(q, (5.0, 50.0)))
    fig = plot_model(tmp_path / "m.png", m, field=field)
    ax, bar = fig.axes
    assert bar.get_ylabel() == label
    np.testing.assert_allclose(ax.images[0].get_array(), values(m), rtol=1e-15)


def test_plot_q_of_a_power_law_is_q_at_the_reference_frequency(tmp_path):
    m = model(False, wb.PowerLaw(0.5, 1.0, (1e6, 4e6)))
    fig = plot_model(tmp_path / "m.png", m, field="q")
    alpha = 0.5 * 2.0 * 100 * np.log(10) / 20  # Np/m at 2 MHz
    np.testing.assert_allclose(
        fig.axes[0].images[0].get_array(), np.pi * 2e6 / (alpha * m.vp), rtol=1e-12
    )


def test_plot_field_writes_the_figure_and_refuses_a_missing_field(tmp_path):
    path = tmp_path / "m.h5"
    files.write_model(path, model(True, None))
    pngs = {}
    for field in ("vp", "rho"):
        pngs[field] = tmp_path / f"{field}.png"
        result = invoke("plot", path, "-o", pngs[field], "--field", field)
        assert result.exit_code == 0, result.output
        assert result.stdout == f"wrote {pngs[field]}\n"
    assert not np.array_equal(imread(pngs["vp"]), imread(pngs["rho"]))
    result = invoke("plot", path, "-o", tmp_path / "q.png", "--field", "q")
    assert result.exit_code == ERROR_EXIT_CODE
    assert result.stderr == (
        "error: the model has no attenuation (lossless); plot --field vp or rho\n"
    )
    assert not (tmp_path / "q.png").exists()


def test_convert_exports_and_imports_density_and_q_files(tmp_path):
    q = np.linspace(20.0, 80.0, 231, dtype=np.float32).reshape(11, 21)
    m = model(True, wb.ConstantQ(q, (5.0, 50.0)))
    files.write_model(tmp_path / "model.h5", m)
    result = invoke("convert", tmp_path / "model.h5", tmp_path / "vp.segy")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"wrote {tmp_path / name}" for name in ("vp.segy", "vp_rho.segy", "vp_q.segy")
    ]
    back = tmp_path / "back.h5"
    result = invoke(
        "convert",
        tmp_path / "vp.segy",
        back,
        "--rho",
        tmp_path / "vp_rho.segy",
        "--q",
        tmp_path / "vp_q.segy",
    )
    assert result.exit_code == 0, result.output
    got = files.read_model(back)
    np.testing.assert_array_equal(got.rho, m.rho)
    np.testing.assert_array_equal(got.attenuation.q, q)
    assert got.attenuation.band == (5.0, 50.0)


def test_convert_names_the_density_and_q_files_and_refuses_a_wrong_kind(tmp_path):
    files.write_model(tmp_path / "m.h5", model(True, wb.PowerLaw(0.5, 1.2, (1e6, 3e6))))
    result = invoke("convert", tmp_path / "m.h5", tmp_path / "vp.sgy", "--q", tmp_path / "q.sgy")
    assert result.exit_code == ERROR_EXIT_CODE
    assert result.stderr == (
        "error: the model's attenuation is a power law: give its file with --alpha0, not --q\n"
    )
    result = invoke(
        "-q",
        "convert",
        tmp_path / "m.h5",
        tmp_path / "vp.sgy",
        "--rho",
        tmp_path / "density.sgy",
        "--alpha0",
        tmp_path / "a.sgy",
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.glob("*.sgy")) == ["a.sgy", "density.sgy", "vp.sgy"]
    result = invoke("convert", tmp_path / "vp.sgy", tmp_path / "b.h5", "--rho", tmp_path / "a.sgy")
    assert result.exit_code == ERROR_EXIT_CODE
    assert "a.sgy is a waveback alpha0 model, not a density (--rho)" in result.stderr


def test_convert_refuses_a_density_file_of_another_grid(tmp_path):
    files.write_model(tmp_path / "a.h5", model(False))
    files.write_model(tmp_path / "b.h5", model(True, ndim=3))
    assert invoke("-q", "convert", tmp_path / "a.h5", tmp_path / "a.segy").exit_code == 0
    assert invoke("-q", "convert", tmp_path / "b.h5", tmp_path / "b.segy").exit_code == 0
    result = invoke(
        "convert", tmp_path / "a.segy", tmp_path / "x.h5", "--rho", tmp_path / "b_rho.segy"
    )
    assert result.exit_code == ERROR_EXIT_CODE
    assert "holds a 5 x 6 x 7 at spacing 10 x 10 x 10 m" in result.stderr
    assert "the files must share the velocity's grid" in result.stderr
    assert not (tmp_path / "x.h5").exists()


@pytest.mark.parametrize(
    ("rho", "attenuation", "kept"),
    [
        (True, wb.ConstantQ(40.0, (5.0, 50.0)), "kept the density and the attenuation of "),
        (False, wb.ConstantQ(40.0, (5.0, 50.0)), "kept the attenuation of "),
        (True, None, "kept the density of "),
    ],
)
def test_model_like_keeps_the_density_and_attenuation_of_its_file(tmp_path, rho, attenuation,
                                                                  kept):  # fmt: skip
    like = tmp_path / "like.h5"
    reference = model(rho, attenuation)
    files.write_model(like, reference)
    np.save(tmp_path / "vp.npy", np.full(reference.shape, 1800.0))
    result = invoke("model", tmp_path / "vp.npy", "--like", like, "-o", tmp_path / "m.h5")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == f"{kept}{like}"
    got = files.read_model(tmp_path / "m.h5")
    assert np.all(got.vp == np.float32(1800.0))
    if rho:
        np.testing.assert_array_equal(got.rho, reference.rho)
    else:
        assert got.rho is None
    assert repr(got.attenuation) == repr(reference.attenuation)
