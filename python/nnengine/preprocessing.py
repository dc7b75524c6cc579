"""Preprocessing: scalers, PCA and whitening, fitted in float64, usable as the first stage of a model.

Every transformer is an ``nn.Module`` whose fitted statistics are float64 buffers (sklearn's attribute
names: ``mean_``, ``scale_``, ``components_``...), so they travel with the model's ``state_dict`` and with
``nnengine.io.save_model``. ``forward(x)`` is ``transform(x)``: put a fitted scaler first in a
``Sequential`` and the saved model takes raw inputs. The stage is a fixed input transform (no gradient
flows through it to the input).

Statistics are per feature: a ``(N, D)`` array has D features and an ``(N, C, H, W)`` batch has C*H*W
(each pixel its own feature). With ``per_channel=True`` the scalers pool each channel of an ``(N, C, ...)``
batch (axis 1) over the batch and spatial positions, the usual image normalisation. PCA and the whitening
transforms always work on the flattened features.

Inputs may be numpy arrays or Tensors; the output has the same kind (Tensors come back float32, arrays
keep their float dtype; integer arrays become float64).

Example:
    >>> from nnengine.preprocessing import StandardScaler
    >>> x = np.random.default_rng(0).normal(5.0, 2.0, (100, 3))
    >>> sc = StandardScaler().fit(x)
    >>> model = nn.Sequential(sc, nn.Linear(3, 2))  # the scaler's state is in model.state_dict()
    >>> model(ne.tensor(x, dtype=ne.float32)).shape
    (100, 2)
"""

from __future__ import annotations

from typing import Any, Dict, Tuple, Union

import numpy as np

from ._coerce import wrap_tensor
from .nn.module import Module
from .tensor import Tensor

__all__ = ["MeanSubtraction", "StandardScaler", "MinMaxScaler", "PCA", "PCAWhitening", "ZCAWhitening",
           "NotFittedError"]


class NotFittedError(ValueError):
    """A transformer was used before ``fit``.

    Example:
        >>> StandardScaler().transform(np.ones((2, 3)))
        Traceback (most recent call last):
            ...
        nnengine.preprocessing.NotFittedError: StandardScaler is not fitted yet: call fit(x) first
    """


def _to_float64(x: Any, name: str = "x") -> Tuple[np.ndarray, Any]:
    """float64 copy-free view of ``x`` and a function that converts a result back to x's kind."""
    if isinstance(x, Tensor):
        arr = x._data
        back = lambda a: Tensor(np.asarray(a, dtype=np.float32))  # noqa: E731
    else:
        arr = np.asarray(x)
        out_dt = arr.dtype if arr.dtype.kind == "f" else np.dtype(np.float64)
        back = lambda a: np.asarray(a, dtype=out_dt)  # noqa: E731
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{name}: expected numbers, got an array of dtype {arr.dtype}")
    if arr.ndim < 2:
        raise ValueError(f"{name}: expected a batch (N, features...) with ndim >= 2, got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name}: expected at least one sample, got shape {arr.shape}")
    return arr.astype(np.float64, copy=False), back


