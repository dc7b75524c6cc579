"""Well-known vision/GAN PyTorch programs (kuangliu/pytorch-cifar, eriklindernoren/PyTorch-GAN) run with only
their torch imports rewritten (``import torch`` -> ``import nnengine as torch``, see ``swap`` in
test_torch_scripts.py), next to the same source under real torch; plus focused checks of the torch semantics those
programs exposed: ``x.type(torch.Tensor)`` (CycleGAN's ``Tensor = torch.Tensor``), an optimizer over a parameter
list with duplicates (UNIT's ``Adam(itertools.chain(E1.parameters(), E2.parameters()))`` over encoders sharing
layers: torch warns and steps such a parameter once per occurrence) and an in-place op on a view (MUNIT's
``nn.ReLU(inplace=True)`` after AdaIN's ``out.view(b, c, h, w)``: the base is updated too).

The programs keep the originals' model definitions and loop idioms; datasets are replaced by seeded random tensors
and sizes shrink so each run takes seconds. Results are compared loosely (the engines draw different random
numbers)."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from test_torch_scripts import result, run

import nnengine as ne


def _both(src: str, tmp_path) -> tuple:
    ours = result(run(src, "nnengine", tmp_path))
    ref = result(run(src, "torch", tmp_path))
    print("nnengine", ours, "\ntorch", ref)
    return ours, ref


# ----------------------------------------------------------------- focused checks

def test_type_torch_tensor_is_the_default_float_type():
    torch = pytest.importorskip("torch")
    x = ne.tensor([1, 2])
    y = x.type(ne.Tensor)
    assert y.dtype == np.float32 and y.tolist() == torch.tensor([1, 2]).type(torch.Tensor).tolist()
    f = ne.ones(2)
    assert f.type(ne.Tensor) is f  # already the default type: itself, as torch
    with pytest.raises(TypeError):
        x.type(object)


def _shared_encoders(lib, seed: int = 0):
    nn = lib.nn
    shared = nn.Linear(3, 3)
    e1 = nn.Sequential(nn.Linear(2, 3), shared)
    e2 = nn.Sequential(nn.Linear(2, 3), shared)
    rng = np.random.RandomState(seed)
    with lib.no_grad():
        for p in itertools.chain(e1.parameters(), e2.parameters()):
            p.copy_(lib.from_numpy(rng.randn(*p.shape).astype(np.float32)))
    return e1, e2, lib.from_numpy(rng.randn(4, 2).astype(np.float32))


@pytest.mark.parametrize("name,kw", [("SGD", {"lr": 0.01, "momentum": 0.9}),
                                     ("SGD", {"lr": 0.01, "momentum": 0.9, "nesterov": True}),
                                     ("SGD", {"lr": 0.01}), ("Adam", {"lr": 0.01}), ("RMSprop", {"lr": 0.01})])
def test_duplicate_parameters_warn_and_step_per_occurrence_as_torch(name, kw):
    torch = pytest.importorskip("torch")
    out = []
    for lib in (ne, torch):
        e1, e2, x = _shared_encoders(lib)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            opt = getattr(lib.optim, name)(itertools.chain(e1.parameters(), e2.parameters()), **kw)
        assert any("duplicate parameters" in str(m.message) for m in w)
        assert len(opt.param_groups[0]["params"]) == 8  # kept, as torch keeps them
        for _ in range(3):
            opt.zero_grad()
            (e1(x).pow(2).sum() + e2(x).sum()).backward()
            opt.step()
        out.append([p.detach().numpy().copy() for p in itertools.chain(e1.parameters(), e2.parameters())])
    for a, b in zip(*out):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_parameter_in_two_groups_still_raises():
    w = ne.nn.Parameter(ne.ones(2))
    with pytest.raises(ValueError, match="more than one parameter group"):
        ne.optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)


def test_inplace_on_whole_view_updates_the_base_as_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.RandomState(0)
    x0 = rng.randn(2, 3, 4).astype(np.float32)
    w0 = rng.randn(2, 3, 4).astype(np.float32)
    res = []
    for lib in (ne, torch):
        x = lib.from_numpy(x0.copy()).requires_grad_()
        w = lib.from_numpy(w0)
        out = x * 2.0
        v = out.view(6, 4)
        r = lib.nn.ReLU(inplace=True)(v)
        assert r is v
        loss = ((r * 3.0).view(2, 3, 4) * w).sum() + (out * w).sum()
        loss.backward()
        res.append((out.detach().numpy().copy(), x.grad.numpy().copy()))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_inplace_on_a_view_of_a_leaf_raises_as_torch():
    leaf = ne.ones(4, requires_grad=True)
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        leaf.view(2, 2).add_(1)
    out = leaf * 1.0
    out[0:2].add_(1)  # a partial view of a non-leaf: written through to the base (test_torch_tensor_api.py)
    assert out.tolist() == [2.0, 2.0, 1.0, 1.0]


# ----------------------------------------------------------------- whole programs

# kuangliu/pytorch-cifar: models/resnet.py (verbatim, a one-block-per-stage ResNet) trained with main.py's idioms:
# SGD(momentum, weight_decay) + CosineAnnealingLR, outputs.max(1), predicted.eq(targets).sum().item(), the
# {'net', 'acc', 'epoch'} checkpoint saved with torch.save and restored with load_state_dict.
CIFAR_RESNET = r'''
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super(BasicBlock, self).__init__()
        self.conv1 = nn.Conv2d(
            in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3,
                               stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)

        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != self.expansion*planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, self.expansion*planes,
                          kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(self.expansion*planes)
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        out = F.relu(out)
        return out


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_planes, planes, stride=1):
        super(Bottleneck, self).__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3,
                               stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, self.expansion *
                               planes, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(self.expansion*planes)

        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != self.expansion*planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, self.expansion*planes,
                          kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(self.expansion*planes)
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out += self.shortcut(x)
        out = F.relu(out)
        return out


class ResNet(nn.Module):
    def __init__(self, block, num_blocks, num_classes=10):
        super(ResNet, self).__init__()
        self.in_planes = 64

        self.conv1 = nn.Conv2d(3, 64, kernel_size=3,
                               stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.layer1 = self._make_layer(block, 64, num_blocks[0], stride=1)
        self.layer2 = self._make_layer(block, 128, num_blocks[1], stride=2)
        self.layer3 = self._make_layer(block, 256, num_blocks[2], stride=2)
        self.layer4 = self._make_layer(block, 512, num_blocks[3], stride=2)
        self.linear = nn.Linear(512*block.expansion, num_classes)

    def _make_layer(self, block, planes, num_blocks, stride):
        strides = [stride] + [1]*(num_blocks-1)
        layers = []
        for stride in strides:
            layers.append(block(self.in_planes, planes, stride))
            self.in_planes = planes * block.expansion
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer1(out)
        out = self.layer2(out)
        out = self.layer3(out)
        out = self.layer4(out)
        out = F.avg_pool2d(out, 4)
        out = out.view(out.size(0), -1)
        out = self.linear(out)
        return out



torch.manual_seed(0)
rng = np.random.RandomState(0)
device = 'cuda' if torch.cuda.is_available() else 'cpu'
x = torch.from_numpy(rng.randn(32, 3, 32, 32).astype(np.float32))
y = torch.from_numpy(rng.randint(0, 10, 32)).long()
x[torch.arange(32), y % 3, :4, :4] += 3.0  # a learnable cue
trainloader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=8, shuffle=True)
net = ResNet(BasicBlock, [1, 1, 1, 1])
net = net.to(device)
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.02, momentum=0.9, weight_decay=5e-4)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=200)
first = None
for epoch in range(3):
    net.train()
    train_loss = 0
    correct = 0
    total = 0
    for batch_idx, (inputs, targets) in enumerate(trainloader):
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()
        first = loss.item() if first is None else first
        train_loss += loss.item()
        _, predicted = outputs.max(1)
        total += targets.size(0)
        correct += predicted.eq(targets).sum().item()
    scheduler.step()
net.eval()
with torch.no_grad():
    outputs = net(x)
    _, predicted = outputs.max(1)
    acc = 100. * predicted.eq(y).sum().item() / y.size(0)
state = {
    'net': net.state_dict(),
    'acc': acc,
    'epoch': epoch,
}
if not os.path.isdir('checkpoint'):
    os.mkdir('checkpoint')
torch.save(state, './checkpoint/ckpt.pth')
checkpoint = torch.load('./checkpoint/ckpt.pth')
net2 = ResNet(BasicBlock, [1, 1, 1, 1])
net2.load_state_dict(checkpoint['net'])
net2.eval()
with torch.no_grad():
    same = float(torch.allclose(net2(x), outputs))
print("RESULT first=%.4f last=%.4f acc=%.2f same=%.0f lr=%.6f" % (first, train_loss / (batch_idx + 1), acc, same,
                                                                  optimizer.param_groups[0]['lr']))
'''


# PyTorch-GAN implementations/dcgan/dcgan.py: Generator/Discriminator and the training loop verbatim (Variable,
# Tensor = torch.FloatTensor, Tensor(n, 1).fill_(1.0), imgs.type(Tensor), LeakyReLU(inplace=True),
# BatchNorm2d(c, 0.8), Upsample, weights_init_normal through .apply and m.weight.data); MNIST -> seeded blobs.
DCGAN = r"""
import argparse

