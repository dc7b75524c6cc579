"""torchvision.models' classification models with torchvision's module names and state_dict keys: ResNet
(18/34/50/101/152), VGG (11/13/16/19, with and without batch norm), AlexNet. nnengine downloads nothing, so the
builders take ``weights=None`` only (or the legacy ``pretrained=False``); for pretrained weights, load a
state_dict file you have, e.g. torchvision's ``resnet18-f37072fd.pth`` (``nnengine.load`` reads torch.save files).

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

__all__ = [name for name in dir() if not name.startswith("_")]
