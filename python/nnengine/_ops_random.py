"""torch's random-number surface beyond the factories: ``Generator`` objects, ``get_rng_state`` /
``set_rng_state`` as a uint8 tensor, ``seed`` / ``initial_seed``, ``multinomial``, ``bernoulli``,
``poisson``, ``randint_like`` and the in-place samplers (``bernoulli_``, ``random_``, ``exponential_``...).

Every sampler takes ``generator=`` (an ``ne.Generator``, a numpy Generator, or None for the global one that
``ne.manual_seed`` seeds).

Example:
    >>> g = ne.Generator().manual_seed(0)
    >>> a = ne.randn(3, generator=g); _ = g.manual_seed(0)
    >>> bool((ne.randn(3, generator=g) == a).all())
    True
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from . import random as _random
from ._coerce import as_array, ensure_tensor
from ._dtypes import to_dtype
from .tensor import Tensor, _factory, _InputError

_I64 = np.dtype(np.int64)
_F32 = np.dtype(np.float32)


class Generator:
    """``torch.Generator``: an independent random stream (a numpy PCG64 underneath) for ``generator=``
    arguments (the samplers, ``DataLoader``, ``random_split``, ``RandomSampler``).

    Example:
        >>> g = ne.Generator()
        >>> g.manual_seed(42).initial_seed()
        42
    """

    def __init__(self, device: Any = "cpu") -> None:
        from ._device import check_device

        check_device(device, "device")
        self._seed = int(np.random.SeedSequence().entropy % (2**63))
        self._rng = np.random.default_rng(self._seed)
        self.device = device

    def manual_seed(self, seed: int) -> Generator:
        """Reseed; returns ``self`` (``g = ne.Generator().manual_seed(0)``).

        Example:
            >>> g = ne.Generator().manual_seed(0); a = ne.rand(2, generator=g)
            >>> bool((ne.rand(2, generator=g.manual_seed(0)) == a).all())
            True
        """
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"seed: expected an int, got {type(seed).__name__}")
        self._seed = int(seed) % (2**64)
        self._rng = np.random.default_rng(self._seed)
        return self

    def seed(self) -> int:
        """Reseed from fresh entropy; returns the new seed.

        Example:
            >>> g = ne.Generator(); s = g.seed(); s == g.initial_seed()
            True
        """
        self._seed = int(np.random.SeedSequence().entropy % (2**63))
        self._rng = np.random.default_rng(self._seed)
        return self._seed

    def initial_seed(self) -> int:
        """The seed this generator was last seeded with.

        Example:
            >>> ne.Generator().manual_seed(7).initial_seed()
            7
        """
        return self._seed

    def get_state(self) -> Tensor:
        """The state as a uint8 tensor (for :meth:`set_state`).

        Example:
            >>> g = ne.Generator().manual_seed(1); s = g.get_state(); a = ne.rand(2, generator=g)
            >>> _ = g.set_state(s); bool((ne.rand(2, generator=g) == a).all())
            True
        """
        return _encode(self._rng.bit_generator.state)

    def set_state(self, new_state: Any) -> Generator:
        """Restore a state from :meth:`get_state`; returns ``self``.

        Example:
            >>> g = ne.Generator(); _ = g.set_state(ne.Generator().manual_seed(0).get_state())
        """
        self._rng = np.random.default_rng()
        self._rng.bit_generator.state = _decode(new_state)
        return self


class _DefaultGenerator(Generator):
    """``torch.default_generator``: the global generator (the one ``ne.manual_seed`` seeds) as a Generator.

    Example:
        >>> _ = ne.default_generator.manual_seed(0); ne.initial_seed()
        0
    """

    def __init__(self) -> None:
        self.device = "cpu"

    @property
    def _rng(self) -> np.random.Generator:  # type: ignore[override]
        return _random.generator()

    @property
    def _seed(self) -> int:  # type: ignore[override]
        return _random.initial_seed()

    def manual_seed(self, seed: int) -> Generator:
        """Seed the global generator (``ne.manual_seed``); returns ``self``.

        Example:
            >>> ne.default_generator.manual_seed(1) is ne.default_generator
            True
        """
        _random.manual_seed(seed)
        return self

    def seed(self) -> int:
        """Reseed the global generator from fresh entropy; returns the seed.

        Example:
            >>> s = ne.default_generator.seed(); s == ne.initial_seed()
            True
        """
        return seed()

    def set_state(self, new_state: Any) -> Generator:
        """Restore the global generator's state; returns ``self``.

        Example:
            >>> _ = ne.default_generator.set_state(ne.default_generator.get_state())
        """
        _random.set_rng_state(_decode(new_state))
        return self


default_generator = _DefaultGenerator()


def _np(generator: Any) -> np.random.Generator:
    """``generator=`` as a numpy Generator (None: the global one)."""
    return _random.resolve_generator(generator)


def _encode(state: dict) -> Tensor:
    s = state["state"]
    raw = (int(s["state"]).to_bytes(16, "little") + int(s["inc"]).to_bytes(16, "little")
           + bytes([int(state.get("has_uint32", 0))]) + int(state.get("uinteger", 0)).to_bytes(4, "little"))
    return Tensor._wrap(np.frombuffer(raw, np.uint8).copy())


def _decode(state: Any) -> dict:
    if isinstance(state, dict):
        return state
    a = np.asarray(as_array(state))
    if a.dtype != np.uint8 or a.shape != (37,):
        raise ValueError(f"state: expected a uint8 tensor of 37 bytes from get_rng_state(), got {a.dtype} {a.shape}")
    b = a.tobytes()
    return {"bit_generator": "PCG64", "state": {"state": int.from_bytes(b[:16], "little"),
                                                 "inc": int.from_bytes(b[16:32], "little")},
            "has_uint32": int(b[32]), "uinteger": int.from_bytes(b[33:37], "little")}


def get_rng_state() -> Tensor:
    """The global generator's state as a uint8 tensor (torch's ``get_rng_state``).

    Example:
        >>> s = ne.get_rng_state(); a = ne.rand(2)
        >>> ne.set_rng_state(s); bool((ne.rand(2) == a).all())
        True
    """
    return _encode(_random.get_rng_state())


def set_rng_state(new_state: Any) -> None:
    """Restore the global generator from :func:`get_rng_state` (a uint8 tensor; a numpy state dict too).

    Example:
        >>> ne.set_rng_state(ne.get_rng_state())
    """
    _random.set_rng_state(_decode(new_state))


def seed() -> int:
    """Seed the global generator from fresh entropy; returns that seed.

    Example:
        >>> s = ne.seed(); s == ne.initial_seed()
        True
    """
    s = int(np.random.SeedSequence().entropy % (2**63))
    _random.manual_seed(s)
    return s


def initial_seed() -> int:
    """The seed of the global generator's last (manual) seeding.

    Example:
        >>> _ = ne.manual_seed(3); ne.initial_seed()
        3
    """
    return _random.initial_seed()


_deterministic = [False, False]


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Accepted for torch code: nnengine's kernels are deterministic at any thread count already (fixed
    partitioning and reduction order), so this only records the flag.

    Example:
        >>> ne.use_deterministic_algorithms(True); ne.are_deterministic_algorithms_enabled()
        True
        >>> ne.use_deterministic_algorithms(False)
    """
    if not isinstance(mode, (bool, np.bool_)):
        raise TypeError(f"mode: expected a bool, got {type(mode).__name__}")
    _deterministic[0], _deterministic[1] = bool(mode), bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    """The flag of :func:`use_deterministic_algorithms`.

    Example:
        >>> ne.are_deterministic_algorithms_enabled() in (True, False)
        True
    """
    return _deterministic[0]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """The ``warn_only`` flag of :func:`use_deterministic_algorithms`.

    Example:
        >>> ne.is_deterministic_algorithms_warn_only_enabled()
        False
    """
    return _deterministic[1]


