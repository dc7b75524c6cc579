"""Array kernels behind the affine, rotate, blur and colour-curve functions of nnengine.vision.transforms, in
torchvision's tensor formulas: images as float (N, C, H, W) numpy arrays, an affine warp as torchvision's grid
(``_gen_affine_grid``) sampled as ``grid_sample(..., padding_mode="zeros", align_corners=False)`` with its
fill-mask trick, the Gaussian blur as its normalised kernel over a reflect-padded image, and integer images
rounded back to their dtype (``_cast_squeeze_out``)."""

from __future__ import annotations

import math
from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np

from ...tensor import Tensor, from_numpy
from ._core import _is_pil


def _max_value(dtype: Any) -> float:
    """torchvision's ``_max_value``: the integer dtype's max, 1 for floats."""
    dtype = np.dtype(dtype)
    return float(np.iinfo(dtype).max) if np.issubdtype(dtype, np.integer) else 1.0


def _to_nchw(img: Any, name: str = "img") -> Tuple[np.ndarray, Callable[[np.ndarray], Any]]:
    """``(array (N, C, H, W), back)`` for a tensor (..., C, H, W) / (H, W), a numpy (H, W[, C]) array or a PIL
    image; ``back(array)`` rebuilds the same kind, shape and (for PIL) mode."""
    if isinstance(img, Tensor):
        a = img.numpy()
        if a.ndim < 2:
            raise ValueError(f"{name}: expected a tensor (..., C, H, W) or (H, W), got shape {a.shape}")
        shape = a.shape
        flat = a.reshape((1, 1) + shape) if a.ndim == 2 else a.reshape((-1,) + shape[-3:])
        return flat, lambda o: from_numpy(np.ascontiguousarray(o.reshape(shape[:-2] + o.shape[-2:])))
    if _is_pil(img) or isinstance(img, np.ndarray):
        a = np.asarray(img)
        if a.ndim not in (2, 3):
            raise ValueError(f"{name}: expected an image (H, W) or (H, W, C), got shape {a.shape}")
        nd = a.ndim
        flat = (a[None, None] if nd == 2 else np.moveaxis(a, -1, 0)[None])

        def back(o: np.ndarray) -> Any:
            out = np.ascontiguousarray(o[0, 0] if nd == 2 else np.moveaxis(o[0], 0, -1))
            if _is_pil(img):
                from PIL import Image

                return Image.fromarray(out, mode=img.mode) if img.mode in ("L", "RGB", "RGBA", "F", "I") \
                    else Image.fromarray(out)
            return out

        return flat, back
    raise TypeError(f"{name}: expected a PIL Image, a numpy array or a Tensor, got {type(img).__name__}")


def _work_dtype(dtype: Any) -> Any:
    """torchvision computes integer images in float32 and float images in their own dtype."""
    return np.dtype(dtype if np.issubdtype(dtype, np.floating) else np.float32)


def _cast_back(out: np.ndarray, dtype: Any) -> np.ndarray:
    """``_cast_squeeze_out``: integer dtypes are rounded (half to even, as torch.round) before the cast."""
    if np.issubdtype(dtype, np.integer):
        out = np.round(out)
    return out.astype(dtype, copy=False)


# --- the affine grid and its sampling (torchvision's _functional_tensor)

def inverse_affine_matrix(center: Sequence[float], angle: float, translate: Sequence[float], scale: float,
                          shear: Sequence[float], inverted: bool = True) -> List[float]:
    """torchvision's ``_get_inverse_affine_matrix``: M = T * C * RotateScaleShear * C^-1 (its inverse if
    ``inverted``), as 6 floats (PIL's ``Image.transform`` order)."""
    rot, sx, sy = math.radians(angle), math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    if inverted:
        m = [x / scale for x in (d, -b, 0.0, -c, a, 0.0)]
        m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty)
        m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty)
        m[2] += cx
        m[5] += cy
    else:
        m = [x * scale for x in (a, b, 0.0, c, d, 0.0)]
        m[2] += m[0] * (-cx) + m[1] * (-cy)
        m[5] += m[3] * (-cx) + m[4] * (-cy)
        m[2] += cx + tx
        m[5] += cy + ty
    return m


