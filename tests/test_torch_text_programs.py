"""Well-known sequence / text / teaching PyTorch programs (bentrevett's pytorch-sentiment-analysis and
pytorch-seq2seq notebooks, MorvanZhou's PyTorch-Tutorial, d2l.ai's PyTorch chapters) run with only their torch
imports rewritten (``swap`` in test_torch_scripts.py), next to the same source under real torch. Each script keeps
the original's model definitions and training-loop idioms verbatim; torchtext / spaCy / downloaded corpora are
replaced by seeded synthetic token sequences and the sizes shrink so that each run takes seconds. Results are
compared loosely (the engines draw different random numbers).

Plus focused checks, against torch, of what these programs needed: numpy's ``axis=`` / ``keepdims=`` spellings
(torch's argument parser takes them for every native function: d2l writes ``y_hat.argmax(axis=1)``), lazy layers
loading a state_dict without a dry-run forward (d2l's read-write chapter), and
``torch.distributions.Multinomial`` / ``Binomial`` (d2l's probability chapter)."""

from __future__ import annotations

import numpy as np
import pytest
from test_torch_scripts import result, run

import nnengine as ne
from nnengine import nn


def both(src: str, tmp_path) -> tuple:
    ours = result(run(src, "nnengine", tmp_path))
    ref = result(run(src, "torch", tmp_path))
    print("nnengine", ours, "\ntorch", ref)
    return ours, ref


# ----------------------------------------------------------------------------- numpy's axis / keepdims names
X = np.arange(12, dtype=np.float32).reshape(3, 4) - 5.0

AXIS_CASES = {
    "sum": lambda t, x: x.sum(axis=1), "torch.sum": lambda t, x: t.sum(x, axis=1, keepdims=True),
    "mean": lambda t, x: x.mean(axis=0, keepdims=True), "argmax": lambda t, x: x.argmax(axis=1),
    "torch.argmax": lambda t, x: t.argmax(x, axis=0), "argmin": lambda t, x: x.argmin(axis=1),
    "max": lambda t, x: x.max(axis=1)[0], "min": lambda t, x: x.min(axis=0, keepdims=True)[1],
    "torch.max": lambda t, x: t.max(x, axis=1, keepdims=True)[0], "torch.min": lambda t, x: t.min(x, axis=1)[1],
    "cat": lambda t, x: t.cat([x, x], axis=1), "concat": lambda t, x: t.concat([x, x], axis=0),
    "stack": lambda t, x: t.stack([x, x], axis=2), "softmax": lambda t, x: x.softmax(axis=1),
    "torch.softmax": lambda t, x: t.softmax(x, axis=0), "log_softmax": lambda t, x: t.log_softmax(x, axis=1),
    "unsqueeze": lambda t, x: x.unsqueeze(axis=1), "torch.unsqueeze": lambda t, x: t.unsqueeze(x, axis=0),
    "squeeze": lambda t, x: x[None].squeeze(axis=0), "prod": lambda t, x: x.prod(axis=1),
    "std": lambda t, x: x.std(axis=1), "var": lambda t, x: t.var(x, axis=0, keepdims=True),
    "cumsum": lambda t, x: x.cumsum(axis=1), "cumprod": lambda t, x: t.cumprod(x, axis=0),
    "logsumexp": lambda t, x: x.logsumexp(axis=1), "amax": lambda t, x: x.amax(axis=0),
    "amin": lambda t, x: t.amin(x, axis=1, keepdims=True), "topk": lambda t, x: x.topk(2, axis=0)[0],
    "sort": lambda t, x: t.sort(x, axis=0, descending=True)[0], "argsort": lambda t, x: x.argsort(axis=1),
    "index_select": lambda t, x: x.index_select(axis=1, index=t.tensor([0, 2])),
    "median": lambda t, x: x.median(axis=1)[0], "kthvalue": lambda t, x: t.kthvalue(x, 2, axis=1)[0],
    "chunk": lambda t, x: x.chunk(2, axis=1)[1], "unbind": lambda t, x: t.unbind(x, axis=1)[2],
    "nansum": lambda t, x: t.nansum(x, axis=1), "nanmean": lambda t, x: x.nanmean(axis=0),
    "cummax": lambda t, x: t.cummax(x, axis=1)[0], "count_nonzero": lambda t, x: t.count_nonzero(x, axis=1),
    "repeat_interleave": lambda t, x: x.repeat_interleave(2, axis=0), "diff": lambda t, x: t.diff(x, axis=1),
    "var_mean": lambda t, x: t.var_mean(x, axis=0)[0], "std_mean": lambda t, x: t.std_mean(x, axis=1)[1],
    "any": lambda t, x: (x > 3).any(axis=1), "all": lambda t, x: t.all(x > -6, axis=0),
}


@pytest.mark.parametrize("name", sorted(AXIS_CASES))
def test_numpy_axis_and_keepdims_names(torch, name):
    fn = AXIS_CASES[name]
    ref = fn(torch, torch.tensor(X))
    ours = fn(ne, ne.tensor(X))
    assert tuple(ours.shape) == tuple(ref.shape)
    np.testing.assert_allclose(np.asarray(ours.tolist(), np.float64), np.asarray(ref.tolist(), np.float64),
                               rtol=1e-5, atol=1e-6)


def test_numpy_axis_names_keep_gradients_and_errors(torch):
    x = ne.tensor(X, requires_grad=True)
    (x.softmax(axis=1)[:, 0].sum() + x.sum(axis=0, keepdims=True).mean() + x.std(axis=1).sum()).backward()
    xt = torch.tensor(X, requires_grad=True)
    (xt.softmax(axis=1)[:, 0].sum() + xt.sum(axis=0, keepdims=True).mean() + xt.std(axis=1).sum()).backward()
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-5, atol=1e-6)
    for call in (lambda: x.sum(1, axis=1), lambda: x.std(dim=1, axis=1), lambda: ne.cat([x], 0, axis=0)):
        with pytest.raises(TypeError, match="alias 'axis'"):
            call()
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'dim'"):
        x.softmax()
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'dim'"):
        x.unsqueeze()
    with pytest.raises(TypeError):  # torch.nn.functional's Python functions take no alias, in torch as here
        ne.nn.functional.softmax(x, axis=1)


