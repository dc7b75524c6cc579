"""``ne.device``: nnengine runs on the CPU only; device objects exist so torch code that passes devices
around runs unchanged, and anything but the CPU is a clear error where it is used.

Example:
    >>> import nnengine as ne
    >>> dev = ne.device("cuda" if ne.cuda.is_available() else "cpu")
    >>> ne.zeros(2, device=dev).device == "cpu"
    True
"""

from __future__ import annotations

from typing import Any, Optional, Union


class DeviceError(RuntimeError, ValueError):
    """A non-CPU device was asked for (both a RuntimeError and a ValueError).

    Example:
        >>> ne.zeros(2, device="cuda")
        Traceback (most recent call last):
            ...
        nnengine._device.DeviceError: device: nnengine runs on the CPU only; got device 'cuda'
    """


class device:
    """``torch.device``'s value type: ``device("cpu")``, ``device("cpu:0")``, ``device("cuda", 0)``.

    Constructing a non-CPU device works (as in torch, where it does not need the hardware); using it to
    place a tensor raises ``DeviceError``. Compares equal to its string form (``device("cpu") == "cpu"``).

    Example:
        >>> str(device("cpu:0")), device("cpu") == "cpu"
        ('cpu:0', True)
    """

    __slots__ = ("type", "index")

    def __init__(self, type: Union[str, device] = "cpu", index: Optional[int] = None) -> None:  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string such as 'cpu', got {type!r}")
        s = type.strip().lower()
        if ":" in s:
            s, _, idx = s.partition(":")
            if index is not None:
                raise ValueError(f"device: index given twice in {type!r}")
            try:
                index = int(idx)
            except ValueError as e:
                raise ValueError(f"device: invalid device string {type!r}") from e
        if not s or not s.replace("_", "").isalnum():
            raise ValueError(f"device: invalid device string {type!r}")
        if index is not None and int(index) < 0:
            raise ValueError(f"device: index must be non-negative, got {index}")
        self.type = s
        self.index = None if index is None else int(index)

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        idx = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{idx})"

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except ValueError:
                return False
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))


CPU = device("cpu")


def check_device(dev: Any, name: str = "device") -> device:
    """``dev`` (None, a string, an int or a ``device``) as ``device("cpu")``, or ``DeviceError`` naming it.

    For layer constructors' and ``Module.to``'s ``device=`` arguments.

    Example:
        >>> check_device("cpu:0", "device")
        device(type='cpu')
        >>> check_device("cuda:0", "device")
        Traceback (most recent call last):
            ...
        nnengine._device.DeviceError: device: nnengine runs on the CPU only; got device 'cuda:0'
    """
    if dev is None or dev is CPU:
        return CPU
    if isinstance(dev, bool):
        raise TypeError(f"{name}: expected a device, got {dev!r}")
    if isinstance(dev, int):  # torch: a bare int is a CUDA ordinal
        raise DeviceError(f"{name}: nnengine runs on the CPU only; got device 'cuda:{dev}'")
    if not isinstance(dev, device):
        if not isinstance(dev, str) and str(type(dev).__name__) == "device":  # a torch.device
            dev = str(dev)
        try:
            dev = device(dev)
        except (TypeError, ValueError) as e:
            raise TypeError(f"{name}: expected a device such as 'cpu', got {dev!r}") from e
    if dev.type != "cpu":
        raise DeviceError(f"{name}: nnengine runs on the CPU only; got device '{dev}'")
    return CPU


def is_device_like(x: Any) -> bool:
    """Whether ``x`` reads as a device argument (a ``device`` or a device string such as 'cpu', 'cuda:0')."""
    if isinstance(x, device):
        return True
    if isinstance(x, str):
        return x.split(":")[0].strip().lower() in ("cpu", "cuda", "mps", "xpu", "meta", "hip", "xla", "ipu", "hpu",
                                                   "mtia", "privateuseone", "vulkan", "opengl", "ideep", "mkldnn",
                                                   "fpga", "ve", "lazy")
    return type(x).__name__ == "device"


class memory_format:
    """torch's ``torch.memory_format`` values (``contiguous_format``, ``channels_last``, ``channels_last_3d``,
    ``preserve_format``): layout hints. nnengine keeps every tensor C-contiguous (NCHW for images), so passing one
    (``x.contiguous(memory_format=ne.channels_last)``, ``model.to(memory_format=...)``) changes no value.

    Example:
        >>> ne.channels_last, ne.contiguous_format
        (torch.channels_last, torch.contiguous_format)
    """

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"torch.{self._name}"

    def __reduce__(self) -> str:
        return self._name


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")
