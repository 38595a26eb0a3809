"""Tests of scene files (``waveback.data.scenes``): bundled scenes, every key kind, and errors."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

import waveback as wb
from waveback.data import files, phantoms, segy
from waveback.data.scenes import SceneError, parse_scene, read_scene
from waveback.physics import checkpointing

SCENES = Path(__file__).resolve().parent.parent / "data" / "scenes"

MINIMAL = """
[model]
generator = "layered"
shape = [21, 41]
spacing = 10.0
depths = [100.0]
velocities = [1500.0, 2000.0]

[acquisition]
kind = "surface_line"
shots = 2
source_depth = 10.0

[wavelet]
kind = "ricker"
f0 = 15.0

[time]
nt = 100
"""


def scene(*replace, extra=""):
    """MINIMAL with (old, new) replacements and extra text appended."""
    text = MINIMAL
    for old, new in replace:
        assert old in text
        text = text.replace(old, new)
    return text + extra


@pytest.mark.parametrize(
    ("name", "ndim", "nshots", "nsrc"),
    [
        ("seismic_2d", 2, 5, 1),
        ("seismic_3d", 3, 4, 1),
        ("ultrasound_linear", 2, 3, 64),
        ("ultrasound_ring", 2, 8, 1),
        ("seismic_marmousi", 2, 16, 1),
        ("seismic_salt_2d", 2, 9, 1),
        ("ultrasound_plane_wave", 2, 9, 128),
        ("ultrasound_ct", 2, 32, 1),
        ("demo", 2, 3, 1),
        ("demo_small", 2, 1, 1),
    ],
)
def test_bundled_scenes_read(name, ndim, nshots, nsrc):
    sc = read_scene(SCENES / f"{name}.toml")
    survey = sc.survey
    assert survey.model.ndim == ndim and len(survey.shots) == nshots
    assert survey.shots[0].src.shape == (nsrc, ndim)
    assert survey.dt <= survey.model.critical_dt() and sc.description
    assert sc.text == (SCENES / f"{name}.toml").read_text()


def test_demo_scenes_use_the_layered_2d_model():
    from waveback.data.phantoms import layered_2d

    for name, shape in (("demo", (201, 401)), ("demo_small", (101, 201))):
        np.testing.assert_array_equal(
            read_scene(SCENES / f"{name}.toml").survey.model.vp, layered_2d(*shape)
        )


def test_minimal_scene_defaults():
    survey = parse_scene(MINIMAL)
    model = survey.model
    assert model.boundary == "cpml" and model.nbl == 20 and model.space_order == 8
    assert not model.free_surface and model.dtype == np.float32
    assert survey.dt == pytest.approx(0.6 * model.critical_dt(), rel=1e-15) and survey.nt == 100
    assert survey.interpolation == "linear"
    np.testing.assert_array_equal(survey.shots[0].rec[:, 0], 10.0)  # receiver_depth default
    np.testing.assert_array_equal(survey.shots[0].wavelet[:, 0], wb.ricker(15.0, survey.dt, 100))


def test_boundary_numerics_and_time_keys():
    text = scene(
        ("nt = 100", "duration = 0.1\ndt = 1e-3"),
        extra='[boundary]\nkind = "sponge"\nnbl = 12\nfree_surface = true\n'
        '[numerics]\nspace_order = 4\ndtype = "float64"\ninterpolation = "sinc"\n',
    )
    survey = parse_scene(text)
    m = survey.model
    assert (m.boundary, m.nbl, m.free_surface, m.space_order, m.dtype) == (
        "sponge",
        12,
        True,
        4,
        np.float64,
    )
    assert survey.dt == 1e-3 and survey.nt == 101 and survey.interpolation == "sinc"


@pytest.mark.parametrize(
    ("replace", "extra", "message"),
    [
        (
            ("shots = 2", "shots = 2\nsorce_depth = 3.0"),
            "",
            "unknown key 'acquisition.sorce_depth' \\(allowed here: kind, source_depth",
        ),
        (("f0 = 15.0", ""), "", "missing required key 'wavelet.f0'"),
        (("[time]\nnt = 100", ""), "", "missing required key 'time'"),
        (("spacing = 10.0", 'spacing = "ten"'), "", "'model.spacing' must be a number or a list"),
        (("shots = 2", "shots = 2.5"), "", "'acquisition.shots' must be an integer"),
        (('kind = "ricker"', 'kind = "sinc"'), "", "'wavelet.kind' must be one of ricker"),
        ((), "colour = 3\n", "unknown key 'time.colour'"),
        ((), "[extras]\n", "unknown key 'extras'"),
        (("nt = 100", "nt = 100\nduration = 1.0"), "", "exactly one of 'time.duration'"),
        (("nt = 100", "nt = 100\ndt = 1.0"), "", "unstable for this model"),
        (("nt = 100", "nt = 100\ndt_fraction = 1.5"), "", "dt_fraction' must be in"),
        (
            ("source_depth = 10.0", "source_depth = 500.0"),
            "",
            r"acquisition: shot 0: src\[0\] = \[500.0, 130.0\] lies outside the model",
        ),
        (
            ("velocities = [1500.0, 2000.0]", "velocities = [1500.0, -2000.0]"),
            "",
            "model: velocities must be positive",
        ),
        (
            ('generator = "layered"', 'generator = "layered"\nfile = "x.npy"'),
            "",
            "exactly one of 'model.generator' and 'model.file'",
        ),
        (("[model]", "[model\n"), "", "invalid TOML"),
    ],
)
def test_bad_scenes_name_the_key(replace, extra, message):
    with pytest.raises(SceneError, match=message):
        parse_scene(scene(*([replace] if replace else [])) + extra)


def test_a_misspelt_required_key_is_pointed_out():
    with pytest.raises(SceneError, match="'acquisition.source_depth' \\(is 'sorce_depth' a missp"):
        parse_scene(scene(("source_depth", "sorce_depth")))


def test_read_scene_prefixes_the_path_and_reports_missing_files(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(scene(("f0 = 15.0", "")))
    with pytest.raises(SceneError, match=f"^scene {path}: missing required key 'wavelet.f0'$"):
        read_scene(path)
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_scene(tmp_path / "missing.toml")


MODEL_FILE = """
[model]
file = "{file}"
{more}
[acquisition]
kind = "surface_line"
shots = 1
source_depth = 10.0
[wavelet]
kind = "ricker"
f0 = 15.0
[time]
nt = 10
"""


def file_scene(tmp_path, file, more=""):
    return parse_scene(MODEL_FILE.format(file=file, more=more), tmp_path).model


def test_model_from_npy_hdf5_and_segy_files(tmp_path):
    vp = np.linspace(1500.0, 2500.0, 21 * 31).reshape(21, 31).astype(np.float32)
    np.save(tmp_path / "vp.npy", vp)
    model = file_scene(tmp_path, "vp.npy", "spacing = [5.0, 10.0]\norigin = [0.0, -100.0]")
    np.testing.assert_array_equal(model.vp, vp)
    assert model.spacing == (5.0, 10.0) and model.origin == (0.0, -100.0)

    files.write_model(tmp_path / "m.h5", wb.Model(vp, 7.5, boundary="sponge"))
    model = file_scene(tmp_path, "m.h5")
    assert model.spacing == (7.5, 7.5) and model.boundary == "cpml"  # the scene's boundary

    with h5py.File(tmp_path / "plain.h5", "w") as f:
        f["velocity/p"] = vp
    model = file_scene(tmp_path, "plain.h5", 'dataset = "velocity/p"\nspacing = 4.0')
    np.testing.assert_array_equal(model.vp, vp)

    segy.write_segy_model(tmp_path / "m.sgy", vp, 6.0, 0.0)
    model = file_scene(tmp_path, "m.sgy")
    np.testing.assert_array_equal(model.vp, vp)
    assert model.spacing == (6.0, 6.0)


@pytest.mark.parametrize(
    ("file", "more", "error", "message"),
    [
        ("missing.npy", "spacing = 1.0", FileNotFoundError, "no such file"),
        ("vp.npy", "", SceneError, "'model.spacing' is required"),
        ("nan.npy", "spacing = 10.0", SceneError, "vp contains NaN"),
        ("negative.npy", "spacing = 10.0", SceneError, "vp must be positive everywhere"),
        ("m.h5", "spacing = 1.0", SceneError, "carries its own grid"),
        ("foreign.h5", "", SceneError, "not a waveback file"),
        ("vp.txt", "spacing = 1.0", SceneError, "unknown type '.txt'"),
    ],
)
def test_bad_model_files(tmp_path, file, more, error, message):
    vp = np.full((21, 31), 1500.0)
    np.save(tmp_path / "vp.npy", vp)
    np.save(tmp_path / "nan.npy", np.where(np.arange(31) == 3, np.nan, vp))
    np.save(tmp_path / "negative.npy", -vp)
    (tmp_path / "vp.txt").write_text("1500")
    files.write_model(tmp_path / "m.h5", wb.Model(vp, 10.0))
    with h5py.File(tmp_path / "foreign.h5", "w") as f:
        f["vp"] = vp
    with pytest.raises(error, match=message):
        file_scene(tmp_path, file, more)


def test_every_generator_and_acquisition_kind(tmp_path):
    fault = scene(
        (
            'generator = "layered"',
            'generator = "faulted"\nfault_x = 200.0\nfault_dip = 60.0\nthrow = 30.0',
        )
    )
    assert len(np.unique(parse_scene(fault).model.vp)) == 2
    salt = scene(
        (
            'generator = "layered"',
            'generator = "salt"\nsalt_velocity = 4500.0\nsalt_top = 80.0\n'
            "salt_base = 150.0\nsalt_center = 200.0\nsalt_radius = 100.0",
        )
    )
    assert (parse_scene(salt).model.vp == 4500.0).any()
    inclusions = scene(
        (
            'generator = "layered"\nshape = [21, 41]\nspacing = 10.0\n'
            "depths = [100.0]\nvelocities = [1500.0, 2000.0]",
            'generator = "inclusions"\nshape = [21, 41]\nspacing = 10.0\n'
            "background = 1540.0\n[[model.inclusions]]\ncenter = [100.0, 200.0]\n"
            "radius = [30.0, 60.0]\nvelocity = 1600.0",
        )
    )
    assert (parse_scene(inclusions).model.vp == 1600.0).sum() > 10

    acquisition = MINIMAL.split("[acquisition]")[1].split("[wavelet]")[0]
    ring = '\nkind = "ring_array"\nelements = 16\nradius = 60.0\nshots = 4\n\n'
    assert len(parse_scene(MINIMAL.replace(acquisition, ring)).shots) == 4
    linear = (
        '\nkind = "linear_array"\nelements = 8\npitch = 10.0\ndepth = 10.0\n'
        'transmit = "focused"\nfoci = [[100.0, 200.0], [150.0, 200.0]]\n\n'
    )
    survey = parse_scene(MINIMAL.replace(acquisition, linear))
    assert len(survey.shots) == 2 and survey.shots[0].wavelet.shape == (100, 8)
    (tmp_path / "s.csv").write_text("shot,z,x\n0,10,100\n1,10,300\n")
    (tmp_path / "r.csv").write_text("z,x\n0,0\n0,400\n")
    csv = '\nkind = "csv"\nsources = "s.csv"\nreceivers = "r.csv"\n\n'
    assert len(parse_scene(MINIMAL.replace(acquisition, csv), tmp_path).shots) == 2


def test_3d_surface_grid_scene():
    text = scene(
        ("shape = [21, 41]", "shape = [11, 21, 41]"),
        (
            'kind = "surface_line"\nshots = 2',
            'kind = "surface_grid"\nshots = [1, 2]\nreceiver_spacing = 100.0',
        ),
    )
    survey = parse_scene(text)
    assert survey.ndim == 3 and len(survey.shots) == 2 and survey.shots[0].rec.shape == (15, 3)


def test_unknown_key_inside_an_inclusion():
    text = scene(
        (
            'generator = "layered"\nshape = [21, 41]\nspacing = 10.0\n'
            "depths = [100.0]\nvelocities = [1500.0, 2000.0]",
            'generator = "inclusions"\nshape = [21, 41]\nspacing = 10.0\n'
            "background = 1540.0\n[[model.inclusions]]\ncenter = [100.0, 200.0]\n"
            'radius = 30.0\nvelocity = 1600.0\nshape = "star"',
        )
    )
    with pytest.raises(SceneError, match=r"unknown key 'model.inclusions\[0\].shape'"):
        parse_scene(text)


GRID = (
    'generator = "layered"\nshape = [21, 41]\nspacing = 10.0\n'
    "depths = [100.0]\nvelocities = [1500.0, 2000.0]"
)


def test_random_generators_are_the_models_functions_with_their_seed():

    marmousi = scene(
        (
            GRID,
            'generator = "marmousi_like"\nshape = [21, 41]\nspacing = 10.0\nseed = 4\nfaults = 1',
        )
    )
    vp = parse_scene(marmousi).model.vp
    np.testing.assert_array_equal(vp, phantoms.marmousi_like((21, 41), 10.0, seed=4, faults=1))
    breast = scene((GRID, 'generator = "breast"\nshape = [21, 41]\nspacing = 10.0\nradius = 80.0'))
    vp = parse_scene(breast).model.vp
    np.testing.assert_array_equal(vp, phantoms.breast_phantom((21, 41), 10.0, radius=80.0))
    cyst = scene(
        (
            GRID,
            'generator = "cyst_phantom"\nshape = [21, 41]\nspacing = 10.0\nspeckle = 0.02\n'
            "points = [[50.0, 100.0], [150.0, 300.0]]\n"
            "[[model.cysts]]\ncenter = [100.0, 200.0]\nradius = 40.0",
        )
    )
    expected = phantoms.cyst_phantom(
        (21, 41),
        10.0,
        [{"center": [100.0, 200.0], "radius": 40.0}],
        [[50.0, 100.0], [150.0, 300.0]],
        speckle=0.02,
    )
    np.testing.assert_array_equal(parse_scene(cyst).model.vp, expected)


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (
            'generator = "cyst_phantom"\nshape = [21, 41]\nspacing = 10.0\ncysts = [1.0]',
            r"model.cysts\[0\]",
        ),
        (
            'generator = "cyst_phantom"\nshape = [21, 41]\nspacing = 10.0\n'
            "[[model.cysts]]\ncenter = [1.0, 2.0]\nradius = 3.0\ndepth = 1.0",
            r"unknown key 'model.cysts\[0\].depth'",
        ),
        (
            'generator = "cyst_phantom"\nshape = [21, 41]\nspacing = 10.0\npoints = [1.0]',
            "model.points",
        ),
        (
            'generator = "breast"\nshape = [21, 41]\nspacing = 10.0\nlayers = 3',
            "unknown key 'model.layers'",
        ),
        ('generator = "marmousi_like"\nshape = [21, 41]\nspacing = 10.0\nseed = 1.5', "integer"),
    ],
)
def test_bad_random_generator_keys(model, message):
    with pytest.raises(SceneError, match=message):
        parse_scene(scene((GRID, model)))


# --- density and attenuation -------------------------------------------------------------------


def test_layered_density_and_q_per_layer():
    model = parse_scene(
        scene(
            ("velocities = [1500.0, 2000.0]", "velocities = [1500.0, 2000.0]\nrho = [1000, 2100]"),
            extra='[model.attenuation]\nkind = "constant_q"\nq = [30.0, 100.0]\nband = [5, 50]\n',
        )
    ).model
    layers = phantoms.layered((21, 41), 10.0, [100.0], [1500.0, 2000.0])
    np.testing.assert_array_equal(model.rho, np.where(layers == 1500.0, 1000.0, 2100.0))
    att = model.attenuation
    assert isinstance(att, wb.ConstantQ) and att.band == (5.0, 50.0)
    np.testing.assert_array_equal(att.q, np.where(layers == 1500.0, 30.0, 100.0))


def test_uniform_density_and_power_law():
    model = parse_scene(
        scene(
            ("velocities = [1500.0, 2000.0]", "velocities = [1500.0, 2000.0]\nrho = 1000.0"),
            extra='[model.attenuation]\nkind = "power_law"\nalpha0 = 0.5\ny = 1.1\n'
            "band = [1e6, 3e6]\nn_mechanisms = 4\n",
        )
    ).model
    assert np.all(model.rho == 1000.0) and model.rho.shape == model.shape
    att = model.attenuation
    assert (att.alpha0, att.y, att.band, att.n_mechanisms) == (0.5, 1.1, (1e6, 3e6), 4)


@pytest.mark.parametrize(
    ("key", "parts"),
    [
        ("rho = 1000.0", "velocity 74.5 GiB, density 74.5 GiB, attenuation 74.5 GiB"),
        ('rho_file = "rho.npy"', "velocity 74.5 GiB, density 74.5 GiB, attenuation 74.5 GiB"),
        ("", "velocity 74.5 GiB, attenuation 74.5 GiB"),
    ],
)
def test_the_memory_estimate_counts_density_and_attenuation_arrays(monkeypatch, key, parts):
    monkeypatch.setattr(checkpointing, "available_memory", lambda: 2**30)
    text = scene(
        ("shape = [21, 41]", "shape = [100000, 100000]"),
        ("velocities = [1500.0, 2000.0]", f"velocities = [1500.0, 2000.0]\n{key}"),
        extra='[model.attenuation]\nkind = "constant_q"\nq = 30.0\nband = [5, 50]\n',
    )
    with pytest.raises(ValueError, match="of memory") as info:
        parse_scene(text)
    assert f"(generator arrays 223.5 GiB, {parts}) of memory" in str(info.value)


def test_a_scene_without_density_or_attenuation_is_lossless_constant_density():
    model = parse_scene(MINIMAL).model
    assert model.rho is None and model.attenuation is None


INCLUSIONS = (
    'generator = "inclusions"\nshape = [21, 41]\nspacing = 10.0\nbackground = 1500.0\n'
    "rho = 1000.0\n"
    "[[model.inclusions]]\ncenter = [100.0, 200.0]\nradius = 30.0\nvelocity = 1600.0\n"
    "rho = 1100.0\nalpha0 = 0.9\n"
    "[[model.inclusions]]\ncenter = [100.0, 300.0]\nradius = 30.0\nvelocity = 1450.0\n"
    '[model.attenuation]\nkind = "power_law"\nalpha0 = 0.0022\ny = 2.0\nband = [1e6, 2e6]\n'
)


def test_inclusions_have_their_own_density_and_absorption():
    model = parse_scene(scene((GRID, INCLUSIONS))).model
    first = model.vp == 1600.0
    assert first.any() and (model.vp == 1450.0).any()
    np.testing.assert_array_equal(model.rho, np.where(first, 1100.0, 1000.0))
    np.testing.assert_array_equal(model.attenuation.alpha0, np.where(first, 0.9, 0.0022))


def test_breast_tissues_get_their_own_density():
    tissues = {"water": 1000.0, "skin": 1100.0, "fat": 950.0, "glandular": 1040.0, "tumour": 1060}
    text = scene(
        (GRID, 'generator = "breast"\nshape = [41, 41]\nspacing = 1e-3\nseed = 3'),
        ("source_depth = 10.0", "source_depth = 0.002"),
    )
    table = ", ".join(f"{k} = {v}" for k, v in tissues.items())
    text = text.replace("seed = 3", f"seed = 3\nrho = {{ {table} }}")
    model = parse_scene(text).model
    speeds = phantoms.BREAST_SPEEDS
    for tissue, rho in tissues.items():
        np.testing.assert_array_equal(model.rho[model.vp == speeds[tissue]], rho)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "velocities = [1500.0, 2000.0]",
            "velocities = [1500.0, 2000.0]\nrho = [1000.0]",
            r"'model.rho' needs one value per layer, top down \(2\), got 1",
        ),
        (
            "velocities = [1500.0, 2000.0]",
            "velocities = [1500.0, 2000.0]\nrho = [1000.0, -1.0]",
            "'model.rho' must be positive and finite",
        ),
        (
            "velocities = [1500.0, 2000.0]",
            'velocities = [1500.0, 2000.0]\nrho = "heavy"',
            "'model.rho' must be one number for a 'layered' generator",
        ),
        (
            "velocities = [1500.0, 2000.0]",
            'velocities = [1500.0, 2000.0]\n[model.attenuation]\nkind = "kelvin"\nq = 5\n'
            "band = [1, 2]",
            "'model.attenuation.kind' must be one of constant_q, power_law; got 'kelvin'",
        ),
        (
            "velocities = [1500.0, 2000.0]",
            'velocities = [1500.0, 2000.0]\n[model.attenuation]\nkind = "constant_q"\n'
            "alpha0 = 0.5\nband = [1, 2]",
            "'model.attenuation.alpha0' does not go with kind = 'constant_q': give q",
        ),
        (
            "velocities = [1500.0, 2000.0]",
            'velocities = [1500.0, 2000.0]\n[model.attenuation]\nkind = "constant_q"\n'
            "q = 50\nband = [2, 1]",
            r"model.attenuation: band must satisfy 0 < f_lo < f_hi",
        ),
        (
            "velocities = [1500.0, 2000.0]",
            'velocities = [1500.0, 2000.0]\n[model.attenuation]\nkind = "power_law"\n'
            "alpha0 = 0.5\nband = [1, 2]",
            "missing required key 'model.attenuation.y'",
        ),
        (
            "velocities = [1500.0, 2000.0]",
            'velocities = [1500.0, 2000.0]\n[model.attenuation]\nkind = "constant_q"\n'
            "q = 50\nband = [1, 2]\nqq = 3",
            "unknown key 'model.attenuation.qq'",
        ),
    ],
)
def test_bad_density_or_attenuation_names_the_key(old, new, message):
    with pytest.raises(SceneError, match=message):
        parse_scene(scene((old, new)))


def test_an_inclusions_value_needs_the_background_value():
    text = scene((GRID, INCLUSIONS.replace("rho = 1000.0\n", "", 1)))
    with pytest.raises(SceneError, match=r"'model.inclusions\[0\].rho' needs the background's"):
        parse_scene(text)
    text = scene((GRID, INCLUSIONS.split("[model.attenuation]")[0]))
    with pytest.raises(SceneError, match=r"'model.inclusions\[0\].alpha0' needs the background"):
        parse_scene(text)


def test_density_and_q_from_files_and_from_a_waveback_model(tmp_path):
    vp = np.linspace(1500.0, 2500.0, 21 * 31).reshape(21, 31).astype(np.float32)
    np.save(tmp_path / "vp.npy", vp)
    np.save(tmp_path / "rho.npy", vp * 0 + 1200.0)
    np.save(tmp_path / "q.npy", vp * 0 + 40.0)
    model = file_scene(
        tmp_path,
        "vp.npy",
        'spacing = 5.0\nrho_file = "rho.npy"\n[model.attenuation]\nkind = "constant_q"\n'
        'file = "q.npy"\nband = [5.0, 50.0]',
    )
    assert np.all(model.rho == 1200.0) and np.all(model.attenuation.q == 40.0)
    att = wb.ConstantQ(25.0, (2.0, 20.0))
    files.write_model(tmp_path / "m.h5", wb.Model(vp, 7.5, rho=vp, attenuation=att))
    model = file_scene(tmp_path, "m.h5")
    np.testing.assert_array_equal(model.rho, vp)
    assert model.attenuation.q == 25.0
    np.save(tmp_path / "small.npy", np.ones((3, 3)))
    with pytest.raises(SceneError, match=r"'model.rho_file' .*small.npy has shape \(3, 3\)"):
        file_scene(tmp_path, "vp.npy", 'spacing = 5.0\nrho_file = "small.npy"')


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("seismic_2d", wb.ConstantQ),
        ("ultrasound_linear", wb.PowerLaw),
        ("ultrasound_ring", wb.PowerLaw),
        ("ultrasound_plane_wave", wb.PowerLaw),
        ("ultrasound_ct", wb.PowerLaw),
    ],
)
def test_bundled_scenes_carry_absorption_and_density(name, kind):
    # The tissue and rock densities of docs/scenes.md, with the absorption; ultrasound_plane_wave
    # is soft tissue throughout (speckle is a speed contrast), so it keeps constant density.
    survey = read_scene(SCENES / f"{name}.toml").survey
    assert isinstance(survey.model.attenuation, kind)
    if name == "ultrasound_plane_wave":
        assert survey.model.rho is None
    else:
        assert 900.0 < survey.model.rho.min() < survey.model.rho.max() < 2400.0
    wb.Propagator(survey.model, survey.dt)  # builds: density and attenuation together


def test_the_demo_scenes_stay_lossless_and_constant_density():
    for name in ("demo", "demo_small"):
        model = read_scene(SCENES / f"{name}.toml").survey.model
        assert model.rho is None and model.attenuation is None
