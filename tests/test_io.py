"""Checkpoints: round trips, atomic writes, clear errors for missing and corrupt files."""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigan as mg
import minigan.io
import minigan.nn as nn
from minigan.io import load, save


def assert_same(a, b):
    """Equal structure, types and values (arrays bit for bit, with dtype and shape)."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b


def test_round_trip_of_nested_values(tmp_path):
    obj = {
        "G": {"0.weight": np.arange(6, dtype=np.float32).reshape(2, 3), "1.num_batches_tracked": np.array(4)},
        "opt": {"state": {0: {"step": 3, "exp_avg": np.zeros(2)}},
                "param_groups": [{"lr": 2e-4, "betas": (0.5, 0.999), "params": [0, 1], "nesterov": False}]},
        "step": 1000, "loss": float("nan"), "name": "dcgan", "note": None,
        "config": {"sizes": [1, 2, [3, "x"]]}, "flags": np.array([True, False]), "empty": {},
        "labels": np.array(["a", "bc"]),
    }
    save(obj, tmp_path / "ckpt.npz")
    assert_same(load(tmp_path / "ckpt.npz"), obj)
    with np.load(tmp_path / "ckpt.npz") as f:  # arrays are readable without minigan
        assert np.array_equal(f["G/0.weight"], obj["G"]["0.weight"])
        assert "opt/state/0/exp_avg" in f.files


def test_tensors_and_scalars_become_arrays(tmp_path):
    path = str(tmp_path / "t.npz")
    save({"t": mg.tensor([1.0, 2.0]), "s": np.float32(1.5)}, path)
    out = load(path)
    assert out["t"].dtype == np.float32 and out["t"].tolist() == [1.0, 2.0]
    assert out["s"].shape == () and out["s"].dtype == np.float32


def test_module_state_dict_round_trip(tmp_path):
    mg.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(8, 1))
    model(mg.randn(2, 1, 4, 4))
    save(model.state_dict(), tmp_path / "m.npz")
    mg.manual_seed(1)
    other = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(8, 1))
    other.load_state_dict(load(tmp_path / "m.npz"))
    assert_same(other.state_dict(), model.state_dict())


def test_plain_npz_loads_as_a_flat_dict(tmp_path):
    np.savez(tmp_path / "plain.npz", a=np.ones(2), b=np.arange(3))
    out = load(tmp_path / "plain.npz")
    assert sorted(out) == ["a", "b"] and out["b"].tolist() == [0, 1, 2]


@settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(arrays=st.dictionaries(
    st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=1, max_size=8),
    hnp.arrays(st.sampled_from([np.float32, np.float64, np.int64, np.uint8, np.bool_]),
               hnp.array_shapes(min_dims=0, max_dims=3, max_side=3)),
    max_size=4))
def test_round_trip_property(tmp_path, arrays):
    save({"arrays": arrays, "count": len(arrays)}, tmp_path / "p.npz")
    assert_same(load(tmp_path / "p.npz"), {"arrays": arrays, "count": len(arrays)})


def test_write_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    save({"w": np.ones(3)}, path)
    assert os.listdir(tmp_path) == ["ckpt.npz"]  # no temporary file is left behind

    def crash(f, **arrays):  # write half a file, then fail
        f.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(minigan.io.np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        save({"w": np.zeros(3)}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["ckpt.npz"]
    assert load(path)["w"].tolist() == [1.0, 1.0, 1.0]  # the previous checkpoint survived


def test_interrupt_during_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    save({"step": 1}, path)

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(minigan.io.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save({"step": 2}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["ckpt.npz"] and load(path) == {"step": 1}


def test_missing_and_corrupt_files_name_the_file(tmp_path):
    missing = tmp_path / "nothing.npz"
    with pytest.raises(ValueError, match="nothing.npz.*no such file"):
        load(missing)
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"this is not a checkpoint")
    with pytest.raises(ValueError, match="garbage.npz.*corrupt"):
        load(garbage)
    save({"w": np.arange(1000.0)}, tmp_path / "good.npz")
    data = (tmp_path / "good.npz").read_bytes()
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated.npz.*corrupt"):
        load(truncated)


def test_unsupported_values_are_refused(tmp_path):
    with pytest.raises(TypeError, match="object array"):
        save({"x": np.array([{}, 1], dtype=object)}, tmp_path / "o.npz")
    with pytest.raises(TypeError, match="cannot store set at 'a/b'"):
        save({"a": {"b": {1, 2}}}, tmp_path / "o.npz")
    with pytest.raises(TypeError, match="keys must be str or int"):
        save({(1, 2): 3}, tmp_path / "o.npz")
    with pytest.raises(ValueError, match="both be stored as 'a/b'"):
        save({"a/b": np.ones(1), "a": {"b": np.ones(1)}}, tmp_path / "o.npz")
    assert not list(tmp_path.iterdir())


def test_save_creates_the_directory(tmp_path):
    path = tmp_path / "run" / "sub" / "ckpt.npz"
    save({"a": 1}, str(path))
    assert load(str(path)) == {"a": 1}
