"""float64 numpy oracle for the pad family (F.pad through numpy.pad), its adjoint proven by finite
differences in tests/test_pad.py."""

from __future__ import annotations

import numpy as np


def pad(x, pads, mode, value=0.0):
    """float64 F.pad of the last len(pads)//2 dims through numpy.pad (negative pads crop first)."""
    x = np.asarray(x, np.float64)
    nd = len(pads) // 2
    widths = [(0, 0)] * (x.ndim - nd)
    crops = [slice(None)] * (x.ndim - nd)
    for d in range(nd):  # pads list the last dimension first
        lo, hi = pads[2 * (nd - 1 - d)], pads[2 * (nd - 1 - d) + 1]
        n = x.shape[x.ndim - nd + d]
        crops.append(slice(max(0, -lo), n - max(0, -hi)))
        widths.append((max(0, lo), max(0, hi)))
    x = x[tuple(crops)]
    npmode = {"constant": "constant", "reflect": "reflect", "replicate": "edge"}[mode]
    return np.pad(x, widths, npmode, **({"constant_values": value} if mode == "constant" else {}))
