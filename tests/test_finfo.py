"""ne.finfo / ne.iinfo vs torch.finfo / torch.iinfo 2.13: every attribute as the same Python type and value,
the default dtype, bfloat16, the accepted dtype spellings (nnengine, numpy, torch, Tensor.dtype, strings),
reprs, equality, and the TypeErrors for the wrong kind of dtype."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne

FLOATS = {"float32": ne.float32, "float64": ne.float64, "float16": ne.float16, "bfloat16": ne.bfloat16}
INTS = {"int64": ne.int64, "int32": ne.int32, "int16": ne.int16, "int8": ne.int8, "uint8": ne.uint8}


@pytest.mark.parametrize("name", sorted(FLOATS))
def test_finfo_matches_torch(torch, name):
    ours, ref = ne.finfo(FLOATS[name]), torch.finfo(getattr(torch, name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
        a, b = getattr(ours, attr), getattr(ref, attr)
        assert type(a) is type(b) and a == b, (name, attr, a, b)
    assert ours.dtype == ref.dtype == name
    assert repr(ours) == repr(ref) and str(ours) == str(ref)


@pytest.mark.parametrize("name", sorted(INTS))
def test_iinfo_matches_torch(torch, name):
    ours, ref = ne.iinfo(INTS[name]), torch.iinfo(getattr(torch, name))
    for attr in ("bits", "max", "min"):
        a, b = getattr(ours, attr), getattr(ref, attr)
        assert type(a) is type(b) and a == b, (name, attr, a, b)
    assert ours.dtype == ref.dtype == name and repr(ours) == repr(ref)


def test_spellings_and_defaults(torch):
    f32 = ne.finfo(ne.float32)
    assert ne.finfo() == f32 and repr(ne.finfo()) == repr(torch.finfo())
    assert f32.eps == 1.1920928955078125e-07 and isinstance(f32.eps, float)
    for spelling in (np.float32, np.dtype("float32"), "float32", "torch.float32", "torch.FloatTensor", float,
                     ne.zeros(2).dtype, torch.float32, ne.zeros(2), np.float32(1.0)):
        assert ne.finfo(spelling) == f32, spelling
    assert ne.finfo(ne.zeros(2, dtype=ne.float64).dtype).eps == 2.220446049250313e-16
    bf = ne.finfo(ne.bfloat16)
    assert (bf.bits, bf.eps, bf.max, bf.tiny, bf.resolution) == (16, 0.0078125, 3.3895313892515355e+38,
                                                                  1.1754943508222875e-38, 0.01)
    assert ne.finfo("torch.bfloat16") == bf == ne.finfo(torch.bfloat16) and bf != f32
    assert ne.finfo(ne.float16).max == 65504.0 and ne.finfo(ne.half) == ne.finfo(np.float16)
    for spelling in (np.int64, "int64", "torch.LongTensor", int, ne.zeros(2, dtype=ne.long).dtype, torch.int64):
        assert ne.iinfo(spelling) == ne.iinfo(ne.int64), spelling
    assert ne.iinfo(ne.int64).max == 2**63 - 1 and isinstance(ne.iinfo(ne.uint8).max, int)


def test_errors():
    with pytest.raises(TypeError, match="finfo\\(\\) requires a floating point input type, got int32"):
        ne.finfo(ne.int32)
    with pytest.raises(TypeError, match="finfo\\(\\) requires a floating point input type, got bool"):
        ne.finfo(ne.bool)
    with pytest.raises(TypeError, match="iinfo\\(\\) requires an integer input type, got float32"):
        ne.iinfo(ne.float32)
    with pytest.raises(TypeError, match="iinfo\\(\\) requires an integer input type, got bfloat16"):
        ne.iinfo(ne.bfloat16)
    with pytest.raises(TypeError, match="bool is not supported by iinfo"):
        ne.iinfo(ne.bool)
    with pytest.raises(TypeError, match="expected a dtype"):
        ne.finfo("nope")
    with pytest.raises(TypeError):
        ne.iinfo()
    with pytest.raises(TypeError):
        hash(ne.finfo())  # unhashable, as torch's