# ------------------------------------------------------------------ samplers
def multinomial(input: Any, num_samples: int, replacement: bool = False, *,  # noqa: A002
                generator: Any = None) -> Tensor:
    """``num_samples`` category indices per row of non-negative weights ``input`` (1-D or 2-D), int64;
    without ``replacement`` each index at most once per row.

    Example:
        >>> ne.multinomial(ne.tensor([0.0, 1.0, 0.0]), 2, replacement=True)
        tensor([1, 1])
    """
    w = np.asarray(as_array(input), np.float64)
    if w.ndim not in (1, 2):
        raise _InputError(f"prob_dist must be 1 or 2 dim, got {w.ndim}")
    n = int(num_samples)
    if n <= 0:
        raise _InputError("cannot sample n_sample <= 0 samples")
    if not np.isfinite(w).all() or (w < 0).any():
        raise _InputError("probability tensor contains either `inf`, `nan` or element < 0")
    rows = w.reshape(-1, w.shape[-1])
    if (rows.sum(-1) <= 0).any():
        raise _InputError("invalid multinomial distribution (sum of probabilities <= 0)")
    if not replacement and n > rows.shape[-1]:
        raise _InputError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    g = _np(generator)
    out = np.empty((rows.shape[0], n), np.int64)
    for i, r in enumerate(rows):
        p = r / r.sum()
        if replacement:
            out[i] = g.choice(r.size, n, replace=True, p=p)
        else:
            keys = np.log(g.random(r.size)) / np.where(r > 0, r, 1)  # Efraimidis-Spirakis: top-n of u^(1/w)
            keys[r == 0] = -np.inf  # zero-weight categories only once the others are used up (as torch)
            out[i] = np.argsort(-keys, kind="stable")[:n]
    return Tensor._wrap(out.reshape(w.shape[:-1] + (n,)))