def affine_output_size(matrix: Sequence[float], w: int, h: int) -> Tuple[int, int]:
    """torchvision's ``_compute_affine_output_size``: (w, h) of the canvas holding the whole warped image."""
    pts = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0], [0.5 * w, 0.5 * h, 1.0],
                    [0.5 * w, -0.5 * h, 1.0]], np.float32)
    theta = np.asarray(matrix, np.float32).reshape(2, 3)
    new = pts @ theta.T
    lo = new.min(0) + np.array([w * 0.5, h * 0.5], np.float32)
    hi = new.max(0) + np.array([w * 0.5, h * 0.5], np.float32)
    tol = np.float32(1e-4)
    cmax = np.ceil(np.trunc(hi / tol) * tol)
    cmin = np.floor(np.trunc(lo / tol) * tol)
    size = cmax - cmin
    return int(size[0]), int(size[1])


def _affine_grid(matrix: Sequence[float], w: int, h: int, ow: int, oh: int, dtype: Any) -> np.ndarray:
    """torchvision's ``_gen_affine_grid``: (oh, ow, 2) sampling positions in [-1, 1] (x, y)."""
    theta = np.asarray(matrix, dtype).reshape(2, 3)
    xs = np.linspace(-ow * 0.5 + 0.5, ow * 0.5 + 0.5 - 1, ow).astype(dtype)
    ys = np.linspace(-oh * 0.5 + 0.5, oh * 0.5 + 0.5 - 1, oh).astype(dtype)
    rt = theta.T / np.array([0.5 * w, 0.5 * h], dtype)  # (3, 2)
    gx = xs[None, :] * rt[0, 0] + ys[:, None] * rt[1, 0] + rt[2, 0]
    gy = xs[None, :] * rt[0, 1] + ys[:, None] * rt[1, 1] + rt[2, 1]
    return np.stack([gx, gy], -1).astype(dtype, copy=False)


def _grid_sample(a: np.ndarray, grid: np.ndarray, mode: str) -> np.ndarray:
    """``torch.nn.functional.grid_sample(a, grid, mode, padding_mode="zeros", align_corners=False)`` for one
    grid shared by the batch: a (N, C, H, W), grid (oh, ow, 2)."""
    n, c, h, w = a.shape
    dt = a.dtype
    ix = ((grid[..., 0] + dt.type(1)) * dt.type(w) - dt.type(1)) / dt.type(2)
    iy = ((grid[..., 1] + dt.type(1)) * dt.type(h) - dt.type(1)) / dt.type(2)
    out = np.zeros((n, c) + ix.shape, dt)

    def gather(yy: np.ndarray, xx: np.ndarray, wgt: Optional[np.ndarray]) -> None:
        ok = (xx >= 0) & (xx < w) & (yy >= 0) & (yy < h)
        vals = a[:, :, np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1)] * ok
        out[...] += vals if wgt is None else vals * wgt

    if mode == "nearest":
        gather(np.rint(iy).astype(np.int64), np.rint(ix).astype(np.int64), None)
        return out
    x0, y0 = np.floor(ix), np.floor(iy)
    x1, y1 = x0 + 1, y0 + 1
    xi0, yi0 = x0.astype(np.int64), y0.astype(np.int64)
    gather(yi0, xi0, (x1 - ix) * (y1 - iy))
    gather(yi0, xi0 + 1, (ix - x0) * (y1 - iy))
    gather(yi0 + 1, xi0, (x1 - ix) * (iy - y0))
    gather(yi0 + 1, xi0 + 1, (ix - x0) * (iy - y0))
    return out