import numpy as np
import torch
import torch.nn as nn
from torch.autograd import Variable

parser = argparse.ArgumentParser()
parser.add_argument("--n_epochs", type=int, default=2)
parser.add_argument("--batch_size", type=int, default=8)
parser.add_argument("--lr", type=float, default=0.0002)
parser.add_argument("--b1", type=float, default=0.5)
parser.add_argument("--b2", type=float, default=0.999)
parser.add_argument("--latent_dim", type=int, default=16)
parser.add_argument("--img_size", type=int, default=16)
parser.add_argument("--channels", type=int, default=1)
opt = parser.parse_args()
cuda = True if torch.cuda.is_available() else False
np.random.seed(0)
torch.manual_seed(0)


def weights_init_normal(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        torch.nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find("BatchNorm2d") != -1:
        torch.nn.init.normal_(m.weight.data, 1.0, 0.02)
        torch.nn.init.constant_(m.bias.data, 0.0)


class Generator(nn.Module):
    def __init__(self):
        super(Generator, self).__init__()

        self.init_size = opt.img_size // 4
        self.l1 = nn.Sequential(nn.Linear(opt.latent_dim, 128 * self.init_size ** 2))

        self.conv_blocks = nn.Sequential(
            nn.BatchNorm2d(128),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(128, 128, 3, stride=1, padding=1),
            nn.BatchNorm2d(128, 0.8),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(128, 64, 3, stride=1, padding=1),
            nn.BatchNorm2d(64, 0.8),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(64, opt.channels, 3, stride=1, padding=1),
            nn.Tanh(),
        )

    def forward(self, z):
        out = self.l1(z)
        out = out.view(out.shape[0], 128, self.init_size, self.init_size)
        img = self.conv_blocks(out)
        return img


class Discriminator(nn.Module):
    def __init__(self):
        super(Discriminator, self).__init__()

        def discriminator_block(in_filters, out_filters, bn=True):
            block = [nn.Conv2d(in_filters, out_filters, 3, 2, 1), nn.LeakyReLU(0.2, inplace=True), nn.Dropout2d(0.25)]
            if bn:
                block.append(nn.BatchNorm2d(out_filters, 0.8))
            return block

        self.model = nn.Sequential(
            *discriminator_block(opt.channels, 16, bn=False),
            *discriminator_block(16, 32),
            *discriminator_block(32, 64),
            *discriminator_block(64, 128),
        )

        # The height and width of downsampled image
        ds_size = opt.img_size // 2 ** 4
        self.adv_layer = nn.Sequential(nn.Linear(128 * ds_size ** 2, 1), nn.Sigmoid())

    def forward(self, img):
        out = self.model(img)
        out = out.view(out.shape[0], -1)
        validity = self.adv_layer(out)

        return validity


adversarial_loss = torch.nn.BCELoss()
generator = Generator()
discriminator = Discriminator()
generator.apply(weights_init_normal)
discriminator.apply(weights_init_normal)
data = np.tanh(np.random.normal(0, 1, (32, 1, opt.img_size, opt.img_size))).astype(np.float32)
dataloader = torch.utils.data.DataLoader(
    torch.utils.data.TensorDataset(torch.from_numpy(data), torch.zeros(32).long()),
    batch_size=opt.batch_size, shuffle=True)
optimizer_G = torch.optim.Adam(generator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
optimizer_D = torch.optim.Adam(discriminator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))

Tensor = torch.cuda.FloatTensor if cuda else torch.FloatTensor

for epoch in range(opt.n_epochs):
    for i, (imgs, _) in enumerate(dataloader):

        # Adversarial ground truths
        valid = Variable(Tensor(imgs.shape[0], 1).fill_(1.0), requires_grad=False)
        fake = Variable(Tensor(imgs.shape[0], 1).fill_(0.0), requires_grad=False)

        # Configure input
        real_imgs = Variable(imgs.type(Tensor))

        optimizer_G.zero_grad()
        z = Variable(Tensor(np.random.normal(0, 1, (imgs.shape[0], opt.latent_dim))))
        gen_imgs = generator(z)
        g_loss = adversarial_loss(discriminator(gen_imgs), valid)
        g_loss.backward()
        optimizer_G.step()

        optimizer_D.zero_grad()
        real_loss = adversarial_loss(discriminator(real_imgs), valid)
        fake_loss = adversarial_loss(discriminator(gen_imgs.detach()), fake)
        d_loss = (real_loss + fake_loss) / 2
        d_loss.backward()
        optimizer_D.step()

print("RESULT d=%.4f g=%.4f shape=%d" % (d_loss.item(), g_loss.item(), gen_imgs.shape[-1]))
"""


# PyTorch-GAN implementations/cyclegan: utils.ReplayBuffer and LambdaLR verbatim, ``Tensor = torch.Tensor`` with
# batch["A"].type(Tensor), Tensor(np.ones(...)) targets, itertools.chain over two generators, MSE/L1 losses,
# lr_scheduler.LambdaLR(..., lr_lambda=LambdaLR(...).step); the generators shrink to a residual conv stack.
CYCLEGAN = r"""
import itertools
import random

import numpy as np
import torch
import torch.nn as nn
from torch.autograd import Variable


class ReplayBuffer:
    def __init__(self, max_size=50):
        assert max_size > 0, "Empty buffer or trying to create a black hole. Be careful."
        self.max_size = max_size
        self.data = []

    def push_and_pop(self, data):
        to_return = []
        for element in data.data:
            element = torch.unsqueeze(element, 0)
            if len(self.data) < self.max_size:
                self.data.append(element)
                to_return.append(element)
            else:
                if random.uniform(0, 1) > 0.5:
                    i = random.randint(0, self.max_size - 1)
                    to_return.append(self.data[i].clone())
                    self.data[i] = element
                else:
                    to_return.append(element)
        return Variable(torch.cat(to_return))


class LambdaLR:
    def __init__(self, n_epochs, offset, decay_start_epoch):
        assert (n_epochs - decay_start_epoch) > 0, "Decay must start before the training session ends!"
        self.n_epochs = n_epochs
        self.offset = offset
        self.decay_start_epoch = decay_start_epoch

    def step(self, epoch):
        return 1.0 - max(0, epoch + self.offset - self.decay_start_epoch) / (self.n_epochs - self.decay_start_epoch)


class ResidualBlock(nn.Module):
    def __init__(self, in_features):
        super(ResidualBlock, self).__init__()

        self.block = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(in_features, in_features, 3),
            nn.InstanceNorm2d(in_features),
            nn.ReLU(inplace=True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(in_features, in_features, 3),
            nn.InstanceNorm2d(in_features),
        )

    def forward(self, x):
        return x + self.block(x)


def generator():
    return nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(3, 8, 3), nn.ReLU(inplace=True), ResidualBlock(8),
                         nn.Conv2d(8, 3, 1), nn.Tanh())


