"""float64 numpy oracle for the transposed convolution (a direct scatter into a full-size output, then the
padding cropped), proven by finite differences in tests/test_conv_transpose.py."""

from __future__ import annotations

import numpy as np


def _full(x, w, stride, dilation, output_padding):
    H, W = x.shape[2:]
    R, S = w.shape[2:]
    return ((H - 1) * stride[0] + dilation[0] * (R - 1) + 1 + output_padding[0],
            (W - 1) * stride[1] + dilation[1] * (S - 1) + 1 + output_padding[1])


def _taps(x, w, stride, dilation, groups):
    """Yields (channel slices, r, s, row slice, column slice) of every group and tap in the full output."""
    H, W = x.shape[2:]
    Cg, Kg = x.shape[1] // groups, w.shape[1]
    (sh, sw), (dh, dw) = stride, dilation
    for g in range(groups):
        for r in range(w.shape[2]):
            for s in range(w.shape[3]):
                yield (slice(g * Cg, (g + 1) * Cg), slice(g * Kg, (g + 1) * Kg), r, s,
                       slice(r * dh, r * dh + sh * (H - 1) + 1, sh), slice(s * dw, s * dw + sw * (W - 1) + 1, sw))


def conv_transpose2d(x, w, b=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0), dilation=(1, 1), groups=1):
    x = np.asarray(x, np.float64)
    w = np.asarray(w, np.float64)
    N = x.shape[0]
    K = w.shape[1] * groups
    Hf, Wf = _full(x, w, stride, dilation, output_padding)
    yf = np.zeros((N, K, Hf, Wf))
    for cs, ks, r, s, hs, ws in _taps(x, w, stride, dilation, groups):
        yf[:, ks, hs, ws] += np.einsum("nchw,ck->nkhw", x[:, cs], w[cs, :, r, s])
    (ph, pw) = padding
    y = yf[:, :, ph : Hf - ph, pw : Wf - pw]
    if b is not None:
        y = y + np.asarray(b, np.float64)[None, :, None, None]
    return y


def conv_transpose2d_backward(dy, x, w, stride=(1, 1), padding=(0, 0), output_padding=(0, 0), dilation=(1, 1),
                              groups=1):
    """(dx, dw, db) of conv_transpose2d for upstream gradient dy."""
    dy = np.asarray(dy, np.float64)
    x = np.asarray(x, np.float64)
    w = np.asarray(w, np.float64)
    Hf, Wf = _full(x, w, stride, dilation, output_padding)
    (ph, pw) = padding
    dyf = np.zeros(dy.shape[:2] + (Hf, Wf))
    dyf[:, :, ph : Hf - ph, pw : Wf - pw] = dy
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    for cs, ks, r, s, hs, ws in _taps(x, w, stride, dilation, groups):
        dx[:, cs] += np.einsum("nkhw,ck->nchw", dyf[:, ks, hs, ws], w[cs, :, r, s])
        dw[cs, :, r, s] = np.einsum("nkhw,nchw->ck", dyf[:, ks, hs, ws], x[:, cs])
    return dx, dw, dy.sum(axis=(0, 2, 3))
