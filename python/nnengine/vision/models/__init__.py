"""torchvision.models' classification models with torchvision's module names and state_dict keys: ResNet
(18/34/50/101/152), VGG (11/13/16/19, with and without batch norm), AlexNet, MobileNetV2. nnengine downloads nothing:
``weights=`` (a ``<Model>_Weights`` member, its name, ``"DEFAULT"``, or the legacy ``pretrained=True``) loads
torchvision's file for those weights (``resnet18-f37072fd.pth``...) from torch's hub cache, where torchvision left
it (``nnengine.hub.get_dir()/checkpoints``); any other state_dict file loads with
``model.load_state_dict(nnengine.load(path))`` (``nnengine.load`` reads torch.save files).

Example:
    >>> import nnengine as ne
    >>> from nnengine.vision import models
    >>> m = models.resnet18(num_classes=3)
    >>> sorted(m.state_dict())[:3]
    ['bn1.bias', 'bn1.num_batches_tracked', 'bn1.running_mean']
    >>> m.eval()(ne.randn(1, 3, 32, 32)).shape
    (1, 3)
"""

from .alexnet import AlexNet, AlexNet_Weights, alexnet
from .mobilenetv2 import InvertedResidual, MobileNet_V2_Weights, MobileNetV2, mobilenet_v2
from .resnet import (
    BasicBlock,
    Bottleneck,
    ResNet,
    ResNet18_Weights,
    ResNet34_Weights,
    ResNet50_Weights,
    ResNet101_Weights,
    ResNet152_Weights,
    resnet18,
    resnet34,
    resnet50,
    resnet101,
    resnet152,
)
from .vgg import (
    VGG,
    VGG11_BN_Weights,
    VGG11_Weights,
    VGG13_BN_Weights,
    VGG13_Weights,
    VGG16_BN_Weights,
    VGG16_Weights,
    VGG19_BN_Weights,
    VGG19_Weights,
    vgg11,
    vgg11_bn,
    vgg13,
    vgg13_bn,
    vgg16,
    vgg16_bn,
    vgg19,
    vgg19_bn,
)

_BUILDERS = {f.__name__: f for f in (alexnet, resnet18, resnet34, resnet50, resnet101, resnet152, vgg11, vgg11_bn,
                                      vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn, mobilenet_v2)}


def list_models(module: object = None, include: object = None, exclude: object = None) -> list:
    """The builder names, sorted (torchvision's ``list_models``; ``include`` / ``exclude`` are fnmatch patterns).

    Example:
        >>> list_models(include="resnet1*")
        ['resnet101', 'resnet152', 'resnet18']
    """
    import fnmatch

    def pats(p: object) -> list:
        return [] if p is None else [p] if isinstance(p, str) else list(p)  # type: ignore[call-overload]

    names = sorted(_BUILDERS)
    if include is not None:
        names = [n for n in names if any(fnmatch.fnmatch(n, p) for p in pats(include))]
    return [n for n in names if not any(fnmatch.fnmatch(n, p) for p in pats(exclude))]


def get_model_builder(name: str) -> object:
    """The builder function for ``name`` (case-insensitive).

    Example:
        >>> get_model_builder("ResNet18").__name__
        'resnet18'
    """
    key = name.lower()
    if key not in _BUILDERS:
        raise ValueError(f"name: unknown model {name!r}; nnengine.vision has {', '.join(sorted(_BUILDERS))}")
    return _BUILDERS[key]


def get_model(name: str, **config: object) -> object:
    """``get_model_builder(name)(**config)``, as torchvision's (``weights=None`` only).

    Example:
        >>> get_model("alexnet", num_classes=3).classifier[-1].out_features
        3
    """
    return get_model_builder(name)(**config)  # type: ignore[operator]


__all__ = [name for name in dir() if not name.startswith("_")]