# ----------------------------------------------------------------------------- lazy layers from a state_dict
def test_lazy_layers_take_their_sizes_from_a_state_dict(torch, tmp_path):
    class MLP(nn.Module):  # d2l's read-write chapter, verbatim
        def __init__(self):
            super().__init__()
            self.hidden = nn.LazyLinear(256)
            self.output = nn.LazyLinear(10)

        def forward(self, x):
            return self.output(ne.nn.functional.relu(self.hidden(x)))

    net = MLP()
    X_in = ne.randn(size=(2, 20))
    Y = net(X_in)
    ne.save(net.state_dict(), str(tmp_path / "mlp.params"))
    clone = MLP()
    state = ne.get_rng_state() if hasattr(ne, "get_rng_state") else None
    clone.load_state_dict(ne.load(str(tmp_path / "mlp.params")))
    if state is not None:  # materialising from the dict draws nothing
        assert np.array_equal(np.asarray(ne.get_rng_state()), np.asarray(state))
    clone.eval()
    assert bool((clone(X_in) == Y).all())
    assert type(clone.hidden).__name__ == "Linear" and clone.hidden.weight.shape == (256, 20)

    # conv (with groups), transposed conv and batch norm, against torch's values
    tm = torch.nn.Sequential(torch.nn.Conv2d(4, 6, 3, groups=2), torch.nn.BatchNorm2d(6),
                             torch.nn.ConvTranspose2d(6, 3, 2, stride=2), torch.nn.Flatten(), torch.nn.Linear(48, 5))
    tm.eval()
    lazy = nn.Sequential(nn.LazyConv2d(6, 3, groups=2), nn.LazyBatchNorm2d(), nn.LazyConvTranspose2d(3, 2, stride=2),
                         nn.Flatten(), nn.LazyLinear(5))
    lazy.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    lazy.eval()
    assert [type(m).__name__ for m in lazy] == ["Conv2d", "BatchNorm2d", "ConvTranspose2d", "Flatten", "Linear"]
    x = np.random.default_rng(0).standard_normal((2, 4, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(lazy(ne.tensor(x)).detach().numpy(), tm(torch.tensor(x)).detach().numpy(),
                               rtol=1e-4, atol=1e-5)
    still = nn.LazyLinear(3)
    still.load_state_dict({}, strict=False)  # nothing to size it: stays lazy, as torch
    assert still.has_uninitialized_params()


# ----------------------------------------------------------------------------- Multinomial / Binomial
def test_multinomial_and_binomial_match_torch(torch):
    from nnengine.distributions.binomial import Binomial
    from nnengine.distributions.multinomial import Multinomial

    TD = torch.distributions
    lg = np.array([[0.1, -0.3, 0.7], [1.0, 0.0, -1.0]], np.float32)
    v = np.array([[1.0, 2.0, 2.0], [0.0, 5.0, 0.0]], np.float32)
    ours_lg, ref_lg = ne.tensor(lg, requires_grad=True), torch.tensor(lg, requires_grad=True)
    m, mt = Multinomial(5, logits=ours_lg), TD.Multinomial(5, logits=ref_lg)
    lp, lpt = m.log_prob(ne.tensor(v)), mt.log_prob(torch.tensor(v))
    lp.sum().backward()
    lpt.sum().backward()
    np.testing.assert_allclose(lp.detach().numpy(), lpt.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(ours_lg.grad, ref_lg.grad.numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(m.mean.detach().numpy(), mt.mean.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(m.variance.detach().numpy(), mt.variance.detach().numpy(), rtol=1e-5)
    assert m.batch_shape == tuple(mt.batch_shape) and m.event_shape == tuple(mt.event_shape)
    ne.manual_seed(0)
    fair_probs = ne.ones(6) / 6  # d2l's die
    counts = Multinomial(10, fair_probs).sample((500,))
    assert counts.shape == (500, 6) and counts.dtype == np.float32 and bool((counts.sum(1) == 10).all())
    assert abs(counts.mean().item() - 10 / 6) < 0.1
    assert Multinomial(1, fair_probs).sample().shape == (6,)
    assert Multinomial(3, ne.tensor([0.0, 1.0])).log_prob(ne.tensor([0.0, 3.0])).item() == pytest.approx(0, abs=1e-5)

    p, pt = ne.tensor([0.2, 0.5, 0.9], requires_grad=True), torch.tensor([0.2, 0.5, 0.9], requires_grad=True)
    n = [3.0, 10.0, 4.0]
    b, bt = Binomial(ne.tensor(n), p), TD.Binomial(torch.tensor(n), pt)
    k = [1.0, 5.0, 4.0]
    lp, lpt = b.log_prob(ne.tensor(k)), bt.log_prob(torch.tensor(k))
    lp.sum().backward()
    lpt.sum().backward()
    np.testing.assert_allclose(lp.detach().numpy(), lpt.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(p.grad, pt.grad.numpy(), rtol=1e-4)
    for attr in ("mean", "variance", "mode"):
        np.testing.assert_allclose(getattr(b, attr).detach().numpy(), getattr(bt, attr).detach().numpy(), rtol=1e-5)
    lg2 = [0.0, 2.0, -1.5]
    np.testing.assert_allclose(Binomial(10, logits=ne.tensor(lg2)).log_prob(ne.tensor([3.0, 9.0, 0.0])).numpy(),
                               TD.Binomial(10, logits=torch.tensor(lg2)).log_prob(torch.tensor([3.0, 9.0, 0.0])).numpy(),
                               rtol=1e-5)
    s = Binomial(10, ne.tensor(0.5)).sample((2000,))
    assert s.shape == (2000,) and abs(s.mean().item() - 5) < 0.3 and float(s.max()) <= 10
    with pytest.raises(TypeError, match="total_count"):
        Multinomial(ne.tensor([1, 2]), fair_probs)
    with pytest.raises(ValueError, match="probs"):
        Binomial(3, ne.tensor([1.5]))
    with pytest.raises(ValueError, match="exactly one of probs or logits"):
        Binomial(3)


# ----------------------------------------------------------------------------- whole programs
# bentrevett/pytorch-sentiment-analysis notebooks 1-3 (NBoW, packed bi-LSTM with enforce_sorted=False,
# Conv1d CNN): pad_sequence collate, orthogonal/xavier/kaiming init, ``embedding.weight.data = pretrained``
SENTIMENT = r'''
import collections
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

seed = 1234
np.random.seed(seed)
torch.manual_seed(seed)
torch.cuda.manual_seed(seed)
torch.backends.cudnn.deterministic = True

V = 40; unk_index = 0; pad_index = 1
rs = np.random.RandomState(0)
def make(n):
    out = []
    for _ in range(n):
        L = rs.randint(5, 14)
        ids = rs.randint(2, V, L)
        out.append({"ids": torch.LongTensor(ids.tolist()), "length": torch.tensor(L), "label": torch.tensor(int((ids % 2 == 0).mean() > 0.5))})
    return out
train_data, valid_data = make(96), make(32)

def get_collate_fn(pad_index):
    def collate_fn(batch):
        batch_ids = [i["ids"] for i in batch]
        batch_ids = nn.utils.rnn.pad_sequence(
            batch_ids, padding_value=pad_index, batch_first=True
        )
        batch_length = [i["length"] for i in batch]
        batch_length = torch.stack(batch_length)
        batch_label = [i["label"] for i in batch]
        batch_label = torch.stack(batch_label)
        batch = {"ids": batch_ids, "length": batch_length, "label": batch_label}
        return batch

    return collate_fn

def get_data_loader(dataset, batch_size, pad_index, shuffle=False):
    collate_fn = get_collate_fn(pad_index)
    data_loader = torch.utils.data.DataLoader(
        dataset=dataset,
        batch_size=batch_size,
        collate_fn=collate_fn,
        shuffle=shuffle,
    )
    return data_loader

train_data_loader = get_data_loader(train_data, 16, pad_index, shuffle=True)
valid_data_loader = get_data_loader(valid_data, 16, pad_index)

class NBoW(nn.Module):
    def __init__(self, vocab_size, embedding_dim, output_dim, pad_index):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_index)
        self.fc = nn.Linear(embedding_dim, output_dim)

    def forward(self, ids):
        embedded = self.embedding(ids)
        pooled = embedded.mean(dim=1)
        prediction = self.fc(pooled)
        return prediction

class LSTM(nn.Module):
    def __init__(self, vocab_size, embedding_dim, hidden_dim, output_dim, n_layers, bidirectional, dropout_rate, pad_index):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_index)
        self.lstm = nn.LSTM(
            embedding_dim,
            hidden_dim,
            n_layers,
            bidirectional=bidirectional,
            dropout=dropout_rate,
            batch_first=True,
        )
        self.fc = nn.Linear(hidden_dim * 2 if bidirectional else hidden_dim, output_dim)
        self.dropout = nn.Dropout(dropout_rate)

    def forward(self, ids, length):
        embedded = self.dropout(self.embedding(ids))
        packed_embedded = nn.utils.rnn.pack_padded_sequence(
            embedded, length, batch_first=True, enforce_sorted=False
        )
        packed_output, (hidden, cell) = self.lstm(packed_embedded)
        output, output_length = nn.utils.rnn.pad_packed_sequence(packed_output)
        if self.lstm.bidirectional:
            hidden = self.dropout(torch.cat([hidden[-1], hidden[-2]], dim=-1))
        else:
            hidden = self.dropout(hidden[-1])
        prediction = self.fc(hidden)
        return prediction

class CNN(nn.Module):
    def __init__(self, vocab_size, embedding_dim, n_filters, filter_sizes, output_dim, dropout_rate, pad_index):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_index)
        self.convs = nn.ModuleList(
            [
                nn.Conv1d(embedding_dim, n_filters, filter_size)
                for filter_size in filter_sizes
            ]
        )
        self.fc = nn.Linear(len(filter_sizes) * n_filters, output_dim)
        self.dropout = nn.Dropout(dropout_rate)

    def forward(self, ids):
        embedded = self.dropout(self.embedding(ids))
        embedded = embedded.permute(0, 2, 1)
        conved = [torch.relu(conv(embedded)) for conv in self.convs]
        pooled = [conv.max(dim=-1).values for conv in conved]
        cat = self.dropout(torch.cat(pooled, dim=-1))
        prediction = self.fc(cat)
        return prediction

def initialize_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.xavier_normal_(m.weight)
        nn.init.zeros_(m.bias)
    elif isinstance(m, nn.LSTM):
        for name, param in m.named_parameters():
            if "bias" in name:
                nn.init.zeros_(param)
            elif "weight" in name:
                nn.init.orthogonal_(param)
    elif isinstance(m, nn.Conv1d):
        nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
        nn.init.zeros_(m.bias)

def get_accuracy(prediction, label):
    batch_size, _ = prediction.shape
    predicted_classes = prediction.argmax(dim=-1)
    correct_predictions = predicted_classes.eq(label).sum()
    accuracy = correct_predictions / batch_size
    return accuracy

def train(dataloader, model, criterion, optimizer, device, with_len):
    model.train()
    epoch_losses = []
    epoch_accs = []
    for batch in dataloader:
        ids = batch["ids"].to(device)
        length = batch["length"]
        label = batch["label"].to(device)
        prediction = model(ids, length) if with_len else model(ids)
        loss = criterion(prediction, label)
        accuracy = get_accuracy(prediction, label)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        epoch_losses.append(loss.item())
        epoch_accs.append(accuracy.item())
    return np.mean(epoch_losses), np.mean(epoch_accs)

def evaluate(dataloader, model, criterion, device, with_len):
    model.eval()
    epoch_losses = []
    epoch_accs = []
    with torch.no_grad():
        for batch in dataloader:
            ids = batch["ids"].to(device)
            length = batch["length"]
            label = batch["label"].to(device)
            prediction = model(ids, length) if with_len else model(ids)
            loss = criterion(prediction, label)
            accuracy = get_accuracy(prediction, label)
            epoch_losses.append(loss.item())
            epoch_accs.append(accuracy.item())
    return np.mean(epoch_losses), np.mean(epoch_accs)

def count_parameters(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
res = {}
for name, model, with_len in [
    ("nbow", NBoW(V, 16, 2, pad_index), False),
    ("lstm", LSTM(V, 16, 16, 2, 2, True, 0.5, pad_index), True),
    ("cnn", CNN(V, 16, 8, [3, 4, 5], 2, 0.25, pad_index), False),
]:
    model.apply(initialize_weights)
    print(name, f"The model has {count_parameters(model):,} trainable parameters")
    pretrained_embedding = torch.randn(V, model.embedding.embedding_dim)
    model.embedding.weight.data = pretrained_embedding
    optimizer = optim.Adam(model.parameters(), lr=5e-3)
    criterion = nn.CrossEntropyLoss()
    model = model.to(device)
    criterion = criterion.to(device)
    best_valid_loss = float("inf")
    metrics = collections.defaultdict(list)
    for epoch in range(4):
        train_loss, train_acc = train(train_data_loader, model, criterion, optimizer, device, with_len)
        valid_loss, valid_acc = evaluate(valid_data_loader, model, criterion, device, with_len)
        metrics["train_losses"].append(train_loss)
        if valid_loss < best_valid_loss:
            best_valid_loss = valid_loss
            torch.save(model.state_dict(), name + ".pt")
        print(f"epoch: {epoch} train_loss: {train_loss:.3f}, train_acc: {train_acc:.3f} valid_loss: {valid_loss:.3f}, valid_acc: {valid_acc:.3f}")
    model.load_state_dict(torch.load(name + ".pt"))
    ids = [3, 5, 7, 4, 2, 9]
    length = torch.LongTensor([len(ids)])
    tensor = torch.LongTensor(ids).unsqueeze(dim=0).to(device)
    prediction = (model(tensor, length) if with_len else model(tensor)).squeeze(dim=0)
    probability = torch.softmax(prediction, dim=-1)
    predicted_class = prediction.argmax(dim=-1).item()
    predicted_probability = probability[predicted_class].item()
    print(name, predicted_class, round(predicted_probability, 3))
    res[name] = train_loss
    res[name + "_first"] = metrics["train_losses"][0]
print("RESULT " + " ".join(f"{k}={v:.4f}" for k, v in res.items()))
'''


# the legacy notebooks 1-5 and C (sentence-first RNN, packed LSTM, FastText's avg_pool2d, Conv2d/Conv1d
# CNNs, multi-class): ``weight.data.copy_``, ``weight.data[UNK_IDX] = torch.zeros(...)``, frozen then
# unfrozen embeddings, BCEWithLogitsLoss
SENTIMENT_LEGACY = r'''
import random
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
import time

SEED = 1234
random.seed(SEED)
np.random.seed(SEED)
torch.manual_seed(SEED)
torch.backends.cudnn.deterministic = True
device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')

INPUT_DIM = 40; EMBEDDING_DIM = 16; PAD_IDX = 1; UNK_IDX = 0
rs = np.random.RandomState(0)
class Batch: pass
def make_batches(n_batches, bs, include_lengths=False, multiclass=False):
    out = []
    for _ in range(n_batches):
        lens = sorted(rs.randint(5, 14, bs).tolist(), reverse=True)
        T = max(lens)
        text = np.full((T, bs), PAD_IDX)
        labels = []
        for j, L in enumerate(lens):
            ids = rs.randint(2, INPUT_DIM, L); text[:L, j] = ids
            labels.append(int(ids[0] % 6) if multiclass else float((ids % 2 == 0).mean() > 0.5))
        b = Batch()
        t = torch.LongTensor(text)
        b.text = (t, torch.LongTensor(lens)) if include_lengths else t
        b.label = torch.LongTensor(labels) if multiclass else torch.FloatTensor(labels)
        out.append(b)
    return out

vectors = torch.Tensor(INPUT_DIM, EMBEDDING_DIM).zero_()
for i in range(INPUT_DIM):
    vectors[i] = torch.Tensor.normal_(torch.Tensor(EMBEDDING_DIM)) if i % 3 == 0 else torch.randn(EMBEDDING_DIM)

class RNN(nn.Module):
    def __init__(self, input_dim, embedding_dim, hidden_dim, output_dim):
        super().__init__()
        self.embedding = nn.Embedding(input_dim, embedding_dim)
        self.rnn = nn.RNN(embedding_dim, hidden_dim)
        self.fc = nn.Linear(hidden_dim, output_dim)
    def forward(self, text):
        embedded = self.embedding(text)
        output, hidden = self.rnn(embedded)
        assert torch.equal(output[-1,:,:], hidden.squeeze(0))
        return self.fc(hidden.squeeze(0))

class PackedRNN(nn.Module):
    def __init__(self, vocab_size, embedding_dim, hidden_dim, output_dim, n_layers,
                 bidirectional, dropout, pad_idx):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx = pad_idx)
        self.rnn = nn.LSTM(embedding_dim,
                           hidden_dim,
                           num_layers=n_layers,
                           bidirectional=bidirectional,
                           dropout=dropout)
        self.fc = nn.Linear(hidden_dim * 2, output_dim)
        self.dropout = nn.Dropout(dropout)
    def forward(self, text, text_lengths):
        embedded = self.dropout(self.embedding(text))
        packed_embedded = nn.utils.rnn.pack_padded_sequence(embedded, text_lengths.to('cpu'))
        packed_output, (hidden, cell) = self.rnn(packed_embedded)
        output, output_lengths = nn.utils.rnn.pad_packed_sequence(packed_output)
        hidden = self.dropout(torch.cat((hidden[-2,:,:], hidden[-1,:,:]), dim = 1))
        return self.fc(hidden)

class FastText(nn.Module):
    def __init__(self, vocab_size, embedding_dim, output_dim, pad_idx):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_idx)
        self.fc = nn.Linear(embedding_dim, output_dim)
    def forward(self, text):
        embedded = self.embedding(text)
        embedded = embedded.permute(1, 0, 2)
        pooled = F.avg_pool2d(embedded, (embedded.shape[1], 1)).squeeze(1)
        return self.fc(pooled)

class CNN(nn.Module):
    def __init__(self, vocab_size, embedding_dim, n_filters, filter_sizes, output_dim,
                 dropout, pad_idx):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx = pad_idx)
        self.convs = nn.ModuleList([
                                    nn.Conv2d(in_channels = 1,
                                              out_channels = n_filters,
                                              kernel_size = (fs, embedding_dim))
                                    for fs in filter_sizes
                                    ])
        self.fc = nn.Linear(len(filter_sizes) * n_filters, output_dim)
        self.dropout = nn.Dropout(dropout)
    def forward(self, text):
        text = text.permute(1, 0)
        embedded = self.embedding(text)
        embedded = embedded.unsqueeze(1)
        conved = [F.relu(conv(embedded)).squeeze(3) for conv in self.convs]
        pooled = [F.max_pool1d(conv, conv.shape[2]).squeeze(2) for conv in conved]
        cat = self.dropout(torch.cat(pooled, dim = 1))
        return self.fc(cat)

class CNN1d(nn.Module):
    def __init__(self, vocab_size, embedding_dim, n_filters, filter_sizes, output_dim,
                 dropout, pad_idx):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx = pad_idx)
        self.convs = nn.ModuleList([
                                    nn.Conv1d(in_channels = embedding_dim,
                                              out_channels = n_filters,
                                              kernel_size = fs)
                                    for fs in filter_sizes
                                    ])
        self.fc = nn.Linear(len(filter_sizes) * n_filters, output_dim)
        self.dropout = nn.Dropout(dropout)
    def forward(self, text):
        text = text.permute(1, 0)
        embedded = self.embedding(text)
        embedded = embedded.permute(0, 2, 1)
        conved = [F.relu(conv(embedded)) for conv in self.convs]
        pooled = [F.max_pool1d(conv, conv.shape[2]).squeeze(2) for conv in conved]
        cat = self.dropout(torch.cat(pooled, dim = 1))
        return self.fc(cat)

def binary_accuracy(preds, y):
    rounded_preds = torch.round(torch.sigmoid(preds))
    correct = (rounded_preds == y).float() #convert into float for division
    acc = correct.sum() / len(correct)
    return acc

def categorical_accuracy(preds, y):
    top_pred = preds.argmax(1, keepdim = True)
    correct = top_pred.eq(y.view_as(top_pred)).sum()
    acc = correct.float() / y.shape[0]
    return acc

def train(model, iterator, optimizer, criterion, packed=False, multi=False):
    epoch_loss = 0
    epoch_acc = 0
    model.train()
    for batch in iterator:
        optimizer.zero_grad()
        if packed:
            text, text_lengths = batch.text
            predictions = model(text, text_lengths).squeeze(1)
        elif multi:
            predictions = model(batch.text)
        else:
            predictions = model(batch.text).squeeze(1)
        loss = criterion(predictions, batch.label)
        acc = (categorical_accuracy if multi else binary_accuracy)(predictions, batch.label)
        loss.backward()
        optimizer.step()
        epoch_loss += loss.item()
        epoch_acc += acc.item()
    return epoch_loss / len(iterator), epoch_acc / len(iterator)

def evaluate(model, iterator, criterion, packed=False, multi=False):
    epoch_loss = 0
    epoch_acc = 0
    model.eval()
    with torch.no_grad():
        for batch in iterator:
            if packed:
                text, text_lengths = batch.text
                predictions = model(text, text_lengths).squeeze(1)
            elif multi:
                predictions = model(batch.text)
            else:
                predictions = model(batch.text).squeeze(1)
            loss = criterion(predictions, batch.label)
            acc = (categorical_accuracy if multi else binary_accuracy)(predictions, batch.label)
            epoch_loss += loss.item()
            epoch_acc += acc.item()
    return epoch_loss / len(iterator), epoch_acc / len(iterator)

def epoch_time(start_time, end_time):
    elapsed_time = end_time - start_time
    elapsed_mins = int(elapsed_time / 60)
    elapsed_secs = int(elapsed_time - (elapsed_mins * 60))
    return elapsed_mins, elapsed_secs

res = {}
for name, model, packed, multi in [
    ("rnn", RNN(INPUT_DIM, EMBEDDING_DIM, 16, 1), False, False),
    ("packed", PackedRNN(INPUT_DIM, EMBEDDING_DIM, 16, 1, 2, True, 0.5, PAD_IDX), True, False),
    ("fasttext", FastText(INPUT_DIM, EMBEDDING_DIM, 1, PAD_IDX), False, False),
    ("cnn2d", CNN(INPUT_DIM, EMBEDDING_DIM, 8, [3, 4, 5], 1, 0.5, PAD_IDX), False, False),
    ("cnn1d", CNN1d(INPUT_DIM, EMBEDDING_DIM, 8, [3, 4, 5], 1, 0.5, PAD_IDX), False, False),
    ("multi", CNN(INPUT_DIM, EMBEDDING_DIM, 8, [2, 3, 4], 6, 0.5, PAD_IDX), False, True),
]:
    train_iterator = make_batches(6, 16, include_lengths=packed, multiclass=multi)
    valid_iterator = make_batches(2, 16, include_lengths=packed, multiclass=multi)
    if name != "rnn":
        pretrained_embeddings = vectors
        model.embedding.weight.data.copy_(pretrained_embeddings)
        model.embedding.weight.data[UNK_IDX] = torch.zeros(EMBEDDING_DIM)
        model.embedding.weight.data[PAD_IDX] = torch.zeros(EMBEDDING_DIM)
    optimizer = optim.SGD(model.parameters(), lr=1e-1) if name == "rnn" else optim.Adam(model.parameters())
    criterion = nn.CrossEntropyLoss() if multi else nn.BCEWithLogitsLoss()
    model = model.to(device)
    criterion = criterion.to(device)
    best_valid_loss = float('inf')
    if name == "cnn2d":  # notebook C: frozen embeddings, unfrozen later
        model.embedding.weight.requires_grad = unfrozen = False
    for epoch in range(3):
        start_time = time.time()
        train_loss, train_acc = train(model, train_iterator, optimizer, criterion, packed, multi)
        valid_loss, valid_acc = evaluate(model, valid_iterator, criterion, packed, multi)
        end_time = time.time()
        epoch_mins, epoch_secs = epoch_time(start_time, end_time)
        if valid_loss < best_valid_loss:
            best_valid_loss = valid_loss
            torch.save(model.state_dict(), 'tut-model.pt')
        if name == "cnn2d" and epoch == 0:
            assert model.embedding.weight.grad is None
            model.embedding.weight.requires_grad = unfrozen = True
        print(f'{name} Epoch: {epoch+1:02} | Train Loss: {train_loss:.3f} | Train Acc: {train_acc*100:.2f}% | Val. Loss: {valid_loss:.3f} |  Val. Acc: {valid_acc*100:.2f}%')
    model.load_state_dict(torch.load('tut-model.pt'))
    print(model.embedding.weight.data[:2, :4])
    res[name] = train_loss
print("RESULT " + " ".join(f"{k}={v:.4f}" for k, v in res.items()))
'''


# bentrevett/pytorch-seq2seq legacy notebook 4 (bi-GRU encoder on packed padded sequences, additive attention with masked_fill masking, teacher forcing, ``outputs[t] = output``)
SEQ2SEQ_ATTENTION = r'''
import random, math, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

seed = 1234
random.seed(seed)
np.random.seed(seed)
torch.manual_seed(seed)
torch.cuda.manual_seed(seed)
torch.backends.cudnn.deterministic = True
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
V = 20; pad_index = 1; sos = 2; eos = 3
rs = np.random.RandomState(0)
def pairs(n):
    out = []
    for _ in range(n):
        L = rs.randint(3, 8); s = rs.randint(4, V, L)
        out.append(([sos] + s.tolist() + [eos], [sos] + s[::-1].tolist() + [eos]))
    return out
train_pairs, valid_pairs = pairs(64), pairs(16)

class B: pass
def batches(ps, bs):
    out = []
    for k in range(0, len(ps), bs):
        chunk = sorted(ps[k:k+bs], key=lambda p: -len(p[0]))
        sl = [len(a) for a, _ in chunk]; tl = max(len(b) for _, b in chunk)
        src = torch.full((max(sl), len(chunk)), pad_index, dtype=torch.long)
        trg = torch.full((tl, len(chunk)), pad_index, dtype=torch.long)
        for j, (a, b) in enumerate(chunk):
            src[:len(a), j] = torch.LongTensor(a); trg[:len(b), j] = torch.LongTensor(b)
        bb = B(); bb.src = (src, torch.LongTensor(sl)); bb.trg = trg; out.append(bb)
    return out
class Encoder(nn.Module):
    def __init__(self, input_dim, emb_dim, enc_hid_dim, dec_hid_dim, dropout):
        super().__init__()

        self.embedding = nn.Embedding(input_dim, emb_dim)

        self.rnn = nn.GRU(emb_dim, enc_hid_dim, bidirectional = True)

        self.fc = nn.Linear(enc_hid_dim * 2, dec_hid_dim)

        self.dropout = nn.Dropout(dropout)

    def forward(self, src, src_len):

        embedded = self.dropout(self.embedding(src))

        packed_embedded = nn.utils.rnn.pack_padded_sequence(embedded, src_len.to('cpu'))

        packed_outputs, hidden = self.rnn(packed_embedded)

        outputs, _ = nn.utils.rnn.pad_packed_sequence(packed_outputs)

        hidden = torch.tanh(self.fc(torch.cat((hidden[-2,:,:], hidden[-1,:,:]), dim = 1)))

        return outputs, hidden

class Attention(nn.Module):
    def __init__(self, enc_hid_dim, dec_hid_dim):
        super().__init__()

        self.attn = nn.Linear((enc_hid_dim * 2) + dec_hid_dim, dec_hid_dim)
        self.v = nn.Linear(dec_hid_dim, 1, bias = False)

    def forward(self, hidden, encoder_outputs, mask):

        batch_size = encoder_outputs.shape[1]
        src_len = encoder_outputs.shape[0]

        hidden = hidden.unsqueeze(1).repeat(1, src_len, 1)

        encoder_outputs = encoder_outputs.permute(1, 0, 2)

        energy = torch.tanh(self.attn(torch.cat((hidden, encoder_outputs), dim = 2)))

        attention = self.v(energy).squeeze(2)

        attention = attention.masked_fill(mask == 0, -1e10)

        return F.softmax(attention, dim = 1)

class Decoder(nn.Module):
    def __init__(self, output_dim, emb_dim, enc_hid_dim, dec_hid_dim, dropout, attention):
        super().__init__()

        self.output_dim = output_dim
        self.attention = attention

        self.embedding = nn.Embedding(output_dim, emb_dim)

        self.rnn = nn.GRU((enc_hid_dim * 2) + emb_dim, dec_hid_dim)

        self.fc_out = nn.Linear((enc_hid_dim * 2) + dec_hid_dim + emb_dim, output_dim)

        self.dropout = nn.Dropout(dropout)

    def forward(self, input, hidden, encoder_outputs, mask):

        input = input.unsqueeze(0)

        embedded = self.dropout(self.embedding(input))

        a = self.attention(hidden, encoder_outputs, mask)

        a = a.unsqueeze(1)

        encoder_outputs = encoder_outputs.permute(1, 0, 2)

        weighted = torch.bmm(a, encoder_outputs)

        weighted = weighted.permute(1, 0, 2)

        rnn_input = torch.cat((embedded, weighted), dim = 2)

        output, hidden = self.rnn(rnn_input, hidden.unsqueeze(0))

        assert (output == hidden).all()

        embedded = embedded.squeeze(0)
        output = output.squeeze(0)
        weighted = weighted.squeeze(0)

        prediction = self.fc_out(torch.cat((output, weighted, embedded), dim = 1))

        return prediction, hidden.squeeze(0), a.squeeze(1)

class Seq2Seq(nn.Module):
    def __init__(self, encoder, decoder, src_pad_idx, device):
        super().__init__()

        self.encoder = encoder
        self.decoder = decoder
        self.src_pad_idx = src_pad_idx
        self.device = device

    def create_mask(self, src):
        mask = (src != self.src_pad_idx).permute(1, 0)
        return mask

    def forward(self, src, src_len, trg, teacher_forcing_ratio = 0.5):

        batch_size = src.shape[1]
        trg_len = trg.shape[0]
        trg_vocab_size = self.decoder.output_dim

        outputs = torch.zeros(trg_len, batch_size, trg_vocab_size).to(self.device)

        encoder_outputs, hidden = self.encoder(src, src_len)

        input = trg[0,:]

        mask = self.create_mask(src)

        for t in range(1, trg_len):

            output, hidden, _ = self.decoder(input, hidden, encoder_outputs, mask)

            outputs[t] = output

            teacher_force = random.random() < teacher_forcing_ratio

            top1 = output.argmax(1)

            input = trg[t] if teacher_force else top1

        return outputs

def init_weights(m):
    for name, param in m.named_parameters():
        if 'weight' in name:
            nn.init.normal_(param.data, mean=0, std=0.01)
        else:
            nn.init.constant_(param.data, 0)

def count_parameters(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)

def train(model, iterator, optimizer, criterion, clip):

    model.train()

    epoch_loss = 0

    for i, batch in enumerate(iterator):

        src, src_len = batch.src
        trg = batch.trg

        optimizer.zero_grad()

        output = model(src, src_len, trg)

        output_dim = output.shape[-1]

        output = output[1:].view(-1, output_dim)
        trg = trg[1:].view(-1)

        loss = criterion(output, trg)

        loss.backward()

        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)

        optimizer.step()

        epoch_loss += loss.item()

    return epoch_loss / len(iterator)

def evaluate(model, iterator, criterion):

    model.eval()

    epoch_loss = 0

    with torch.no_grad():

        for i, batch in enumerate(iterator):

            src, src_len = batch.src
            trg = batch.trg

            output = model(src, src_len, trg, 0) #turn off teacher forcing

            output_dim = output.shape[-1]

            output = output[1:].view(-1, output_dim)
            trg = trg[1:].view(-1)

            loss = criterion(output, trg)

            epoch_loss += loss.item()

    return epoch_loss / len(iterator)

def epoch_time(start_time, end_time):
    elapsed_time = end_time - start_time
    elapsed_mins = int(elapsed_time / 60)
    elapsed_secs = int(elapsed_time - (elapsed_mins * 60))
    return elapsed_mins, elapsed_secs

attn = Attention(12, 16)
enc = Encoder(V, 16, 12, 16, 0.5)
dec = Decoder(V, 16, 12, 16, 0.5, attn)
model = Seq2Seq(enc, dec, pad_index, device).to(device)
model.apply(init_weights)

print(f'The model has {count_parameters(model):,} trainable parameters')
optimizer = optim.Adam(model.parameters(), lr=5e-3)
criterion = nn.CrossEntropyLoss(ignore_index = pad_index)
train_iterator, valid_iterator = batches(train_pairs, 16), batches(valid_pairs, 16)
CLIP = 1
best_valid_loss = float('inf')
for epoch in range(4):
    start_time = time.time()
    train_loss = train(model, train_iterator, optimizer, criterion, CLIP)
    first = train_loss if epoch == 0 else first
    valid_loss = evaluate(model, valid_iterator, criterion)
    end_time = time.time()
    epoch_mins, epoch_secs = epoch_time(start_time, end_time)
    if valid_loss < best_valid_loss:
        best_valid_loss = valid_loss
        torch.save(model.state_dict(), 'tut-model.pt')
    print(f'Epoch: {epoch+1:02} | Time: {epoch_mins}m {epoch_secs}s')
    print(f'\tTrain Loss: {train_loss:.3f} | Train PPL: {math.exp(train_loss):7.3f}')
    print(f'\t Val. Loss: {valid_loss:.3f} |  Val. PPL: {math.exp(valid_loss):7.3f}')
model.load_state_dict(torch.load('tut-model.pt'))
print("RESULT first=%.4f train=%.4f valid=%.4f" % (first, train_loss, valid_loss))
'''


# bentrevett/pytorch-seq2seq legacy notebook 6 (Attention is All You Need, hand-written multi-head attention with masks)
SEQ2SEQ_TRANSFORMER = r'''
import random, math, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

seed = 1234
random.seed(seed)
np.random.seed(seed)
torch.manual_seed(seed)
torch.cuda.manual_seed(seed)
torch.backends.cudnn.deterministic = True
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
V = 20; pad_index = 1; sos = 2; eos = 3
rs = np.random.RandomState(0)
def pairs(n):
    out = []
    for _ in range(n):
        L = rs.randint(3, 8); s = rs.randint(4, V, L)
        out.append(([sos] + s.tolist() + [eos], [sos] + s[::-1].tolist() + [eos]))
    return out
train_pairs, valid_pairs = pairs(64), pairs(16)

class B: pass
def batches(ps, bs):
    out = []
    for k in range(0, len(ps), bs):
        chunk = ps[k:k+bs]
        sl = max(len(a) for a, _ in chunk); tl = max(len(b) for _, b in chunk)
        src = torch.ones(len(chunk), sl, dtype=torch.long) * pad_index
        trg = torch.ones(len(chunk), tl, dtype=torch.long) * pad_index
        for j, (a, b) in enumerate(chunk):
            src[j, :len(a)] = torch.tensor(a); trg[j, :len(b)] = torch.tensor(b)
        bb = B(); bb.src = src; bb.trg = trg; out.append(bb)
    return out
class Encoder(nn.Module):
    def __init__(self,
                 input_dim,
                 hid_dim,
                 n_layers,
                 n_heads,
                 pf_dim,
                 dropout,
                 device,
                 max_length = 100):
        super().__init__()

        self.device = device

        self.tok_embedding = nn.Embedding(input_dim, hid_dim)
        self.pos_embedding = nn.Embedding(max_length, hid_dim)

        self.layers = nn.ModuleList([EncoderLayer(hid_dim,
                                                  n_heads,
                                                  pf_dim,
                                                  dropout,
                                                  device)
                                     for _ in range(n_layers)])

        self.dropout = nn.Dropout(dropout)

        self.scale = torch.sqrt(torch.FloatTensor([hid_dim])).to(device)

    def forward(self, src, src_mask):

        batch_size = src.shape[0]
        src_len = src.shape[1]

        pos = torch.arange(0, src_len).unsqueeze(0).repeat(batch_size, 1).to(self.device)

        src = self.dropout((self.tok_embedding(src) * self.scale) + self.pos_embedding(pos))

        for layer in self.layers:
            src = layer(src, src_mask)

        return src

class EncoderLayer(nn.Module):
    def __init__(self,
                 hid_dim,
                 n_heads,
                 pf_dim,
                 dropout,
                 device):
        super().__init__()

        self.self_attn_layer_norm = nn.LayerNorm(hid_dim)
        self.ff_layer_norm = nn.LayerNorm(hid_dim)
        self.self_attention = MultiHeadAttentionLayer(hid_dim, n_heads, dropout, device)
        self.positionwise_feedforward = PositionwiseFeedforwardLayer(hid_dim,
                                                                     pf_dim,
                                                                     dropout)
        self.dropout = nn.Dropout(dropout)

    def forward(self, src, src_mask):

        _src, _ = self.self_attention(src, src, src, src_mask)

        src = self.self_attn_layer_norm(src + self.dropout(_src))

        _src = self.positionwise_feedforward(src)

        src = self.ff_layer_norm(src + self.dropout(_src))

        return src

class MultiHeadAttentionLayer(nn.Module):
    def __init__(self, hid_dim, n_heads, dropout, device):
        super().__init__()

        assert hid_dim % n_heads == 0

        self.hid_dim = hid_dim
        self.n_heads = n_heads
        self.head_dim = hid_dim // n_heads

        self.fc_q = nn.Linear(hid_dim, hid_dim)
        self.fc_k = nn.Linear(hid_dim, hid_dim)
        self.fc_v = nn.Linear(hid_dim, hid_dim)

        self.fc_o = nn.Linear(hid_dim, hid_dim)

        self.dropout = nn.Dropout(dropout)

        self.scale = torch.sqrt(torch.FloatTensor([self.head_dim])).to(device)

    def forward(self, query, key, value, mask = None):

        batch_size = query.shape[0]

        Q = self.fc_q(query)
        K = self.fc_k(key)
        V = self.fc_v(value)

        Q = Q.view(batch_size, -1, self.n_heads, self.head_dim).permute(0, 2, 1, 3)
        K = K.view(batch_size, -1, self.n_heads, self.head_dim).permute(0, 2, 1, 3)
        V = V.view(batch_size, -1, self.n_heads, self.head_dim).permute(0, 2, 1, 3)

        energy = torch.matmul(Q, K.permute(0, 1, 3, 2)) / self.scale

        if mask is not None:
            energy = energy.masked_fill(mask == 0, -1e10)

        attention = torch.softmax(energy, dim = -1)

        x = torch.matmul(self.dropout(attention), V)

        x = x.permute(0, 2, 1, 3).contiguous()

        x = x.view(batch_size, -1, self.hid_dim)

        x = self.fc_o(x)

        return x, attention

class PositionwiseFeedforwardLayer(nn.Module):
    def __init__(self, hid_dim, pf_dim, dropout):
        super().__init__()

        self.fc_1 = nn.Linear(hid_dim, pf_dim)
        self.fc_2 = nn.Linear(pf_dim, hid_dim)

        self.dropout = nn.Dropout(dropout)

    def forward(self, x):

        x = self.dropout(torch.relu(self.fc_1(x)))

        x = self.fc_2(x)

        return x

class Decoder(nn.Module):
    def __init__(self,
                 output_dim,
                 hid_dim,
                 n_layers,
                 n_heads,
                 pf_dim,
                 dropout,
                 device,
                 max_length = 100):
        super().__init__()

        self.device = device

        self.tok_embedding = nn.Embedding(output_dim, hid_dim)
        self.pos_embedding = nn.Embedding(max_length, hid_dim)

        self.layers = nn.ModuleList([DecoderLayer(hid_dim,
                                                  n_heads,
                                                  pf_dim,
                                                  dropout,
                                                  device)
                                     for _ in range(n_layers)])

        self.fc_out = nn.Linear(hid_dim, output_dim)

        self.dropout = nn.Dropout(dropout)

        self.scale = torch.sqrt(torch.FloatTensor([hid_dim])).to(device)

    def forward(self, trg, enc_src, trg_mask, src_mask):

        batch_size = trg.shape[0]
        trg_len = trg.shape[1]

        pos = torch.arange(0, trg_len).unsqueeze(0).repeat(batch_size, 1).to(self.device)

        trg = self.dropout((self.tok_embedding(trg) * self.scale) + self.pos_embedding(pos))

        for layer in self.layers:
            trg, attention = layer(trg, enc_src, trg_mask, src_mask)

        output = self.fc_out(trg)

        return output, attention

class DecoderLayer(nn.Module):
    def __init__(self,
                 hid_dim,
                 n_heads,
                 pf_dim,
                 dropout,
                 device):
        super().__init__()

        self.self_attn_layer_norm = nn.LayerNorm(hid_dim)
        self.enc_attn_layer_norm = nn.LayerNorm(hid_dim)
        self.ff_layer_norm = nn.LayerNorm(hid_dim)
        self.self_attention = MultiHeadAttentionLayer(hid_dim, n_heads, dropout, device)
        self.encoder_attention = MultiHeadAttentionLayer(hid_dim, n_heads, dropout, device)
        self.positionwise_feedforward = PositionwiseFeedforwardLayer(hid_dim,
                                                                     pf_dim,
                                                                     dropout)
        self.dropout = nn.Dropout(dropout)

    def forward(self, trg, enc_src, trg_mask, src_mask):

        _trg, _ = self.self_attention(trg, trg, trg, trg_mask)

        trg = self.self_attn_layer_norm(trg + self.dropout(_trg))

        _trg, attention = self.encoder_attention(trg, enc_src, enc_src, src_mask)

        trg = self.enc_attn_layer_norm(trg + self.dropout(_trg))

        _trg = self.positionwise_feedforward(trg)

        trg = self.ff_layer_norm(trg + self.dropout(_trg))

        return trg, attention

class Seq2Seq(nn.Module):
    def __init__(self,
                 encoder,
                 decoder,
                 src_pad_idx,
                 trg_pad_idx,
                 device):
        super().__init__()

        self.encoder = encoder
        self.decoder = decoder
        self.src_pad_idx = src_pad_idx
        self.trg_pad_idx = trg_pad_idx
        self.device = device

    def make_src_mask(self, src):

        src_mask = (src != self.src_pad_idx).unsqueeze(1).unsqueeze(2)

        return src_mask

    def make_trg_mask(self, trg):

        trg_pad_mask = (trg != self.trg_pad_idx).unsqueeze(1).unsqueeze(2)

        trg_len = trg.shape[1]

        trg_sub_mask = torch.tril(torch.ones((trg_len, trg_len), device = self.device)).bool()

        trg_mask = trg_pad_mask & trg_sub_mask

        return trg_mask

    def forward(self, src, trg):

        src_mask = self.make_src_mask(src)
        trg_mask = self.make_trg_mask(trg)

        enc_src = self.encoder(src, src_mask)

        output, attention = self.decoder(trg, enc_src, trg_mask, src_mask)

        return output, attention

def count_parameters(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)

def initialize_weights(m):
    if hasattr(m, 'weight') and m.weight.dim() > 1:
        nn.init.xavier_uniform_(m.weight.data)

def train(model, iterator, optimizer, criterion, clip):

    model.train()

    epoch_loss = 0

    for i, batch in enumerate(iterator):

        src = batch.src
        trg = batch.trg

        optimizer.zero_grad()

        output, _ = model(src, trg[:,:-1])

        output_dim = output.shape[-1]

        output = output.contiguous().view(-1, output_dim)
        trg = trg[:,1:].contiguous().view(-1)

        loss = criterion(output, trg)

        loss.backward()

        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)

        optimizer.step()

        epoch_loss += loss.item()

    return epoch_loss / len(iterator)

def evaluate(model, iterator, criterion):

    model.eval()

    epoch_loss = 0

    with torch.no_grad():

        for i, batch in enumerate(iterator):

            src = batch.src
            trg = batch.trg

            output, _ = model(src, trg[:,:-1])

            output_dim = output.shape[-1]

            output = output.contiguous().view(-1, output_dim)
            trg = trg[:,1:].contiguous().view(-1)

            loss = criterion(output, trg)

            epoch_loss += loss.item()

    return epoch_loss / len(iterator)

def epoch_time(start_time, end_time):
    elapsed_time = end_time - start_time
    elapsed_mins = int(elapsed_time / 60)
    elapsed_secs = int(elapsed_time - (elapsed_mins * 60))
    return elapsed_mins, elapsed_secs

enc = Encoder(V, 16, 2, 4, 32, 0.1, device)
dec = Decoder(V, 16, 2, 4, 32, 0.1, device)
model = Seq2Seq(enc, dec, pad_index, pad_index, device).to(device)
model.apply(initialize_weights)

print(f'The model has {count_parameters(model):,} trainable parameters')
optimizer = optim.Adam(model.parameters(), lr=5e-3)
criterion = nn.CrossEntropyLoss(ignore_index = pad_index)
train_iterator, valid_iterator = batches(train_pairs, 16), batches(valid_pairs, 16)
CLIP = 1
best_valid_loss = float('inf')
for epoch in range(4):
    start_time = time.time()
    train_loss = train(model, train_iterator, optimizer, criterion, CLIP)
    first = train_loss if epoch == 0 else first
    valid_loss = evaluate(model, valid_iterator, criterion)
    end_time = time.time()
    epoch_mins, epoch_secs = epoch_time(start_time, end_time)
    if valid_loss < best_valid_loss:
        best_valid_loss = valid_loss
        torch.save(model.state_dict(), 'tut-model.pt')
    print(f'Epoch: {epoch+1:02} | Time: {epoch_mins}m {epoch_secs}s')
    print(f'\tTrain Loss: {train_loss:.3f} | Train PPL: {math.exp(train_loss):7.3f}')
    print(f'\t Val. Loss: {valid_loss:.3f} |  Val. PPL: {math.exp(valid_loss):7.3f}')
model.load_state_dict(torch.load('tut-model.pt'))
print("RESULT first=%.4f train=%.4f valid=%.4f" % (first, train_loss, valid_loss))
'''


# MorvanZhou/PyTorch-Tutorial 301-306, 403, 503, 504 (regression, classification, save/reload, batch
# training, four optimizers, RNN regressor with ``h_state = h_state.data``, dropout, batch norm), with
# ``.data.numpy()`` spelled ``.detach().numpy()`` (see docs/guide/pytorch.md)
MORVAN_TUTORIAL = r'''
import numpy as np
import torch
from torch import nn
from torch.nn import init
import torch.nn.functional as F
import torch.utils.data as Data

torch.manual_seed(1)    # reproducible
np.random.seed(1)
res = {}

# 301_regression
x = torch.unsqueeze(torch.linspace(-1, 1, 100), dim=1)  # x data (tensor), shape=(100, 1)
y = x.pow(2) + 0.2*torch.rand(x.size())                 # noisy y data (tensor), shape=(100, 1)

class Net(torch.nn.Module):
    def __init__(self, n_feature, n_hidden, n_output):
        super(Net, self).__init__()
        self.hidden = torch.nn.Linear(n_feature, n_hidden)   # hidden layer
        self.predict = torch.nn.Linear(n_hidden, n_output)   # output layer

    def forward(self, x):
        x = F.relu(self.hidden(x))      # activation function for hidden layer
        x = self.predict(x)             # linear output
        return x

net = Net(n_feature=1, n_hidden=10, n_output=1)     # define the network
optimizer = torch.optim.SGD(net.parameters(), lr=0.2)
loss_func = torch.nn.MSELoss()  # this is for regression mean squared loss
for t in range(200):
    prediction = net(x)     # input x and predict based on x
    loss = loss_func(prediction, y)     # must be (1. nn output, 2. target)
    optimizer.zero_grad()   # clear gradients for next train
    loss.backward()         # backpropagation, compute gradients
    optimizer.step()        # apply gradients
res["regression"] = loss.item()

# 302_classification
n_data = torch.ones(100, 2)
x0 = torch.normal(2*n_data, 1)      # class0 x data (tensor), shape=(100, 2)
y0 = torch.zeros(100)               # class0 y data (tensor), shape=(100, 1)
x1 = torch.normal(-2*n_data, 1)     # class1 x data (tensor), shape=(100, 2)
y1 = torch.ones(100)                # class1 y data (tensor), shape=(100, 1)
x = torch.cat((x0, x1), 0).type(torch.FloatTensor)  # shape (200, 2) FloatTensor = 32-bit floating
y = torch.cat((y0, y1), ).type(torch.LongTensor)    # shape (200,) LongTensor = 64-bit integer
net = Net(n_feature=2, n_hidden=10, n_output=2)     # define the network
optimizer = torch.optim.SGD(net.parameters(), lr=0.02)
loss_func = torch.nn.CrossEntropyLoss()  # the target label is NOT an one-hotted
for t in range(100):
    out = net(x)                 # input x and predict based on x
    loss = loss_func(out, y)     # must be (1. nn output, 2. target), the target label is NOT one-hotted
    optimizer.zero_grad()   # clear gradients for next train
    loss.backward()         # backpropagation, compute gradients
    optimizer.step()        # apply gradients
prediction = torch.max(out, 1)[1]
pred_y = prediction.detach().numpy()
target_y = y.detach().numpy()
res["cls_acc"] = float((pred_y == target_y).astype(int).sum()) / float(target_y.size)

# 304_save_reload (parameters)
net1 = torch.nn.Sequential(torch.nn.Linear(2, 10), torch.nn.ReLU(), torch.nn.Linear(10, 2))
torch.save(net1.state_dict(), 'net_params.pkl')   # save only the parameters
net3 = torch.nn.Sequential(torch.nn.Linear(2, 10), torch.nn.ReLU(), torch.nn.Linear(10, 2))
net3.load_state_dict(torch.load('net_params.pkl'))
res["reload_same"] = float(torch.equal(net1(x), net3(x)))

# 305_batch_train / 306_optimizer
x = torch.unsqueeze(torch.linspace(-1, 1, 256), dim=1)
y = x.pow(2) + 0.1*torch.normal(torch.zeros(*x.size()))
torch_dataset = Data.TensorDataset(x, y)
loader = Data.DataLoader(dataset=torch_dataset, batch_size=32, shuffle=True, num_workers=0,)
class Net6(torch.nn.Module):
    def __init__(self):
        super(Net6, self).__init__()
        self.hidden = torch.nn.Linear(1, 20)   # hidden layer
        self.predict = torch.nn.Linear(20, 1)   # output layer
    def forward(self, x):
        x = F.relu(self.hidden(x))      # activation function for hidden layer
        x = self.predict(x)             # linear output
        return x
LR = 0.01
net_SGD, net_Momentum, net_RMSprop, net_Adam = Net6(), Net6(), Net6(), Net6()
nets = [net_SGD, net_Momentum, net_RMSprop, net_Adam]
opt_SGD         = torch.optim.SGD(net_SGD.parameters(), lr=LR)
opt_Momentum    = torch.optim.SGD(net_Momentum.parameters(), lr=LR, momentum=0.8)
opt_RMSprop     = torch.optim.RMSprop(net_RMSprop.parameters(), lr=LR, alpha=0.9)
opt_Adam        = torch.optim.Adam(net_Adam.parameters(), lr=LR, betas=(0.9, 0.99))
optimizers = [opt_SGD, opt_Momentum, opt_RMSprop, opt_Adam]
loss_func = torch.nn.MSELoss()
losses_his = [[], [], [], []]   # record loss
for epoch in range(6):
    for step, (b_x, b_y) in enumerate(loader):          # for each training step
        for net, opt, l_his in zip(nets, optimizers, losses_his):
            output = net(b_x)              # get output for every net
            loss = loss_func(output, b_y)  # compute loss for every net
            opt.zero_grad()                # clear gradients for next train
            loss.backward()                # backpropagation, compute gradients
            opt.step()                     # apply gradients
            l_his.append(loss.item())     # loss recoder
for name, l_his in zip(['SGD', 'Momentum', 'RMSprop', 'Adam'], losses_his):
    res["opt_" + name] = float(np.mean(l_his[-8:]))

# 403_RNN_regressor
TIME_STEP = 10      # rnn time step
INPUT_SIZE = 1      # rnn input size
class RNN(nn.Module):
    def __init__(self):
        super(RNN, self).__init__()
        self.rnn = nn.RNN(
            input_size=INPUT_SIZE,
            hidden_size=32,     # rnn hidden unit
            num_layers=1,       # number of rnn layer
            batch_first=True,   # input & output will has batch size as 1s dimension. e.g. (batch, time_step, input_size)
        )
        self.out = nn.Linear(32, 1)
    def forward(self, x, h_state):
        r_out, h_state = self.rnn(x, h_state)
        outs = []    # save all predictions
        for time_step in range(r_out.size(1)):    # calculate output for each time step
            outs.append(self.out(r_out[:, time_step, :]))
        return torch.stack(outs, dim=1), h_state
rnn = RNN()
optimizer = torch.optim.Adam(rnn.parameters(), lr=0.02)   # optimize all cnn parameters
loss_func = nn.MSELoss()
h_state = None      # for initial hidden state
for step in range(60):
    start, end = step * np.pi, (step+1)*np.pi   # time range
    steps = np.linspace(start, end, TIME_STEP, dtype=np.float32, endpoint=False)  # float32 for converting torch FloatTensor
    x_np = np.sin(steps)
    y_np = np.cos(steps)
    x = torch.from_numpy(x_np[np.newaxis, :, np.newaxis])    # shape (batch, time_step, input_size)
    y = torch.from_numpy(y_np[np.newaxis, :, np.newaxis])
    prediction, h_state = rnn(x, h_state)   # rnn output
    h_state = h_state.data        # repack the hidden state, break the connection from last iteration
    loss = loss_func(prediction, y)         # calculate loss
    optimizer.zero_grad()                   # clear gradients for this training step
    loss.backward()                         # backpropagation, compute gradients
    optimizer.step()                        # apply gradients
res["rnn_regressor"] = loss.item()

# 503_dropout
N_SAMPLES = 20
N_HIDDEN = 100
x = torch.unsqueeze(torch.linspace(-1, 1, N_SAMPLES), 1)
y = x + 0.3*torch.normal(torch.zeros(N_SAMPLES, 1), torch.ones(N_SAMPLES, 1))
net_dropped = torch.nn.Sequential(
    torch.nn.Linear(1, N_HIDDEN),
    torch.nn.Dropout(0.5),  # drop 50% of the neuron
    torch.nn.ReLU(),
    torch.nn.Linear(N_HIDDEN, N_HIDDEN),
    torch.nn.Dropout(0.5),  # drop 50% of the neuron
    torch.nn.ReLU(),
    torch.nn.Linear(N_HIDDEN, 1),
)
optimizer_drop = torch.optim.Adam(net_dropped.parameters(), lr=0.01)
loss_func = torch.nn.MSELoss()
for t in range(100):
    pred_drop = net_dropped(x)
    loss_drop = loss_func(pred_drop, y)
    optimizer_drop.zero_grad()
    loss_drop.backward()
    optimizer_drop.step()
net_dropped.eval()  # parameters for dropout differ from train mode
res["dropout_eval"] = loss_func(net_dropped(x), y).item()
res["dropout_det"] = float(torch.equal(net_dropped(x), net_dropped(x)))

# 504_batch_normalization
N_HIDDEN = 8
ACTIVATION = torch.tanh
B_INIT = -0.2   # use a bad bias constant initializer
x = np.linspace(-7, 10, 512)[:, np.newaxis]
noise = np.random.normal(0, 2, x.shape)
y = np.square(x) - 5 + noise
train_x, train_y = torch.from_numpy(x).float(), torch.from_numpy(y).float()
train_loader = Data.DataLoader(dataset=Data.TensorDataset(train_x, train_y), batch_size=64, shuffle=True)
class BNNet(nn.Module):
    def __init__(self, batch_normalization=False):
        super(BNNet, self).__init__()
        self.do_bn = batch_normalization
        self.fcs = []
        self.bns = []
        self.bn_input = nn.BatchNorm1d(1, momentum=0.5)   # for input data
        for i in range(N_HIDDEN):               # build hidden layers and BN layers
            input_size = 1 if i == 0 else 10
            fc = nn.Linear(input_size, 10)
            setattr(self, 'fc%i' % i, fc)       # IMPORTANT set layer to the Module
            self._set_init(fc)                  # parameters initialization
            self.fcs.append(fc)
            if self.do_bn:
                bn = nn.BatchNorm1d(10, momentum=0.5)
                setattr(self, 'bn%i' % i, bn)   # IMPORTANT set layer to the Module
                self.bns.append(bn)
        self.predict = nn.Linear(10, 1)         # output layer
        self._set_init(self.predict)            # parameters initialization
    def _set_init(self, layer):
        init.normal_(layer.weight, mean=0., std=.1)
        init.constant_(layer.bias, B_INIT)
    def forward(self, x):
        pre_activation = [x]
        if self.do_bn: x = self.bn_input(x)     # input batch normalization
        layer_input = [x]
        for i in range(N_HIDDEN):
            x = self.fcs[i](x)
            pre_activation.append(x)
            if self.do_bn: x = self.bns[i](x)   # batch normalization
            x = ACTIVATION(x)
            layer_input.append(x)
        out = self.predict(x)
        return out, layer_input, pre_activation
nets = [BNNet(batch_normalization=False), BNNet(batch_normalization=True)]
opts = [torch.optim.Adam(net.parameters(), lr=0.03) for net in nets]
loss_func = torch.nn.MSELoss()
for epoch in range(4):
    for step, (b_x, b_y) in enumerate(train_loader):
        for net, opt in zip(nets, opts):     # train for each network
            pred, _, _ = net(b_x)
            loss = loss_func(pred, b_y)
            opt.zero_grad()
            loss.backward()
            opt.step()    # it will also learns the parameters in Batch Normalization
for name, net in zip(["plain", "bn"], nets):
    net.eval()
    res["bn_" + name] = loss_func(net(train_x)[0], train_y).item()
    res["params_" + name] = float(len(list(net.parameters())))
print("RESULT " + " ".join(f"{k}={v:.5f}" for k, v in res.items()))
'''


# d2l.ai PyTorch chapters' code: the die-rolling Multinomial, softmax regression from scratch (``sum(1, keepdims=True)``, ``argmax(axis=1)``, d2l's ``reduce_sum(x, axis=0)``), RNN from scratch with gradient clipping, lazy MLP saved and reloaded without a dry run
D2L_IDIOMS = r'''
import math
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.distributions.multinomial import Multinomial

torch.manual_seed(0)
reduce_sum = lambda x, *args, **kwargs: x.sum(*args, **kwargs)  # d2l's aliases
argmax = lambda x, *args, **kwargs: x.argmax(*args, **kwargs)
astype = lambda x, *args, **kwargs: x.type(*args, **kwargs)
res = {}

# probability: rolling a die
fair_probs = torch.ones(6) / 6
counts = Multinomial(1000, fair_probs).sample()
res["die_err"] = (counts / 1000 - fair_probs).abs().max().item()
counts = Multinomial(1, fair_probs).sample((200,))
cum_counts = counts.cumsum(dim=0)
estimates = cum_counts / cum_counts.sum(dim=1, keepdims=True)
res["die_est"] = estimates[-1].sum().item()

# softmax regression from scratch
def softmax(X):
    X_exp = torch.exp(X)
    partition = X_exp.sum(1, keepdims=True)
    return X_exp / partition  # The broadcasting mechanism is applied here

def cross_entropy(y_hat, y):
    return -torch.log(y_hat[list(range(len(y_hat))), y]).mean()

def accuracy(Y_hat, Y, averaged=True):
    Y_hat = Y_hat.reshape((-1, Y_hat.shape[-1]))
    preds = astype(argmax(Y_hat, axis=1), Y.dtype)
    compare = astype(preds == Y.reshape(-1), torch.float32)
    return compare.mean() if averaged else compare

num_inputs, num_outputs, sigma, lr = 16, 4, 0.01, 0.5
W = torch.normal(0, sigma, size=(num_inputs, num_outputs), requires_grad=True)
b = torch.zeros(num_outputs, requires_grad=True)
rs = np.random.RandomState(0)
yn = rs.randint(0, 4, 256)
Xn = rs.randn(256, 16).astype(np.float32) * 0.3
Xn[np.arange(256), yn * 4] += 2.0
X, y = torch.tensor(Xn), torch.tensor(yn)
for epoch in range(30):
    for i in range(0, 256, 64):
        Xb, yb = X[i:i + 64], y[i:i + 64]
        l = cross_entropy(softmax(torch.matmul(Xb.reshape((-1, W.shape[0])), W) + b), yb)
        l.backward()
        with torch.no_grad():
            for param in (W, b):
                param -= lr * param.grad
                param.grad.zero_()
res["softmax_loss"] = l.item()
res["softmax_acc"] = accuracy(softmax(X @ W + b), y).item()
res["acc_sum"] = reduce_sum(accuracy(softmax(X @ W + b), y, averaged=False), axis=0).item()

# RNN from scratch (d2l's RNNScratch + RNNLMScratch one_hot/output layer)
num_hiddens, vocab_size = 16, 8
W_xh = nn.Parameter(torch.randn(vocab_size, num_hiddens) * 0.01)
W_hh = nn.Parameter(torch.randn(num_hiddens, num_hiddens) * 0.01)
b_h = nn.Parameter(torch.zeros(num_hiddens))
W_hq = nn.Parameter(torch.randn(num_hiddens, vocab_size) * 0.01)
b_q = nn.Parameter(torch.zeros(vocab_size))
params = [W_xh, W_hh, b_h, W_hq, b_q]
def rnn_forward(inputs, state=None):
    if state is None:
        state = torch.zeros((inputs.shape[1], num_hiddens), device=inputs.device)
    else:
        state, = state
    outputs = []
    for X in inputs:  # Shape of inputs: (num_steps, batch_size, num_inputs)
        state = torch.tanh(torch.matmul(X, W_xh) + torch.matmul(state, W_hh) + b_h)
        outputs.append(state)
    return outputs, state
def one_hot(X):
    return F.one_hot(X.T, vocab_size).type(torch.float32)
def output_layer(rnn_outputs):
    outputs = [torch.matmul(H, W_hq) + b_q for H in rnn_outputs]
    return torch.stack(outputs, 1)
def clip_gradients(grad_clip_val):
    norm = torch.sqrt(sum(torch.sum((p.grad ** 2)) for p in params))
    if norm > grad_clip_val:
        for param in params:
            param.grad[:] *= grad_clip_val / norm
corpus = torch.tensor([i % vocab_size for i in range(400)])
opt = torch.optim.SGD(params, lr=1.0)
for step in range(60):
    i = (step * 7) % 360
    Xs = torch.stack([corpus[i + j:i + j + 10] for j in range(0, 32, 4)])
    Ys = torch.stack([corpus[i + j + 1:i + j + 11] for j in range(0, 32, 4)])
    rnn_outputs, _ = rnn_forward(one_hot(Xs))
    Y_hat = output_layer(rnn_outputs)
    l = F.cross_entropy(Y_hat.reshape((-1, Y_hat.shape[-1])), Ys.reshape((-1,)))
    opt.zero_grad()
    l.backward()
    clip_gradients(1)
    opt.step()
res["rnn_ppl"] = math.exp(l.item())

# builders' guide: lazy layers, parameter access, save/load without a dry run
class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.LazyLinear(32)
        self.output = nn.LazyLinear(4)
    def forward(self, x):
        return self.output(F.relu(self.hidden(x)))
net = MLP()
Y = net(X)
torch.save(net.state_dict(), 'mlp.params')
clone = MLP()
clone.load_state_dict(torch.load('mlp.params'))
clone.eval()
res["clone_same"] = float((clone(X) == Y).all())
res["n_params"] = float(sum(p.numel() for p in clone.parameters()))
def init_normal(module):
    if type(module) == nn.Linear:
        nn.init.normal_(module.weight, mean=0, std=0.01)
        nn.init.zeros_(module.bias)
clone.apply(init_normal)
res["bias0"] = clone.hidden.bias.data[0].item()
print("RESULT " + " ".join(f"{k}={v:.5f}" for k, v in res.items()))
'''


def test_sentiment_analysis(torch, tmp_path):
    ours, ref = both(SENTIMENT, tmp_path)
    for r in (ours, ref):
        for name in ("nbow", "lstm"):
            assert r[name] < r[name + "_first"]  # learning
            assert r[name] < 0.69
        assert r["cnn"] < 2.0
    for name in ("nbow", "lstm"):
        assert abs(ours[name] - ref[name]) < 0.1


def test_sentiment_analysis_legacy(torch, tmp_path):
    ours, ref = both(SENTIMENT_LEGACY, tmp_path)
    for r in (ours, ref):
        assert all(r[k] < 0.8 for k in ("rnn", "packed", "fasttext", "cnn2d", "cnn1d")) and r["multi"] < 2.0
    for k in ("rnn", "packed", "fasttext", "cnn2d", "cnn1d", "multi"):
        assert abs(ours[k] - ref[k]) < 0.15


@pytest.mark.parametrize("name", ["SEQ2SEQ_ATTENTION", "SEQ2SEQ_TRANSFORMER"])
def test_seq2seq(torch, tmp_path, name):
    ours, ref = both(globals()[name], tmp_path)
    for r in (ours, ref):
        assert r["train"] < r["first"] and r["valid"] < 3.0  # log(20) = 3.0 is chance
    assert abs(ours["train"] - ref["train"]) < 0.25


def test_morvan_tutorial(torch, tmp_path):
    ours, ref = both(MORVAN_TUTORIAL, tmp_path)
    for r in (ours, ref):
        assert r["regression"] < 0.02 and r["cls_acc"] > 0.95 and r["reload_same"] == 1.0
        assert r["opt_Adam"] < 0.05 and r["opt_RMSprop"] < 0.06 and r["rnn_regressor"] < 0.1
        assert r["dropout_det"] == 1.0 and r["dropout_eval"] < 0.3
        assert r["params_plain"] == 20 and r["params_bn"] == 36
    assert abs(ours["bn_bn"] - ref["bn_bn"]) < 0.2 * ref["bn_bn"]


def test_d2l_idioms(torch, tmp_path):
    ours, ref = both(D2L_IDIOMS, tmp_path)
    for r in (ours, ref):
        assert r["die_err"] < 0.06 and r["die_est"] == pytest.approx(1.0)
        assert r["softmax_acc"] > 0.95 and r["acc_sum"] > 240 and r["softmax_loss"] < 0.2
        assert r["rnn_ppl"] < 2.0 and r["clone_same"] == 1.0 and r["n_params"] == 676 and r["bias0"] == 0.0