def grid_transform(img: Any, matrix: Sequence[float], mode: str, fill: Any, out_wh: Optional[Tuple[int, int]] = None,
                   name: str = "img") -> Any:
    """torchvision's tensor ``affine`` / ``rotate`` (``_apply_grid_transform``) on a tensor or numpy image:
    ``matrix`` the inverse affine matrix about the image center, ``mode`` "nearest" or "bilinear", ``fill``
    None (zeros) or a number / per-channel sequence painted through a sampled mask."""
    if mode not in ("nearest", "bilinear"):
        raise ValueError(f"interpolation: only NEAREST and BILINEAR are supported for tensors, got {mode!r}")
    a, back = _to_nchw(img, name)
    src_dtype = a.dtype
    dt = _work_dtype(src_dtype)
    n, c, h, w = a.shape
    ow, oh = out_wh if out_wh is not None else (w, h)
    if fill is not None and isinstance(fill, (list, tuple)) and len(fill) > 1 and len(fill) != c:
        raise ValueError(f"fill: the number of elements in 'fill' cannot broadcast to match the number of channels "
                         f"of the image ({len(fill)} != {c})")
    grid = _affine_grid(matrix, w, h, ow, oh, dt)
    x = a.astype(dt, copy=False)
    if fill is not None:
        x = np.concatenate([x, np.ones((n, 1, h, w), dt)], 1)
    out = _grid_sample(x, grid, mode)
    if fill is not None:
        mask, out = out[:, -1:], out[:, :-1]
        fv = np.asarray(list(fill) if isinstance(fill, (list, tuple)) else [float(fill)], dt).reshape(1, -1, 1, 1)
        fv = np.broadcast_to(fv, out.shape)
        if mode == "nearest":
            m = np.broadcast_to(mask < 0.5, out.shape)
            out = np.where(m, fv, out)
        else:
            out = out * mask + (dt.type(1) - mask) * fv
    return back(_cast_back(out, src_dtype))


# --- Gaussian blur (torchvision's kernel: a normalised sampled Gaussian, reflect padding, cast back rounded)

def gaussian_kernel1d(kernel_size: int, sigma: float, dtype: Any = np.float32) -> np.ndarray:
    """torchvision's ``_get_gaussian_kernel1d``: exp(-x^2 / (2 sigma^2)) over x in linspace(-(k-1)/2, (k-1)/2),
    normalised to sum 1."""
    half = (kernel_size - 1) * 0.5
    dtype = np.dtype(dtype)
    x = np.linspace(-half, half, kernel_size).astype(dtype)
    pdf = np.exp(dtype.type(-0.5) * (x / dtype.type(sigma)) ** 2)
    return pdf / pdf.sum()