random.seed(0)
np.random.seed(0)
torch.manual_seed(0)
G_AB, G_BA = generator(), generator()
D_A = nn.Sequential(nn.Conv2d(3, 8, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True), nn.Conv2d(8, 1, 3, padding=1))
D_B = nn.Sequential(nn.Conv2d(3, 8, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True), nn.Conv2d(8, 1, 3, padding=1))
criterion_GAN = torch.nn.MSELoss()
criterion_cycle = torch.nn.L1Loss()
criterion_identity = torch.nn.L1Loss()
optimizer_G = torch.optim.Adam(itertools.chain(G_AB.parameters(), G_BA.parameters()), lr=0.0002, betas=(0.5, 0.999))
optimizer_D_A = torch.optim.Adam(D_A.parameters(), lr=0.0002, betas=(0.5, 0.999))
optimizer_D_B = torch.optim.Adam(D_B.parameters(), lr=0.0002, betas=(0.5, 0.999))
n_epochs, decay_epoch = 3, 1
lr_scheduler_G = torch.optim.lr_scheduler.LambdaLR(optimizer_G, lr_lambda=LambdaLR(n_epochs, 0, decay_epoch).step)
lr_scheduler_D_A = torch.optim.lr_scheduler.LambdaLR(optimizer_D_A, lr_lambda=LambdaLR(n_epochs, 0, decay_epoch).step)
Tensor = torch.cuda.FloatTensor if torch.cuda.is_available() else torch.Tensor
fake_A_buffer = ReplayBuffer()
data_A = np.random.uniform(-1, 1, (4, 2, 3, 16, 16)).astype(np.float32)
data_B = np.random.uniform(-1, 1, (4, 2, 3, 16, 16)).astype(np.float32)
for epoch in range(n_epochs):
    for i in range(4):
        batch = {"A": torch.from_numpy(data_A[i]).double(), "B": torch.from_numpy(data_B[i]).double()}
        real_A = Variable(batch["A"].type(Tensor))
        real_B = Variable(batch["B"].type(Tensor))
        valid = Variable(Tensor(np.ones((real_A.size(0), 1, 8, 8))), requires_grad=False)
        fake = Variable(Tensor(np.zeros((real_A.size(0), 1, 8, 8))), requires_grad=False)

        G_AB.train()
        G_BA.train()
        optimizer_G.zero_grad()
        loss_id_A = criterion_identity(G_BA(real_A), real_A)
        loss_id_B = criterion_identity(G_AB(real_B), real_B)
        loss_identity = (loss_id_A + loss_id_B) / 2
        fake_B = G_AB(real_A)
        loss_GAN_AB = criterion_GAN(D_B(fake_B), valid)
        fake_A = G_BA(real_B)
        loss_GAN_BA = criterion_GAN(D_A(fake_A), valid)
        loss_GAN = (loss_GAN_AB + loss_GAN_BA) / 2
        recov_A = G_BA(fake_B)
        loss_cycle_A = criterion_cycle(recov_A, real_A)
        recov_B = G_AB(fake_A)
        loss_cycle_B = criterion_cycle(recov_B, real_B)
        loss_cycle = (loss_cycle_A + loss_cycle_B) / 2
        loss_G = loss_GAN + 10.0 * loss_cycle + 5.0 * loss_identity
        loss_G.backward()
        optimizer_G.step()

        optimizer_D_A.zero_grad()
        loss_real = criterion_GAN(D_A(real_A), valid)
        fake_A_ = fake_A_buffer.push_and_pop(fake_A)
        loss_fake = criterion_GAN(D_A(fake_A_.detach()), fake)
        loss_D_A = (loss_real + loss_fake) / 2
        loss_D_A.backward()
        optimizer_D_A.step()
    lr_scheduler_G.step()
    lr_scheduler_D_A.step()
