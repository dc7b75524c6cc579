"""The output buffer pool of ``_core`` (cpp/bindings/buffer_pool.h): a large kernel output's memory comes back
for the next output of its size class once nothing refers to it any more, never while an array or a view does;
small outputs keep numpy's allocator; the tape still adopts a pooled gradient as a leaf's ``.grad`` without a
copy; ``NNENGINE_BUFFER_CACHE_MB=0`` turns the pool off."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

import nnengine as ne
import nnengine.functional as F
from nnengine import _core, nn

pooled = pytest.mark.skipif(
    _core.build_info()["sanitize"] or os.environ.get("NNENGINE_BUFFER_CACHE_MB") == "0",
    reason="the pool is off (sanitizer build, or NNENGINE_BUFFER_CACHE_MB=0)")


def _addr(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def _relu(x: np.ndarray) -> np.ndarray:
    return _core.activation_forward(x, "relu")


@pooled
def test_freed_output_memory_is_reused():
    x = np.linspace(-1, 1, 300 * 301, dtype=np.float32).reshape(300, 301)  # 353 KB: pooled
    y = _relu(x)
    a = _addr(y)
    assert _addr(y) % 64 == 0 and y.flags.c_contiguous and y.flags.writeable
    assert type(y.base).__name__ == "PyCapsule"
    del y
    y2 = _relu(-x)  # the same size class: the block just freed
    assert _addr(y2) == a
    np.testing.assert_array_equal(y2, np.maximum(-x, 0))
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(y2)), y2)


@pooled
def test_memory_referenced_by_an_array_or_a_view_is_not_reused():
    x = np.ones((256, 256), np.float32)
    y = _relu(x)
    view = y[::2]
    a = _addr(y)
    del y  # the view still holds the memory
    others = [_relu(x * 2) for _ in range(3)]
    assert all(_addr(o) != a for o in others)
    np.testing.assert_array_equal(view, 1.0)


def test_small_outputs_keep_numpys_allocator():
    y = _relu(np.ones(100, np.float32))
    assert y.base is None and y.flags.owndata


@pooled
def test_tape_adopts_a_pooled_gradient_without_a_copy():
    w = nn.Parameter(ne.tensor(np.linspace(-1, 1, 256 * 256, dtype=np.float32).reshape(256, 256)))
    x = ne.tensor(np.full((256, 256), 3.0, np.float32))
    (F.relu(w) * x).sum().backward()
    g = w.grad
    np.testing.assert_array_equal(g, np.where(w.data > 0, 3.0, 0.0).astype(np.float32))
    owner = g.base  # the kernel's array itself (a copy would own its memory)
    assert owner is not None and type(owner.base).__name__ == "PyCapsule"


def test_cache_size_zero_turns_the_pool_off():
    code = ("import numpy as np; from nnengine import _core; "
            "y = _core.activation_forward(np.ones((256, 256), np.float32), 'relu'); "
            "print(y.base is None and y.flags.owndata)")
    env = dict(os.environ, NNENGINE_BUFFER_CACHE_MB="0")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
