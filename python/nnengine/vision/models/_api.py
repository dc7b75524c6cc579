"""Weights handling shared by the model builders: nnengine downloads nothing, so only ``weights=None`` builds a
model; pretrained weights come from a state_dict file the user has (``model.load_state_dict(nnengine.load(path))``
reads files written by torch.save)."""

from __future__ import annotations

from typing import Any, Dict


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


def _weights_enum(module: str, owner: str, *names: str) -> type:
    members: Dict[str, Any] = {n: WeightsEnum(owner, n) for n in names}
    members["DEFAULT"] = members[names[-1]]
    members["__module__"] = module
    members["__doc__"] = (f"The names of torchvision's ``{owner}`` (nnengine downloads nothing: passing one as "
                          f"``weights=`` raises ValueError).\n\n    Example:\n        >>> {owner}.DEFAULT\n"
                          f"        {owner}.{names[-1]}\n")
    return type(owner, (), members)


def _check_weights(arch: str, weights: Any, kwargs: Dict[str, Any]) -> None:
    """Accept ``weights=None`` (and the legacy ``pretrained=False``), reject anything else with a ValueError that
    says how to load a state_dict file instead. Pops ``pretrained`` from ``kwargs``."""
    pretrained = kwargs.pop("pretrained", False)
    if pretrained not in (False, None, 0):
        weights = pretrained
    if weights is None:
        return
    raise ValueError(
        f"{arch}: weights={weights!r}, but nnengine downloads nothing, so only weights=None (or pretrained=False) is "
        f"supported. Build the model with weights=None and load a state_dict file you have (for example one saved by "
        f"torch.save, such as torchvision's downloaded '{arch}-<hash>.pth'): "
        f"model = {arch}(weights=None); model.load_state_dict(nnengine.load(path))")
