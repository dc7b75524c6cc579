"""``torch.hub`` without the network: weights come from torch's hub cache (or a folder you name), never from a
download.

``load_state_dict_from_url(url)`` looks for the URL's file name in ``get_dir()/checkpoints`` (torch's cache:
``$TORCH_HOME/hub``, by default ``~/.cache/torch/hub``; a machine that ran torch or torchvision with pretrained
weights has them there) and reads it with ``ne.load`` (torch's file formats, without running code). When the
file is missing the error names the file and the folder to put it in. ``check_hash=True`` verifies the
SHA-256 prefix in torchvision-style names (``resnet18-f37072fd.pth``), as torch does. ``torch.hub.load`` of a
GitHub repository is not supported (it would download and run the repository's code).

Example:
    >>> import nnengine.hub as hub
    >>> hub.get_dir().endswith("hub")
    True
"""

from __future__ import annotations

import hashlib
import os
import re
from typing import Any, Optional
from urllib.parse import urlparse

__all__ = ["get_dir", "set_dir", "checkpoints_dir", "load_state_dict_from_url", "download_url_to_file", "load", "list", "help"]

_HASH = re.compile(r"-([a-f0-9]*)\.")
_dir: Optional[str] = None


def get_dir() -> str:
    """torch's hub folder: ``set_dir``'s, else ``$TORCH_HOME/hub`` with TORCH_HOME defaulting to
    ``$XDG_CACHE_HOME/torch`` or ``~/.cache/torch``, as torch computes it.

    Example:
        >>> os.path.basename(get_dir())
        'hub'
    """
    if _dir is not None:
        return _dir
    home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "torch")
    return os.path.join(os.path.expanduser(home), "hub")


def checkpoints_dir() -> str:
    """Where torch keeps downloaded weight files: ``get_dir()/checkpoints``.

    Example:
        >>> os.path.basename(checkpoints_dir())
        'checkpoints'
    """
    return os.path.join(get_dir(), "checkpoints")


def set_dir(d: Any) -> None:
    """Use folder ``d`` as the hub folder (its ``checkpoints/`` holds the weight files).

    Example:
        >>> set_dir("/tmp/hub"); get_dir()
        '/tmp/hub'
        >>> set_dir(None)  # back to torch's default
    """
    global _dir
    _dir = None if d is None else os.path.expanduser(os.fspath(d))


def load_state_dict_from_url(url: str, model_dir: Optional[str] = None, map_location: Any = None,
                             progress: bool = True, check_hash: bool = False, file_name: Optional[str] = None,
                             weights_only: bool = True) -> Any:
    """The weights file ``url`` names, from the hub cache (``model_dir`` or ``get_dir()/checkpoints``), read
    with ``ne.load``; nothing is downloaded (a missing file is a ``FileNotFoundError`` saying where to put it).

    Example:
        >>> load_state_dict_from_url("https://example.org/models/none-0123abcd.pth", model_dir="/tmp/empty_hub")
        Traceback (most recent call last):
        FileNotFoundError: nnengine downloads nothing: none-0123abcd.pth (from https://example.org/models/none-0123abcd.pth) is not in /tmp/empty_hub; copy the file there (a machine that ran torch with these weights has it in its ~/.cache/torch/hub/checkpoints), or load it with nnengine.load(path)
    """
    if not isinstance(url, str):
        raise TypeError(f"url: expected a string, got {type(url).__name__}")
    folder = os.path.expanduser(model_dir) if model_dir is not None else checkpoints_dir()
    name = file_name or os.path.basename(urlparse(url).path)
    if not name:
        raise ValueError(f"url: no file name in {url!r}; pass file_name=")
    path = os.path.join(folder, name)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"nnengine downloads nothing: {name} (from {url}) is not in {folder}; copy the file "
                                "there (a machine that ran torch with these weights has it in its "
                                "~/.cache/torch/hub/checkpoints), or load it with nnengine.load(path)")
    if check_hash:
        m = _HASH.search(name)
        prefix = m.group(1) if m else None
        if prefix:
            h = hashlib.sha256()
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
            if not h.hexdigest().startswith(prefix):
                raise RuntimeError(f'invalid hash value (expected "{prefix}", got "{h.hexdigest()}") for {path}')
    from .serialization import load as _load

    return _load(path, map_location=map_location, weights_only=weights_only)


def download_url_to_file(url: str, dst: str, hash_prefix: Optional[str] = None, progress: bool = True) -> None:
    """Always an error: nnengine downloads nothing.

    Example:
        >>> download_url_to_file("https://example.org/w.pth", "/tmp/w.pth")
        Traceback (most recent call last):
        RuntimeError: nnengine downloads nothing (https://example.org/w.pth); fetch the file yourself and put it at /tmp/w.pth
    """
    raise RuntimeError(f"nnengine downloads nothing ({url}); fetch the file yourself and put it at {dst}")


def _no_repo(what: str, repo: Any) -> None:
    raise NotImplementedError(f"torch.hub.{what}({repo!r}): loading a GitHub repository would download and run its "
                              "code, which nnengine does not do; build the model from its source and load its "
                              "weights with load_state_dict_from_url / nnengine.load")


def load(repo_or_dir: str, model: str, *args: Any, **kwargs: Any) -> Any:
    """Not supported (it downloads and runs a repository's code); raises NotImplementedError.

    Example:
        >>> load("pytorch/vision", "resnet18")
        Traceback (most recent call last):
        NotImplementedError: torch.hub.load('pytorch/vision'): loading a GitHub repository would download and run its code, which nnengine does not do; build the model from its source and load its weights with load_state_dict_from_url / nnengine.load
    """
    _no_repo("load", repo_or_dir)


def list(github: str, *args: Any, **kwargs: Any) -> Any:  # noqa: A001 - torch.hub.list
    """Not supported; raises NotImplementedError (see ``load``).

    Example:
        >>> list("pytorch/vision")
        Traceback (most recent call last):
        NotImplementedError: torch.hub.list('pytorch/vision'): loading a GitHub repository would download and run its code, which nnengine does not do; build the model from its source and load its weights with load_state_dict_from_url / nnengine.load
    """
    _no_repo("list", github)


def help(github: str, model: str, *args: Any, **kwargs: Any) -> Any:  # noqa: A001 - torch.hub.help
    """Not supported; raises NotImplementedError (see ``load``).

    Example:
        >>> help("pytorch/vision", "resnet18")
        Traceback (most recent call last):
        NotImplementedError: torch.hub.help('pytorch/vision'): loading a GitHub repository would download and run its code, which nnengine does not do; build the model from its source and load its weights with load_state_dict_from_url / nnengine.load
    """
    _no_repo("help", github)
