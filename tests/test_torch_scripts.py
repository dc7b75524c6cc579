'''PyTorch programs written the way torch users write them, run UNMODIFIED with ``import nnengine as torch``:
each script is a source string whose torch imports are rewritten mechanically (``import torch`` ->
``import nnengine as torch``, ``import torch.x`` -> ``import nnengine.x``, ``from torch...`` ->
``from nnengine...``) and executed in a subprocess; the same source also runs under real torch, so every
script is proven to be valid torch code. Plus ne.save/ne.load round trips.'''

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import nnengine as ne
from nnengine import nn, optim

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIGITS = os.path.join(ROOT, "python", "nnengine", "data", "digits.npz")


def swap(src: str, torchvision: bool = False) -> str:
    """The mechanical rewrite a torch user would do (nothing else changes). With ``torchvision=True`` (opt-in),
    torchvision's imports go to nnengine.vision too (``import torchvision`` -> ``import nnengine.vision as
    torchvision``, ``from torchvision...`` -> ``from nnengine.vision...``)."""
    if torchvision:
        src = re.sub(r"^(\s*)import torchvision(\s*#.*)?$", r"\1import nnengine.vision as torchvision\2", src,
                     flags=re.M)
        src = re.sub(r"^(\s*)import torchvision\.(\S+) as ", r"\1import nnengine.vision.\2 as ", src, flags=re.M)
        src = re.sub(r"^(\s*)from torchvision(\.| )", r"\1from nnengine.vision\2", src, flags=re.M)
    src = re.sub(r"^(\s*)import torch(\s*#.*)?$", r"\1import nnengine as torch\2", src, flags=re.M)
    src = re.sub(r"^(\s*)import torch\.", r"\1import nnengine.", src, flags=re.M)
    return re.sub(r"^(\s*)from torch(\.| )", r"\1from nnengine\2", src, flags=re.M)


def run(src: str, engine: str, tmp_path, timeout: int = 240, argv=(), torchvision: bool = False) -> str:
    """Run ``src`` as a script under ``engine`` ("nnengine": imports swapped, or "torch") with command-line
    arguments ``argv``, in ``tmp_path``; its stdout. ``torchvision=True`` swaps torchvision's imports as well."""
    code = textwrap.dedent(src)
    if engine == "nnengine":
        code = swap(code, torchvision=torchvision)
    path = tmp_path / f"script_{engine}.py"
    path.write_text(code)
    pkg = os.path.dirname(os.path.dirname(ne.__file__))  # the nnengine under test (installed or in-tree)
    env = dict(os.environ, PYTHONPATH=pkg + os.pathsep + os.environ.get("PYTHONPATH", ""),
               DIGITS=DIGITS, OUT=str(tmp_path), OMP_NUM_THREADS="1")
    res = subprocess.run([sys.executable, str(path), *argv], capture_output=True, text=True, timeout=timeout, env=env,
                         cwd=str(tmp_path))
    assert res.returncode == 0, f"{engine} run failed:\n{res.stdout[-3000:]}\n{res.stderr[-5000:]}"
    return res.stdout


def result(out: str) -> dict:
    line = [ln for ln in out.splitlines() if ln.startswith("RESULT ")][-1]
    return {k: float(v) for k, v in (kv.split("=") for kv in line[7:].split())}


def test_swap_is_mechanical():
    src = "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader\nfrom torch import optim\n"
    assert swap(src) == ("import nnengine as torch\nimport nnengine.nn as nn\n"
                         "from nnengine.utils.data import DataLoader\nfrom nnengine import optim\n")
    assert swap("import torch # For ML\n") == "import nnengine as torch # For ML\n"  # language_translation
    vision = "import torchvision\nimport torchvision.transforms as T\nfrom torchvision import datasets, models\n"
    assert swap(vision) == vision  # torchvision stays unless asked
    assert swap(vision, torchvision=True) == ("import nnengine.vision as torchvision\n"
                                              "import nnengine.vision.transforms as T\n"
                                              "from nnengine.vision import datasets, models\n")