def bernoulli(input: Any, p: Optional[float] = None, *, generator: Any = None) -> Tensor:  # noqa: A002
    """0/1 samples with probabilities ``input`` (or the scalar ``p``), in ``input``'s dtype.

    Example:
        >>> ne.bernoulli(ne.tensor([0.0, 1.0]))
        tensor([0., 1.])
    """
    x = ensure_tensor(input)
    prob = as_array(x) if p is None else float(p)
    pa = np.asarray(prob, np.float64)
    if pa.size and (pa.min() < 0 or pa.max() > 1):
        raise _InputError("bernoulli: probabilities must be in [0, 1]")
    dt = x.dtype if x.dtype.kind == "f" else _F32
    return Tensor._wrap((_np(generator).random(x.shape) < prob).astype(dt))


def poisson(input: Any, generator: Any = None) -> Tensor:  # noqa: A002
    """Poisson samples with rates ``input`` (same dtype).

    Example:
        >>> ne.poisson(ne.zeros(3))
        tensor([0., 0., 0.])
    """
    r = as_array(input)
    if (r < 0).any():
        raise _InputError("poisson: rates must be non-negative")
    return Tensor._wrap(_np(generator).poisson(r).astype(r.dtype if r.dtype.kind == "f" else _F32))


def randint_like(input: Any, low: int = 0, high: Optional[int] = None, *, dtype: Any = None,  # noqa: A002
                 device: Any = None, requires_grad: bool = False, generator: Any = None) -> Tensor:
    """``randint_like(x, high)`` or ``randint_like(x, low, high)``: integers in [low, high) with ``x``'s shape
    and dtype.

    Example:
        >>> t = ne.randint_like(ne.zeros(3), 5); t.dtype, bool(((t >= 0) & (t < 5)).all())
        (dtype('float32'), True)
    """
    a = as_array(input)
    if high is None:
        low, high = 0, low
    return _factory(_np(generator).integers(int(low), int(high), a.shape).astype(to_dtype(dtype) or a.dtype),
                    requires_grad, device)