class _Preprocessor(Module):
    """Shared plumbing: the (N, F) view of the input, the fitted check, fit_transform, forward, state."""

    _fitted_buffer = "mean_"

    def __init__(self, per_channel: bool = False) -> None:
        super().__init__()
        if not isinstance(per_channel, (bool, np.bool_)):
            raise TypeError(f"per_channel: expected a bool, got {type(per_channel).__name__}")
        self.per_channel = bool(per_channel)
        self.register_buffer("feature_shape_", None)

    # -- the 2-D view: rows are observations, columns are the features a statistic is computed for
    def _rows(self, a: np.ndarray) -> np.ndarray:
        if self.per_channel:
            if a.ndim < 3:
                return a.reshape(a.shape[0], -1)
            return np.moveaxis(a, 1, -1).reshape(-1, a.shape[1])
        return a.reshape(a.shape[0], -1)

    def _unrows(self, r: np.ndarray, shape: Tuple[int, ...]) -> np.ndarray:
        if self.per_channel and len(shape) >= 3:
            moved = (shape[0],) + tuple(shape[2:]) + (shape[1],)
            return np.moveaxis(r.reshape(moved), -1, 1)
        return r.reshape(shape)

    def _feature_shape(self, a: np.ndarray) -> Tuple[int, ...]:
        return (a.shape[1],) if self.per_channel and a.ndim >= 3 else tuple(a.shape[1:])

    def _check_fitted(self, a: np.ndarray, name: str = "x") -> None:
        if self._buffers.get(self._fitted_buffer) is None:
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit(x) first")
        want = tuple(int(s) for s in self.feature_shape_)
        got = self._feature_shape(a)
        if int(np.prod(got)) != int(np.prod(want)):
            raise ValueError(f"{name}: fitted on features of shape {want}, got {got} (input shape {a.shape})")

    # -- public API
    def fit(self, x: Any, y: Any = None) -> _Preprocessor:
        """Compute the statistics from ``x`` (y is ignored); returns self.

        Example:
            >>> x = np.random.default_rng(0).normal(5.0, 2.0, (100, 3))
            >>> StandardScaler().fit(x).mean_.round(1)
            array([4.8, 5. , 5. ])
        """
        a, _ = _to_float64(x)
        if not np.all(np.isfinite(a)):
            raise ValueError("x: contains NaN or infinity")
        self.feature_shape_ = np.asarray(self._feature_shape(a), dtype=np.int64)
        self._fit(self._rows(a))
        return self

    def transform(self, x: Any) -> Any:
        """Apply the fitted statistics to ``x`` (numpy in -> numpy out, Tensor in -> Tensor out).

        Example:
            >>> x = np.random.default_rng(0).normal(5.0, 2.0, (100, 3))
            >>> z = StandardScaler().fit(x).transform(x); z.mean(0).round(6) + 0.0
            array([0., 0., 0.])
        """
        a, back = _to_float64(x)
        self._check_fitted(a)
        return back(self._unrows(self._transform(self._rows(a)), a.shape))

    def inverse_transform(self, x: Any) -> Any:
        """Undo :meth:`transform`.

        Example:
            >>> x = np.random.default_rng(0).normal(5.0, 2.0, (100, 3))
            >>> sc = StandardScaler().fit(x)
            >>> np.allclose(sc.inverse_transform(sc.transform(x)), x)
            True
        """
        a, back = _to_float64(x)
        if self._buffers.get(self._fitted_buffer) is None:
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit(x) first")
        return back(self._unrows(self._inverse(self._rows(a)), a.shape))

    def fit_transform(self, x: Any, y: Any = None) -> Any:
        """``fit(x)`` then ``transform(x)``.

        Example:
            >>> x = np.random.default_rng(0).normal(5.0, 2.0, (100, 3))
            >>> MinMaxScaler().fit_transform(x).min(0)
            array([0., 0., 0.])
        """
        return self.fit(x).transform(x)

    def forward(self, x: Any) -> Any:
        return self.transform(wrap_tensor(x))

    def get_state(self) -> Dict[str, np.ndarray]:
        """The fitted statistics (same as ``state_dict()``).

        Example:
            >>> x = np.random.default_rng(0).normal(5.0, 2.0, (100, 3))
            >>> sorted(StandardScaler().fit(x).get_state())
            ['feature_shape_', 'mean_', 'scale_', 'var_']
        """
        return dict(self.state_dict())

    def set_state(self, state: Dict[str, Any]) -> _Preprocessor:
        """Restore statistics from ``get_state()``/``state_dict()`` (replacing any fitted ones).

        Example:
            >>> x = np.random.default_rng(0).normal(5.0, 2.0, (100, 3))
            >>> a = StandardScaler().fit(x)
            >>> b = StandardScaler().set_state(a.get_state())
            >>> np.allclose(a.transform(x), b.transform(x))
            True
        """
        for k in list(self._buffers):
            self._buffers[k] = None
        self.load_state_dict(state)
        return self

    # -- per class
    def _fit(self, r: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _transform(self, r: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _inverse(self, r: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def extra_repr(self) -> str:
        return f"per_channel={self.per_channel}" if self.per_channel else ""


class MeanSubtraction(_Preprocessor):
    """Subtract the per-feature (or per-channel) mean.

    Example:
        >>> images = np.random.default_rng(0).random((8, 3, 4, 4))
        >>> ms = MeanSubtraction(per_channel=True).fit(images)
        >>> ms.transform(images).mean(axis=(0, 2, 3)).round(6) + 0.0
        array([0., 0., 0.])
    """

    def __init__(self, per_channel: bool = False) -> None:
        super().__init__(per_channel)
        self.register_buffer("mean_", None)

    def _fit(self, r: np.ndarray) -> None:
        self.mean_ = r.mean(axis=0)

    def _transform(self, r: np.ndarray) -> np.ndarray:
        return r - self.mean_

    def _inverse(self, r: np.ndarray) -> np.ndarray:
        return r + self.mean_


def _safe_scale(s: np.ndarray) -> np.ndarray:
    """Constant features keep scale 1 (sklearn's rule), so they map to 0 instead of NaN."""
    s = s.copy()
    s[s < 10 * np.finfo(np.float64).eps * np.maximum(1.0, np.abs(s).max(initial=0.0))] = 1.0
    return s


class StandardScaler(_Preprocessor):
    """z-score: ``(x - mean_) / scale_`` with the population standard deviation (sklearn's StandardScaler).

    Example:
        >>> x = np.random.default_rng(0).normal(5.0, 2.0, (100, 3))
        >>> z = StandardScaler().fit_transform(x)
        >>> z.mean(0).round(6) + 0.0, z.std(0).round(6)
        (array([0., 0., 0.]), array([1., 1., 1.]))
    """

    def __init__(self, with_mean: bool = True, with_std: bool = True, per_channel: bool = False) -> None:
        super().__init__(per_channel)
        self.with_mean = bool(with_mean)
        self.with_std = bool(with_std)
        self.register_buffer("mean_", None)
        self.register_buffer("var_", None)
        self.register_buffer("scale_", None)

    def _fit(self, r: np.ndarray) -> None:
        mean = r.mean(axis=0)
        var = r.var(axis=0)
        self.mean_ = mean if self.with_mean else np.zeros_like(mean)
        self.var_ = var
        self.scale_ = _safe_scale(np.sqrt(var)) if self.with_std else np.ones_like(var)

    def _transform(self, r: np.ndarray) -> np.ndarray:
        return (r - self.mean_) / self.scale_

    def _inverse(self, r: np.ndarray) -> np.ndarray:
        return r * self.scale_ + self.mean_


class MinMaxScaler(_Preprocessor):
    """Map each feature's [min, max] onto ``feature_range`` (sklearn's MinMaxScaler).

    Example:
        >>> x = np.random.default_rng(0).normal(5.0, 2.0, (100, 3))
        >>> z = MinMaxScaler(feature_range=(-1, 1)).fit_transform(x)
        >>> z.min(0), z.max(0)
        (array([-1., -1., -1.]), array([1., 1., 1.]))
    """

    _fitted_buffer = "scale_"

    def __init__(self, feature_range: Tuple[float, float] = (0, 1), per_channel: bool = False,
                 clip: bool = False) -> None:
        super().__init__(per_channel)
        try:
            lo, hi = (float(v) for v in feature_range)
        except (TypeError, ValueError):
            raise TypeError(f"feature_range: expected a pair (min, max), got {feature_range!r}") from None
        if not lo < hi:
            raise ValueError(f"feature_range: min must be smaller than max, got {feature_range!r}")
        self.feature_range = (lo, hi)
        self.clip = bool(clip)
        self.register_buffer("data_min_", None)
        self.register_buffer("data_max_", None)
        self.register_buffer("scale_", None)
        self.register_buffer("min_", None)

    def _fit(self, r: np.ndarray) -> None:
        lo, hi = self.feature_range
        dmin, dmax = r.min(axis=0), r.max(axis=0)
        self.data_min_, self.data_max_ = dmin, dmax
        self.scale_ = (hi - lo) / _safe_scale(dmax - dmin)
        self.min_ = lo - dmin * self.scale_

    def _transform(self, r: np.ndarray) -> np.ndarray:
        out = r * self.scale_ + self.min_
        return np.clip(out, *self.feature_range) if self.clip else out

    def _inverse(self, r: np.ndarray) -> np.ndarray:
        return (r - self.min_) / self.scale_

    def extra_repr(self) -> str:
        return f"feature_range={self.feature_range}"


# ----------------------------------------------------------------------------- PCA family
def _eig_from_svd(r: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """mean, components (rows, sign-fixed like sklearn), covariance eigenvalues (ddof=1), singular values."""
    n = r.shape[0]
    if n < 2:
        raise ValueError(f"x: need at least 2 samples to estimate a covariance, got {n}")
    mean = r.mean(axis=0)
    _, s, vt = np.linalg.svd(r - mean, full_matrices=False)
    # sklearn's svd_flip (v-based): the largest-magnitude entry of each component is positive
    idx = np.argmax(np.abs(vt), axis=1)
    vt = vt * np.sign(vt[np.arange(vt.shape[0]), idx])[:, None]
    return mean, vt, s**2 / (n - 1), s


def _n_components(n_components: Union[int, float, None], ratio: np.ndarray) -> int:
    kmax = ratio.shape[0]
    if n_components is None:
        return kmax
    if isinstance(n_components, (float, np.floating)) and 0 < n_components < 1:
        return int(np.searchsorted(np.cumsum(ratio), n_components, side="right")) + 1 if kmax else 0
    if int(n_components) > kmax:
        raise ValueError(f"n_components: {n_components} exceeds min(n_samples, n_features) = {kmax}")
    return int(n_components)


def _check_n_components(n_components: Any) -> Any:
    if n_components is None:
        return None
    if isinstance(n_components, bool) or not isinstance(n_components, (int, float, np.integer, np.floating)):
        raise TypeError("n_components: expected an int, a float in (0, 1) or None, "
                        f"got {type(n_components).__name__}")
    if isinstance(n_components, (float, np.floating)):
        if not 0 < n_components < 1:
            raise ValueError(f"n_components: a float is a variance fraction in (0, 1), got {n_components}")
        return float(n_components)
    if n_components < 1:
        raise ValueError(f"n_components: expected >= 1, got {n_components}")
    return int(n_components)


class _PCABase(_Preprocessor):
    """Flattened (N, D) features, eigen-decomposition of the covariance in float64."""

    def __init__(self, n_components: Union[int, float, None] = None) -> None:
        super().__init__(per_channel=False)
        self.n_components = _check_n_components(n_components)
        self.register_buffer("mean_", None)
        self.register_buffer("components_", None)
        self.register_buffer("explained_variance_", None)
        self.register_buffer("explained_variance_ratio_", None)

    @property
    def n_components_(self) -> int:
        """How many components the fit kept (resolved from a variance fraction or None).

        Example:
            >>> x = np.random.default_rng(0).normal(5.0, 2.0, (100, 3))
            >>> PCA(n_components=0.99).fit(x).n_components_
            3
        """
        if self.components_ is None:
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit(x) first")
        return int(self.components_.shape[0])

    def _fit_eig(self, r: np.ndarray) -> np.ndarray:
        mean, vt, ev, s = _eig_from_svd(r)
        total = ev.sum()
        ratio = ev / total if total > 0 else np.zeros_like(ev)
        k = _n_components(self.n_components, ratio)
        self.mean_ = mean
        self.components_ = vt[:k]
        self.explained_variance_ = ev[:k]
        self.explained_variance_ratio_ = ratio[:k]
        return s[:k]

    def _unrows(self, r: np.ndarray, shape: Tuple[int, ...]) -> np.ndarray:
        return r  # outputs are (N, k) components, or (N, D) flat features from inverse_transform

    def inverse_transform(self, x: Any) -> Any:
        """Back to the input space; the result has the fitted feature shape, e.g. (N, C, H, W).

        Example:
            >>> x = np.random.default_rng(0).normal(5.0, 2.0, (100, 3))
            >>> pca = PCA().fit(x)
            >>> np.allclose(pca.inverse_transform(pca.transform(x)), x)
            True
        """
        out = super().inverse_transform(x)
        shape = (-1,) + tuple(int(s) for s in self.feature_shape_)
        return out.reshape(shape)

    def extra_repr(self) -> str:
        return f"n_components={self.n_components}"


class PCA(_PCABase):
    """Principal component analysis: project onto the top components (sklearn's PCA, full SVD).

    ``n_components``: an int, a float in (0, 1) for the fraction of variance to keep, or None (all).

    Example:
        >>> x = np.random.default_rng(0).normal(5.0, 2.0, (100, 3))
        >>> pca = PCA(n_components=2).fit(x)
        >>> pca.transform(x).shape, pca.n_components_
        ((100, 2), 2)
    """

    def __init__(self, n_components: Union[int, float, None] = None) -> None:
        super().__init__(n_components)
        self.register_buffer("singular_values_", None)

    def _fit(self, r: np.ndarray) -> None:
        self.singular_values_ = self._fit_eig(r)

    def _transform(self, r: np.ndarray) -> np.ndarray:
        return (r - self.mean_) @ self.components_.T

    def _inverse(self, r: np.ndarray) -> np.ndarray:
        return r @ self.components_ + self.mean_


class PCAWhitening(_PCABase):
    """PCA whitening: project onto the components and divide by ``sqrt(eigenvalue + epsilon)``.

    With epsilon -> 0 the output's covariance (ddof=1) is the identity.

    Example:
        >>> x = np.random.default_rng(0).normal(5.0, 2.0, (100, 3))
        >>> w = PCAWhitening(epsilon=0.0).fit(x)
        >>> np.cov(w.transform(x), rowvar=False).round(6) + 0.0  # the identity
        array([[1., 0., 0.],
               [0., 1., 0.],
               [0., 0., 1.]])
    """

    def __init__(self, n_components: Union[int, float, None] = None, epsilon: float = 1e-5) -> None:
        super().__init__(n_components)
        if not epsilon >= 0:
            raise ValueError(f"epsilon: expected >= 0, got {epsilon}")
        self.epsilon = float(epsilon)

    def _fit(self, r: np.ndarray) -> None:
        self._fit_eig(r)

    def _transform(self, r: np.ndarray) -> np.ndarray:
        return ((r - self.mean_) @ self.components_.T) / np.sqrt(self.explained_variance_ + self.epsilon)

    def _inverse(self, r: np.ndarray) -> np.ndarray:
        return (r * np.sqrt(self.explained_variance_ + self.epsilon)) @ self.components_ + self.mean_

    def extra_repr(self) -> str:
        return f"n_components={self.n_components}, epsilon={self.epsilon}"


class ZCAWhitening(_Preprocessor):
    """ZCA (Mahalanobis) whitening: ``(x - mean_) @ whitening_`` with
    ``whitening_ = V diag(1/sqrt(eigenvalue + epsilon)) V^T``; the output stays in the input space
    (images still look like images) and its covariance is ~identity.

    Example:
        >>> images = np.random.default_rng(0).random((50, 1, 3, 3))
        >>> zca = ZCAWhitening(epsilon=1e-2).fit(images)
        >>> zca.transform(images).shape
        (50, 1, 3, 3)
    """

    def __init__(self, epsilon: float = 1e-5) -> None:
        super().__init__(per_channel=False)
        if not epsilon >= 0:
            raise ValueError(f"epsilon: expected >= 0, got {epsilon}")
        self.epsilon = float(epsilon)
        self.register_buffer("mean_", None)
        self.register_buffer("whitening_", None)
        self.register_buffer("dewhitening_", None)

    def _fit(self, r: np.ndarray) -> None:
        mean, vt, ev, _ = _eig_from_svd(r)
        d = r.shape[1]
        if vt.shape[0] < d:  # fewer samples than features: complete the basis (those eigenvalues are 0)
            q, _ = np.linalg.qr(np.concatenate([vt.T, np.eye(d)], axis=1))
            vt = q[:, :d].T
            ev = np.concatenate([ev, np.zeros(d - ev.shape[0])])
        if self.epsilon == 0 and np.any(ev <= ev.max(initial=0.0) * d * np.finfo(np.float64).eps):
            raise ValueError("ZCAWhitening: the covariance is singular; use epsilon > 0")
        root = np.sqrt(ev + self.epsilon)
        self.mean_ = mean
        self.whitening_ = (vt.T / root) @ vt
        self.dewhitening_ = (vt.T * root) @ vt

    def _transform(self, r: np.ndarray) -> np.ndarray:
        return (r - self.mean_) @ self.whitening_

    def _inverse(self, r: np.ndarray) -> np.ndarray:
        return r @ self.dewhitening_ + self.mean_

    def extra_repr(self) -> str:
        return f"epsilon={self.epsilon}"