MNIST_CNN = """
import argparse
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, Dataset, TensorDataset


class Digits(Dataset):
    def __init__(self, images, labels):
        self.images, self.labels = images, labels

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        img = torch.from_numpy(self.images[idx].reshape(1, 8, 8).astype(np.float32) / 16.0)
        return (img - 0.3) / 0.4, int(self.labels[idx])


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, 1, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, 1, padding=1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(32 * 4 * 4, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def train(args, model, device, train_loader, optimizer, epoch):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\\tLoss: {:.6f}'.format(
                epoch, batch_idx * len(data), len(train_loader.dataset),
                100. * batch_idx / len(train_loader), loss.item()))


def test(model, device, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(test_loader.dataset)
    print('Test set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)'.format(
        test_loss, correct, len(test_loader.dataset), 100. * correct / len(test_loader.dataset)))
    return correct / len(test_loader.dataset)


def main():
    parser = argparse.ArgumentParser(description='PyTorch MNIST Example (8x8 digits)')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--epochs', type=int, default=4)
    parser.add_argument('--lr', type=float, default=1.0)
    parser.add_argument('--gamma', type=float, default=0.7)
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--log-interval', type=int, default=10)
    args = parser.parse_args([])
    use_cuda = torch.cuda.is_available()
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if use_cuda else "cpu")
    train_kwargs = {'batch_size': args.batch_size}
    test_kwargs = {'batch_size': 256}
    if use_cuda:
        train_kwargs.update({'num_workers': 1, 'pin_memory': True, 'shuffle': True})

    d = np.load(os.environ["DIGITS"])
    images, labels = d["images"], d["labels"]
    dataset1 = Digits(images[:1400], labels[:1400])
    dataset2 = Digits(images[1400:], labels[1400:])
    train_loader = DataLoader(dataset1, shuffle=True, num_workers=2, persistent_workers=True, **train_kwargs)
    test_loader = torch.utils.data.DataLoader(dataset2, **test_kwargs)

    model = Net().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch)
        acc = test(model, device, test_loader)
        scheduler.step()

    path = os.path.join(os.environ["OUT"], "mnist_cnn.pt")
    torch.save(model.state_dict(), path)
    model2 = Net()
    model2.load_state_dict(torch.load(path, map_location=device, weights_only=True))
    acc2 = test(model2.to(device), device, test_loader)
    x = next(iter(test_loader))[0]
    with torch.no_grad():
        same = bool((model(x).max(1)[1] == model2(x).max(1)[1]).all())
    print(f"RESULT acc={acc} acc2={acc2} same={int(same)}")


if __name__ == '__main__':
    main()
"""


def test_mnist_style_cnn(torch, tmp_path):
    ours = result(run(MNIST_CNN, "nnengine", tmp_path))
    ref = result(run(MNIST_CNN, "torch", tmp_path))
    assert ours["acc"] > 0.85 and ref["acc"] > 0.85
    assert ours["acc2"] == ours["acc"] and ours["same"] == 1
    assert abs(ours["acc"] - ref["acc"]) < 0.05


TIME_SEQUENCE = """
import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

# generate the sine waves (pytorch/examples time_sequence_prediction/generate_sine_wave.py, smaller)
np.random.seed(2)
T, L, N = 20, 200, 30
x = np.empty((N, L), 'int64')
x[:] = np.array(range(L)) + np.random.randint(-4 * T, 4 * T, N).reshape(N, 1)
data = np.sin(x / 1.0 / T).astype('float64')


class Sequence(nn.Module):
    def __init__(self):
        super(Sequence, self).__init__()
        self.lstm1 = nn.LSTMCell(1, 21)
        self.lstm2 = nn.LSTMCell(21, 21)
        self.linear = nn.Linear(21, 1)

    def forward(self, input, future=0):
        outputs = []
        h_t = torch.zeros(input.size(0), 21, dtype=torch.double)
        c_t = torch.zeros(input.size(0), 21, dtype=torch.double)
        h_t2 = torch.zeros(input.size(0), 21, dtype=torch.double)
        c_t2 = torch.zeros(input.size(0), 21, dtype=torch.double)

        for input_t in input.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        for i in range(future):
            h_t, c_t = self.lstm1(output, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        outputs = torch.cat(outputs, dim=1)
        return outputs


if __name__ == '__main__':
    np.random.seed(0)
    torch.manual_seed(0)
    input = torch.from_numpy(data[3:, :-1])
    target = torch.from_numpy(data[3:, 1:])
    test_input = torch.from_numpy(data[:3, :-1])
    test_target = torch.from_numpy(data[:3, 1:])
    seq = Sequence()
    seq.double()
    criterion = nn.MSELoss()
    optimizer = optim.LBFGS(seq.parameters(), lr=0.8)
    losses = []
    for i in range(4):
        print('STEP: ', i)

        def closure():
            optimizer.zero_grad()
            out = seq(input)
            loss = criterion(out, target)
            print('loss:', loss.item())
            loss.backward()
            return loss
        optimizer.step(closure)
        with torch.no_grad():
            future = 50
            pred = seq(test_input, future=future)
            loss = criterion(pred[:, :-future], test_target)
            print('test loss:', loss.item())
            losses.append(loss.item())
            y = pred.detach().numpy()
    print(f"RESULT first={losses[0]} last={losses[-1]} shape1={y.shape[1]}")
"""


