"""Weights handling shared by the model builders. nnengine downloads nothing: ``weights=<Model>_Weights.X`` (or
its name, ``"DEFAULT"``, or the legacy ``pretrained=True``) loads torchvision's weight file for X from torch's hub
cache (``nnengine.hub.get_dir()/checkpoints``, where torchvision left the files it downloaded, under the same
names); a missing file is a ``FileNotFoundError`` naming it and the folder. A state_dict file anywhere else loads
with ``model.load_state_dict(nnengine.load(path))``."""

from __future__ import annotations

import os
from typing import Any, Dict, Optional, Tuple

# torchvision's file names per (architecture, weights): the current one first, then the older release's (the same
# weights re-saved), so either in the cache works
_FILES: Dict[Tuple[str, str], Tuple[str, ...]] = {
    ("resnet18", "IMAGENET1K_V1"): ("resnet18-f37072fd.pth", "resnet18-5c106cde.pth"),
    ("resnet34", "IMAGENET1K_V1"): ("resnet34-b627a593.pth", "resnet34-333f7ec4.pth"),
    ("resnet50", "IMAGENET1K_V1"): ("resnet50-0676ba61.pth", "resnet50-19c8e357.pth"),
    ("resnet50", "IMAGENET1K_V2"): ("resnet50-11ad3fa6.pth",),
    ("resnet101", "IMAGENET1K_V1"): ("resnet101-63fe2227.pth", "resnet101-5d3b4d8f.pth"),
    ("resnet101", "IMAGENET1K_V2"): ("resnet101-cd907fc2.pth",),
    ("resnet152", "IMAGENET1K_V1"): ("resnet152-394f9c45.pth", "resnet152-b121ed2d.pth"),
    ("resnet152", "IMAGENET1K_V2"): ("resnet152-f82ba261.pth",),
    ("vgg11", "IMAGENET1K_V1"): ("vgg11-8a719046.pth", "vgg11-bbd30ac9.pth"),
    ("vgg13", "IMAGENET1K_V1"): ("vgg13-19584684.pth", "vgg13-c768596a.pth"),
    ("vgg16", "IMAGENET1K_V1"): ("vgg16-397923af.pth",),
    ("vgg19", "IMAGENET1K_V1"): ("vgg19-dcbb9e9d.pth",),
    ("vgg11_bn", "IMAGENET1K_V1"): ("vgg11_bn-6002323d.pth",),
    ("vgg13_bn", "IMAGENET1K_V1"): ("vgg13_bn-abd245e5.pth",),
    ("vgg16_bn", "IMAGENET1K_V1"): ("vgg16_bn-6c64b313.pth",),
    ("vgg19_bn", "IMAGENET1K_V1"): ("vgg19_bn-c79401a0.pth",),
    ("alexnet", "IMAGENET1K_V1"): ("alexnet-owt-7be5be79.pth", "alexnet-owt-4df8aa71.pth"),
    ("mobilenet_v2", "IMAGENET1K_V1"): ("mobilenet_v2-b0353104.pth",),
    ("mobilenet_v2", "IMAGENET1K_V2"): ("mobilenet_v2-7ebf99e0.pth",),
}


class WeightsEnum:
    """Stands in for torchvision's ``<Model>_Weights`` enums so that code naming them still imports; passing one
    as ``weights=`` raises the same ValueError as any other non-None value (nnengine downloads nothing).

    Example:
        >>> from nnengine.vision.models import ResNet18_Weights
        >>> ResNet18_Weights.DEFAULT
        ResNet18_Weights.IMAGENET1K_V1
    """

    def __init__(self, owner: str, name: str) -> None:
        self.owner, self.name = owner, name

    def __repr__(self) -> str:
        return f"{self.owner}.{self.name}"


def _weights_enum(module: str, owner: str, *names: str, default: Optional[str] = None) -> type:
    members: Dict[str, Any] = {n: WeightsEnum(owner, n) for n in names}
    default = default or names[-1]
    members["DEFAULT"] = members[default]
    members["__module__"] = module
    members["__doc__"] = (f"torchvision's ``{owner}``: passing one as ``weights=`` loads torchvision's file for it from "
                          f"torch's hub cache (nnengine downloads nothing).\n\n    Example:\n"
                          f"        >>> {owner}.DEFAULT\n        {owner}.{default}\n")
    return type(owner, (), members)


def _check_weights(arch: str, weights: Any, kwargs: Dict[str, Any]) -> Optional[str]:
    """The weights name to load (``"IMAGENET1K_V1"``...) or None. Accepts ``None``, a ``<Model>_Weights`` member,
    its name or ``"DEFAULT"``, and the legacy ``pretrained=True/False``; checks ``num_classes`` against the
    weights (1000 ImageNet classes). Pops ``pretrained`` from ``kwargs``."""
    pretrained = kwargs.pop("pretrained", None)
    if pretrained is not None and weights is None:
        if not isinstance(pretrained, bool):
            raise TypeError(f"{arch}: pretrained: expected a bool, got {type(pretrained).__name__}")
        weights = "IMAGENET1K_V1" if pretrained else None  # torchvision's legacy mapping
    if weights is None:
        return None
    names = sorted({w for a, w in _FILES if a == arch})
    if isinstance(weights, WeightsEnum):
        name = weights.name
    elif isinstance(weights, str):
        name = weights.split(".")[-1]
    else:
        raise TypeError(f"{arch}: weights: expected None, a {arch} weights enum member or its name, got "
                        f"{type(weights).__name__}")
    if name == "DEFAULT":
        name = "IMAGENET1K_V2" if "IMAGENET1K_V2" in names else "IMAGENET1K_V1"
    if name not in names:
        raise ValueError(f"{arch}: weights={weights!r}: expected one of {names + ['DEFAULT']}")
    classes = kwargs.get("num_classes", 1000)
    if classes != 1000:
        raise ValueError(f"{arch}: num_classes={classes} does not fit the {name} weights (1000 ImageNet classes); "
                         "build with the weights, then replace the head (model.fc / model.classifier[-1])")
    return name


def _load_weights(model: Any, arch: str, name: Optional[str]) -> Any:
    """Load torchvision's file for (arch, name) from the hub cache into ``model``; returns ``model``."""
    if name is None:
        return model
    from ...hub import checkpoints_dir
    from ...serialization import load

    folder = checkpoints_dir()
    candidates = _FILES[(arch, name)]
    for fname in candidates:
        path = os.path.join(folder, fname)
        if os.path.isfile(path):
            model.load_state_dict(load(path))
            return model
    raise FileNotFoundError(
        f"{arch}(weights={name}): nnengine downloads nothing, and torchvision's file {' or '.join(candidates)} is not "
        f"in {folder} (torch's hub cache; $TORCH_HOME moves it). Copy it there from a machine where torchvision "
        f"downloaded it, or build with weights=None and model.load_state_dict(nnengine.load(path))")
