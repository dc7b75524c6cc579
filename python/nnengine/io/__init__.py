"""Saving and loading: weights as safetensors, architectures as JSON, full training checkpoints.

Everything is written by nnengine's own code in the safetensors layout (never pickle), atomically, and
read back with every header field checked (corrupt, truncated or hostile files raise ``ValueError``
naming the problem). This package is the facade; each concept has one module:

* ``nnengine.io.safetensors``: the file codec (``save_file``, ``load_file``, ``read_metadata``) and
  ``atomic_write``;
* ``nnengine.io.model``: the registry of nnengine's layers, ``architecture``/``build`` (a module tree as
  JSON and back, classes resolved only against that registry), ``save_weights``/``load_weights`` and
  ``save_model``/``load_model`` (architecture and weights in one file);
* ``nnengine.io.checkpoint``: ``save_checkpoint``/``load_checkpoint`` (model, optimizer, scheduler, RNG
  and epoch, to resume training exactly);
* ``nnengine.io.torch_file`` / ``torch_legacy``: reading files written by ``torch.save`` (zip and pre-1.6
  formats; what ``ne.load`` uses for them), with an allowlisted unpickler, never running code.

Example:
    >>> from nnengine import io
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> io.save_model(model, "model.safetensors")
    >>> io.load_model("model.safetensors")[2]
    Linear(in_features=8, out_features=2, bias=True)
"""

from __future__ import annotations

from .checkpoint import load_checkpoint, save_checkpoint
from .model import FORMAT_VERSION as FORMAT_VERSION
from .model import architecture, build, load_model, load_weights, registry, save_model, save_weights
from .safetensors import MAX_HEADER_BYTES as MAX_HEADER_BYTES
from .safetensors import MAX_TENSORS as MAX_TENSORS
from .safetensors import atomic_write as atomic_write  # used by nnengine.onnx, train and the scripts
from .safetensors import load_file, read_metadata, save_file

__all__ = ["save_file", "load_file", "read_metadata", "save_weights", "load_weights", "save_model",
           "load_model", "save_checkpoint", "load_checkpoint", "architecture", "build", "registry"]