def test_lstmcell_time_series_with_lbfgs(torch, tmp_path):
    ours = result(run(TIME_SEQUENCE, "nnengine", tmp_path))
    ref = result(run(TIME_SEQUENCE, "torch", tmp_path))
    assert ours["shape1"] == ref["shape1"] == 249
    assert ours["last"] < 0.5 * ours["first"] and ours["last"] < 0.05
    assert ref["last"] < 0.05


VAE = """
import os

import numpy as np
import torch
import torch.utils.data
from torch import nn, optim
from torch.nn import functional as F

torch.manual_seed(1)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
d = np.load(os.environ["DIGITS"])
images = torch.tensor(d["images"].astype(np.float32) / 16.0)
train_loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images, torch.tensor(d["labels"])),
                                           batch_size=64, shuffle=True)


class VAE(nn.Module):
    def __init__(self):
        super(VAE, self).__init__()
        self.fc1 = nn.Linear(64, 128)
        self.fc21 = nn.Linear(128, 8)
        self.fc22 = nn.Linear(128, 8)
        self.fc3 = nn.Linear(8, 128)
        self.fc4 = nn.Linear(128, 64)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 64))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


model = VAE().to(device)
optimizer = optim.Adam(model.parameters(), lr=1e-3)


def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 64), reduction='sum')
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


def train(epoch):
    model.train()
    train_loss = 0
    for batch_idx, (data, _) in enumerate(train_loader):
        data = data.to(device)
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(data)
        loss = loss_function(recon_batch, data, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
    avg = train_loss / len(train_loader.dataset)
    print('====> Epoch: {} Average loss: {:.4f}'.format(epoch, avg))
    return avg


losses = [train(epoch) for epoch in range(1, 6)]
with torch.no_grad():
    sample = torch.randn(16, 8).to(device)
    sample = model.decode(sample).cpu()
print(f"RESULT first={losses[0]} last={losses[-1]} n={sample.view(16, 1, 8, 8).shape[0]}")
"""


def test_vae(torch, tmp_path):
    ours = result(run(VAE, "nnengine", tmp_path))
    ref = result(run(VAE, "torch", tmp_path))
    assert ours["n"] == 16
    assert ours["last"] < 0.85 * ours["first"]
    assert abs(ours["last"] - ref["last"]) < 0.1 * ref["last"]