print("RESULT g=%.4f d=%.4f cycle=%.4f lr=%.6f buf=%d" % (loss_G.item(), loss_D_A.item(), loss_cycle.item(),
                                                          optimizer_G.param_groups[0]["lr"], len(fake_A_buffer.data)))
"""


# PyTorch-GAN implementations/unit: two encoders and two generators sharing layers, one Adam over
# itertools.chain(E1, E2, G1, G2).parameters() (torch warns about the duplicates and steps them once per occurrence)
UNIT = r"""
import itertools
import warnings

import numpy as np
import torch
import torch.nn as nn

warnings.simplefilter("ignore")
torch.manual_seed(0)
rng = np.random.RandomState(0)
shared_E = nn.Linear(8, 8)
shared_G = nn.Linear(8, 8)


class Encoder(nn.Module):
    def __init__(self, shared_block):
        super(Encoder, self).__init__()
        self.model = nn.Sequential(nn.Linear(6, 8), nn.LeakyReLU(0.2, inplace=True))
        self.shared_block = shared_block

    def forward(self, x):
        return self.shared_block(self.model(x))


class Generator(nn.Module):
    def __init__(self, shared_block):
        super(Generator, self).__init__()
        self.shared_block = shared_block
        self.model = nn.Sequential(nn.ReLU(), nn.Linear(8, 6), nn.Tanh())

    def forward(self, x):
        return self.model(self.shared_block(x))