def gaussian_blur_array(img: Any, kernel_size: Sequence[int], sigma: Sequence[float]) -> Any:
    """Blur with the (kx, ky) kernel of (sigma_x, sigma_y) over the reflect-padded image (same size out)."""
    a, back = _to_nchw(img)
    src_dtype = a.dtype
    dt = _work_dtype(src_dtype)
    kx, ky = int(kernel_size[0]), int(kernel_size[1])
    h, w = a.shape[-2:]
    if kx // 2 >= w or ky // 2 >= h:
        raise ValueError(f"kernel_size: padding {kx // 2, ky // 2} must be smaller than the image size {(h, w)} "
                         "for reflect padding")
    kern = np.outer(gaussian_kernel1d(ky, sigma[1], dt), gaussian_kernel1d(kx, sigma[0], dt))
    x = np.pad(a.astype(dt, copy=False), [(0, 0), (0, 0), (ky // 2, ky // 2), (kx // 2, kx // 2)], mode="reflect")
    out = np.zeros(a.shape, np.float64)
    for i in range(ky):  # the 2-D kernel (as torchvision's conv2d), accumulated in float64
        for j in range(kx):
            out += kern[i, j] * x[:, :, i:i + h, j:j + w].astype(np.float64)
    return back(_cast_back(out.astype(dt), src_dtype))


# --- colour curves on arrays (torchvision's _functional_tensor formulas)

def invert_array(a: np.ndarray) -> np.ndarray:
    """``_max_value(dtype) - a``."""
    return (np.asarray(_max_value(a.dtype)).astype(a.dtype) - a).astype(a.dtype)


def autocontrast_array(a: np.ndarray) -> np.ndarray:
    """Per image and channel, stretch [min, max] to [0, bound] (constant channels unchanged)."""
    bound = _max_value(a.dtype)
    dt = _work_dtype(a.dtype)
    lo = a.min(axis=(-2, -1), keepdims=True).astype(dt)
    hi = a.max(axis=(-2, -1), keepdims=True).astype(dt)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = dt.type(bound) / (hi - lo)
    bad = ~np.isfinite(scale)
    lo = np.where(bad, 0, lo).astype(dt)
    scale = np.where(bad, 1, scale).astype(dt)
    return np.clip((a - lo) * scale, 0, bound).astype(a.dtype)


def equalize_array(a: np.ndarray) -> np.ndarray:
    """torchvision's ``_scale_channel`` per image and channel of a uint8 (N, C, H, W) array."""
    out = a.copy()
    for n in range(a.shape[0]):
        for c in range(a.shape[1]):
            ch = a[n, c]
            hist = np.bincount(ch.reshape(-1), minlength=256)
            nonzero = hist[hist != 0]
            step = int(nonzero[:-1].sum()) // 255
            if step == 0:
                continue
            lut = (np.cumsum(hist) + step // 2) // step
            lut = np.clip(np.concatenate([[0], lut[:-1]]), 0, 255)
            out[n, c] = lut[ch.astype(np.int64)].astype(np.uint8)
    return out


def blend_array(a: np.ndarray, other: np.ndarray, ratio: float) -> np.ndarray:
    """torchvision's ``_blend``: ``(ratio * a + (1 - ratio) * other).clamp(0, bound)`` cast (truncating)."""
    bound = _max_value(a.dtype)
    dt = _work_dtype(a.dtype)
    out = np.clip(dt.type(ratio) * a.astype(dt) + dt.type(1.0 - ratio) * other.astype(dt), 0, bound)
    return out.astype(a.dtype)


def sharpness_array(a: np.ndarray, factor: float) -> np.ndarray:
    """Blend with torchvision's ``_blurred_degenerate_image`` (a 3x3 [1 1 1; 1 5 1; 1 1 1] / 13 smoothing of
    the interior, the border kept)."""
    h, w = a.shape[-2:]
    if h <= 2 or w <= 2:
        return a
    dt = _work_dtype(a.dtype)
    k = np.ones((3, 3), dt)
    k[1, 1] = 5.0
    k /= k.sum()
    x = a.astype(dt)
    acc = np.zeros(a.shape[:-2] + (h - 2, w - 2), np.float64)
    for i in range(3):
        for j in range(3):
            acc += k[i, j] * x[..., i:i + h - 2, j:j + w - 2].astype(np.float64)
    degenerate = a.copy()
    degenerate[..., 1:-1, 1:-1] = _cast_back(acc.astype(dt), a.dtype)
    return blend_array(a, degenerate, factor)


def convert_dtype_array(a: np.ndarray, dtype: Any) -> np.ndarray:
    """torchvision's ``convert_image_dtype`` on an array: rescales between [0, 1] floats and [0, max] integers."""
    dtype = np.dtype(dtype)
    if a.dtype == dtype:
        return a
    src_float, dst_float = np.issubdtype(a.dtype, np.floating), np.issubdtype(dtype, np.floating)
    if src_float and dst_float:
        return a.astype(dtype)
    if src_float:
        if (a.dtype == np.float32 and dtype in (np.int32, np.int64)) or (a.dtype == np.float64 and dtype == np.int64):
            raise RuntimeError(f"The cast from {a.dtype} to {dtype} cannot be performed safely.")
        return (a * a.dtype.type(_max_value(dtype) + 1.0 - 1e-3)).astype(dtype)
    in_max = _max_value(a.dtype)
    if dst_float:
        return a.astype(dtype) / dtype.type(in_max)
    out_max = _max_value(dtype)
    if in_max > out_max:
        return (a // int((in_max + 1) // (out_max + 1))).astype(dtype)
    return a.astype(dtype) * dtype.type(int((out_max + 1) // (in_max + 1)))