BASICS = """
import os
import tempfile

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset, random_split

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
torch.manual_seed(0)
rng = np.random.default_rng(0)
X = rng.standard_normal((600, 10)).astype(np.float32)
y = (X[:, :3].sum(1) > 0).astype(np.int64)
ds = TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
train_ds, val_ds = random_split(ds, [500, 100])
train_loader = DataLoader(train_ds, batch_size=32, shuffle=True, num_workers=2)
val_loader = DataLoader(val_ds, batch_size=100)

model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 2)).to(device)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.NAdam(model.parameters(), lr=1e-2)
for epoch in range(5):
    model.train()
    for inputs, labels in train_loader:
        inputs, labels = inputs.to(device), labels.to(device)
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
model.eval()
correct = total = 0
with torch.no_grad():
    for inputs, labels in val_loader:
        outputs = model(inputs.to(device))
        _, predicted = torch.max(outputs.data, 1)
        total += labels.size(0)
        correct += (predicted == labels.to(device)).sum().item()
        assert (outputs.max(1)[1] == predicted).all()

ckpt = os.path.join(tempfile.mkdtemp(), "ckpt.pth")
torch.save({"epoch": 5, "model_state_dict": model.state_dict(), "optimizer_state_dict": optimizer.state_dict(),
            "loss": loss.item()}, ckpt)
checkpoint = torch.load(ckpt, weights_only=True)
model.load_state_dict(checkpoint["model_state_dict"])
optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
print(f"RESULT acc={correct / total} epoch={checkpoint['epoch']}")
"""


def test_basics_loop_checkpoint_and_workers(torch, tmp_path):
    ours = result(run(BASICS, "nnengine", tmp_path))
    ref = result(run(BASICS, "torch", tmp_path))
    assert ours["epoch"] == 5 and ours["acc"] > 0.85 and ref["acc"] > 0.85


# ------------------------------------------------------------------ ne.save / ne.load
def test_save_load_round_trip(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    opt = optim.NAdam(model.parameters(), lr=1e-2)
    model(ne.randn(2, 1, 5, 5)).sum().backward()
    opt.step()
    obj = {"model": model.state_dict(), "opt": opt.state_dict(), "epoch": 3, "tags": ["a", None, True],
           "pair": (1.5, float("nan")), 7: ne.tensor([1.0, 2.0], requires_grad=True)}
    ne.save(obj, tmp_path / "c.pt")
    back = ne.load(str(tmp_path / "c.pt"), map_location="cpu", weights_only=True)
    assert list(back) == ["model", "opt", "epoch", "tags", "pair", 7]
    assert back["epoch"] == 3 and back["tags"] == ["a", None, True] and back["pair"][0] == 1.5
    assert np.isnan(back["pair"][1]) and isinstance(back["pair"], tuple)
    assert isinstance(back[7], ne.Tensor) and back[7].requires_grad
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(back["model"][k], v)
        assert back["model"][k].dtype == v.dtype
    opt2 = optim.NAdam(model.parameters())
    opt2.load_state_dict(back["opt"])
    assert opt2.state_dict()["state"][0]["mu_product"] == opt.state_dict()["state"][0]["mu_product"]
    buf = io.BytesIO()
    ne.save([np.arange(3)], buf)
    buf.seek(0)
    np.testing.assert_array_equal(ne.load(buf)[0], np.arange(3))


def test_save_refuses_objects_and_never_pickles(tmp_path):
    import pickle

    ne.save(nn.Linear(2, 2), tmp_path / "m.pt")  # a whole model: loads only with weights_only=False (torch >= 2.6)
    assert b"pickle" not in (tmp_path / "m.pt").read_bytes()
    with pytest.raises(pickle.UnpicklingError, match="weights_only=False"):
        ne.load(tmp_path / "m.pt")
    assert isinstance(ne.load(tmp_path / "m.pt", weights_only=False), nn.Linear)
    with pytest.raises(TypeError, match="never pickles"):
        ne.save({"f": lambda: 0}, tmp_path / "f.pt")
    ne.save({"a": 1}, tmp_path / "ok.pt")
    assert b"pickle" not in (tmp_path / "ok.pt").read_bytes()
    with pytest.raises(RuntimeError, match="CPU only"):
        ne.load(tmp_path / "ok.pt", map_location="cuda:0")


def test_load_reads_torch_state_dict_saved_with_safetensors(torch, tmp_path):
    """A plain safetensors file (e.g. written by safetensors.torch) loads as {name: array}."""
    from nnengine.io import save_file

    t = torch.nn.Linear(3, 2)
    save_file({k: v.detach().numpy() for k, v in t.state_dict().items()}, str(tmp_path / "w.safetensors"))
    m = nn.Linear(3, 2)
    m.load_state_dict(ne.load(tmp_path / "w.safetensors"))
    np.testing.assert_array_equal(m.weight.data, t.weight.detach().numpy())