E1, E2 = Encoder(shared_E), Encoder(shared_E)
G1, G2 = Generator(shared_G), Generator(shared_G)
with torch.no_grad():
    for p in itertools.chain(E1.parameters(), E2.parameters(), G1.parameters(), G2.parameters()):
        p.copy_(torch.from_numpy((0.3 * rng.randn(*p.shape)).astype(np.float32)))
optimizer_G = torch.optim.Adam(
    itertools.chain(E1.parameters(), E2.parameters(), G1.parameters(), G2.parameters()),
    lr=0.001, betas=(0.5, 0.999))
X1 = torch.from_numpy(rng.randn(16, 6).astype(np.float32))
X2 = torch.from_numpy(rng.randn(16, 6).astype(np.float32))
criterion_pixel = torch.nn.L1Loss()
for step in range(20):
    optimizer_G.zero_grad()
    Z1, Z2 = E1(X1), E2(X2)
    recon_X1, recon_X2 = G1(Z1), G2(Z2)
    loss = criterion_pixel(recon_X1, X1) + criterion_pixel(recon_X2, X2) + 0.01 * (Z1.pow(2).mean() + Z2.pow(2).mean())
    loss.backward()
    optimizer_G.step()
print("RESULT loss=%.6f n=%d w=%.6f" % (loss.item(), len(optimizer_G.param_groups[0]["params"]),
                                        shared_E.weight.sum().item()))