def _fill(self: Tensor, arr: np.ndarray) -> Tensor:
    return self._inplace_apply(lambda s: Tensor._wrap(arr.astype(s.dtype)))


def bernoulli_(self: Tensor, p: Any = 0.5, *, generator: Any = None) -> Tensor:
    """Fill in place with 0/1 samples of probability ``p`` (a number or a tensor); returns ``self``.

    Example:
        >>> ne.empty(3).bernoulli_(1.0)
        tensor([1., 1., 1.])
    """
    prob = np.asarray(as_array(p), np.float64)
    return _fill(self, _np(generator).random(self.shape) < prob)


def random_(self: Tensor, from_: int = 0, to: Optional[int] = None, *, generator: Any = None) -> Tensor:
    """Fill in place with integers from ``[from_, to)`` (``random_(to)``: ``[0, to)``; none: the dtype's
    range, capped at 2**24 for float32 as torch); returns ``self``.

    Example:
        >>> t = ne.empty(4).random_(0, 3); bool(((t >= 0) & (t < 3)).all())
        True
    """
    if to is None and from_ != 0:
        from_, to = 0, from_
    if to is None:
        dt = self.dtype
        to = 2**24 if dt == _F32 else 2**53 if dt.kind == "f" else int(np.iinfo(dt).max) + 1 if dt.kind in "iu" else 2
    return _fill(self, _np(generator).integers(int(from_), int(to), self.shape))


def exponential_(self: Tensor, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill in place from the exponential distribution of rate ``lambd``; returns ``self``.

    Example:
        >>> bool((ne.empty(5).exponential_() >= 0).all())
        True
    """
    return _fill(self, _np(generator).exponential(1.0 / float(lambd), self.shape))


def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *, generator: Any = None) -> Tensor:
    """Fill in place with ``exp(N(mean, std**2))`` samples; returns ``self``.

    Example:
        >>> bool((ne.empty(5).log_normal_() > 0).all())
        True
    """
    return _fill(self, _np(generator).lognormal(float(mean), float(std), self.shape))


def geometric_(self: Tensor, p: float, *, generator: Any = None) -> Tensor:
    """Fill in place with the number of trials to the first success (probability ``p``), >= 1.

    Example:
        >>> bool((ne.empty(5).geometric_(0.5) >= 1).all())
        True
    """
    return _fill(self, _np(generator).geometric(float(p), self.shape))


def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill in place from the Cauchy distribution; returns ``self``.

    Example:
        >>> ne.empty(3).cauchy_().shape
        (3,)
    """
    return _fill(self, float(median) + float(sigma) * _np(generator).standard_cauchy(self.shape))


def uniform_(self: Tensor, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill in place from U(a, b); returns ``self``.

    Example:
        >>> t = ne.empty(100).uniform_(-1, 1)
        >>> bool(((t >= -1) & (t < 1)).all())
        True
    """
    return _fill(self, _np(generator).uniform(float(a), float(b), self.shape))


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill in place from N(mean, std**2); returns ``self``.

    Example:
        >>> ne.empty(1000).normal_(5.0, 0.1).mean().round().item()
        5.0
    """
    return _fill(self, _np(generator).normal(float(mean), float(std), self.shape))


__all__ = ["Generator", "default_generator", "get_rng_state", "set_rng_state", "seed", "initial_seed", "use_deterministic_algorithms",
           "are_deterministic_algorithms_enabled", "is_deterministic_algorithms_warn_only_enabled", "multinomial",
           "bernoulli", "poisson", "randint_like"]

TENSOR_METHODS = {"multinomial": multinomial, "bernoulli": bernoulli, "bernoulli_": bernoulli_,
                  "random_": random_, "exponential_": exponential_, "log_normal_": log_normal_,
                  "geometric_": geometric_, "cauchy_": cauchy_, "uniform_": uniform_, "normal_": normal_}