"""


def test_kuangliu_cifar_resnet(torch, tmp_path):
    ours, ref = _both(CIFAR_RESNET, tmp_path)
    for r in (ours, ref):
        assert r["same"] == 1 and 1.5 < r["first"] < 4.0 and np.isfinite(r["last"])
    assert ours["lr"] == pytest.approx(ref["lr"], rel=1e-6)  # CosineAnnealingLR after 3 epochs
    assert ours["last"] < ours["first"] + 0.5


def test_pytorch_gan_dcgan(torch, tmp_path):
    ours, ref = _both(DCGAN, tmp_path)
    assert ours["shape"] == ref["shape"] == 16
    for k in ("d", "g"):
        assert 0.2 < ours[k] < 2.0 and 0.2 < ref[k] < 2.0


def test_pytorch_gan_cyclegan_idioms(torch, tmp_path):
    ours, ref = _both(CYCLEGAN, tmp_path)
    assert ours["lr"] == pytest.approx(ref["lr"], rel=1e-6) and ours["buf"] == ref["buf"] == 24
    for k in ("g", "d", "cycle"):
        assert np.isfinite(ours[k]) and abs(ours[k] - ref[k]) < 0.5 * abs(ref[k]) + 0.5


def test_pytorch_gan_unit_shared_layers(torch, tmp_path):
    # the same seeded weights in both engines: the duplicate-parameter Adam steps agree closely
    ours, ref = _both(UNIT, tmp_path)
    assert ours["n"] == ref["n"] == 16
    assert ours["loss"] == pytest.approx(ref["loss"], rel=1e-3)
    assert ours["w"] == pytest.approx(ref["w"], rel=1e-3, abs=1e-3)
