"""The ``nnengine`` command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Dict, List, Optional, Tuple

import numpy as np


def _info(args: argparse.Namespace) -> int:
    import nnengine as ne

    print(f"nnengine {ne.__version__}")
    print(f"isa: {ne.backend.isa()}")
    print(f"available isas: {', '.join(ne.backend.available_isas())}")
    print(f"threads: {ne.get_num_threads()}")
    for k, v in ne.backend.build_info().items():
        print(f"build {k}: {v}")
    return 0


# ----------------------------------------------------------------------------- train / evaluate / predict
_DEFAULT_EPOCHS = {"fashion_mnist": 2, "mnist_5k": 8, "digits": 25, "iris": 100, "breast_cancer": 40}
_OPTIMIZERS = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "adagrad": "Adagrad"}


def _build_net(name: str, split, say) -> Tuple[Any, str]:
    """The network for ``--model`` (LeNet-5 falls back to an MLP when it is not available)."""
    import inspect

    from . import models

    in_shape = split.image_shape or (split.x_train.shape[1],)
    n_in = int(np.prod(in_shape))
    if name == "lenet5":
        lenet = getattr(models, "LeNet5", None)
        if lenet is None or split.image_shape is None or split.image_shape[1] < 28:
            why = "not available in this build" if lenet is None else "made for 28x28 images"
            say(f"note: LeNet-5 is {why}; using an MLP instead")
            name = "mlp"
        else:
            params = inspect.signature(lenet.__init__).parameters
            kw = {k: v for k, v in (("num_classes", split.num_classes), ("in_channels", in_shape[0]))
                  if k in params}
            return lenet(**kw), "lenet5"
    if name == "mlp":
        return models.MLP([n_in, 128, 64, split.num_classes]), "mlp"
    if name in ("logreg", "logistic_regression"):
        return models.LogisticRegression(n_in, split.num_classes), "logreg"
    raise SystemExit(f"nnengine: --model: unknown model {name!r} (expected lenet5, mlp or logreg)")


def _optimizer(name: str, params, lr: Optional[float]):
    from . import optim

    cls = getattr(optim, _OPTIMIZERS.get(name, ""), None)
    if cls is None:
        avail = [k for k, v in _OPTIMIZERS.items() if hasattr(optim, v)]
        raise SystemExit(f"nnengine: --optimizer: {name!r} is not available (available: {', '.join(avail)})")
    if name == "sgd":
        return cls(params, lr=lr or 0.05, momentum=0.9)
    return cls(params, lr=lr or 1e-3)


def _train(args: argparse.Namespace) -> int:
    import nnengine as ne

    from .data import DatasetNotFoundError, load_dataset
    from .preprocessing import StandardScaler
    from .train import evaluate, fit

    if args.threads:
        ne.set_num_threads(args.threads)
    ne.manual_seed(args.seed)
    dataset, model_name = args.dataset, args.model
    try:
        split = load_dataset(dataset or "fashion_mnist", limit=args.limit)
        dataset = dataset or "fashion_mnist"
    except DatasetNotFoundError as e:
        if dataset is not None:
            raise SystemExit(f"nnengine: {e}") from None
        print(f"note: {e}\nnote: falling back to scikit-learn's digits with an MLP", flush=True)
        dataset, model_name = "digits", ("mlp" if model_name == "lenet5" else model_name)
        split = load_dataset(dataset, limit=args.limit)
    net, model_name = _build_net(model_name, split, lambda m: print(m, flush=True))
    # the scaler is the model's first stage, so the saved model takes raw inputs
    scaler = StandardScaler(per_channel=split.image_shape is not None).fit(split.x_train)
    model = ne.nn.Sequential(scaler, net)
    # hold out 10% of the training set for validation (seeded)
    order = np.random.default_rng(args.seed).permutation(len(split.y_train))
    n_val = max(1, len(order) // 10)
    val, tr = order[:n_val], order[n_val:]
    epochs = args.epochs or _DEFAULT_EPOCHS.get(dataset, 5)
    opt = _optimizer(args.optimizer or ("adam" if hasattr(ne.optim, "Adam") else "sgd"), model.parameters(), args.lr)
    print(f"training {model_name} on {dataset}: {len(tr)} train / {n_val} validation / {len(split.y_test)} test "
          f"samples, {epochs} epochs, {type(opt).__name__}, {ne.get_num_threads()} threads", flush=True)
    hist = fit(model, ne.nn.CrossEntropyLoss(), opt, (split.x_train[tr], split.y_train[tr]),
               validation=(split.x_train[val], split.y_train[val]), epochs=epochs, batch_size=args.batch_size,
               verbose=1 if sys.stdout.isatty() else 2)
    res = evaluate(model, ne.nn.CrossEntropyLoss(), (split.x_test, split.y_test))
    out = args.output
    ne.io.save_model(model, out, metadata={
        "dataset": dataset, "limit": "" if args.limit is None else str(args.limit),
        "input_shape": json.dumps(list(split.image_shape or split.x_train.shape[1:])),
        "test_accuracy": repr(res["accuracy"]), "model": model_name})
    print(f"saved model: {out}")
    plot = args.plot if args.plot is not None else os.path.splitext(out)[0] + ".png"
    if plot:
        try:
            hist.plot(plot, title=f"{model_name} on {dataset}")
            print(f"saved plot: {plot}")
        except ImportError as e:
            print(f"note: no plot ({e})")
    print(f"test accuracy: {res['accuracy']:.4f} (loss {res['loss']:.4f}, {len(split.y_test)} samples)")
    return 0


def _load(path: str):
    import nnengine as ne

    try:
        return ne.io.load_model(path), ne.io.read_metadata(path)
    except (OSError, ValueError) as e:
        raise SystemExit(f"nnengine: cannot load {path}: {e}") from None


def _evaluate(args: argparse.Namespace) -> int:
    import nnengine as ne

    from .data import load_dataset

    model, meta = _load(args.model)
    dataset = args.dataset or meta.get("dataset")
    if not dataset:
        raise SystemExit("nnengine: the model does not record its dataset; pass --dataset")
    limit = args.limit if args.limit is not None else (int(meta["limit"]) if meta.get("limit") else None)
    split = load_dataset(dataset, limit=limit)
    res = ne.train.evaluate(model, ne.nn.CrossEntropyLoss(), (split.x_test, split.y_test))
    print(f"test accuracy: {res['accuracy']:.4f} (loss {res['loss']:.4f}, {len(split.y_test)} samples)")
    return 0


def _predict(args: argparse.Namespace) -> int:
    import nnengine as ne

    model, meta = _load(args.model)
    try:
        x = np.load(args.input, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise SystemExit(f"nnengine: cannot read {args.input}: {e}") from None
    if x.dtype.kind not in "fiub":
        raise SystemExit(f"nnengine: {args.input}: expected a numeric array, got dtype {x.dtype}")
    shape = tuple(json.loads(meta.get("input_shape", "[]")))
    if shape and x.size % int(np.prod(shape)) == 0 and x.shape[1:] != shape:
        x = x.reshape((-1,) + shape)  # e.g. (N, 784) or (N, 28, 28) for (1, 28, 28) images
    if x.dtype == np.uint8 and meta.get("dataset") in ("fashion_mnist", "mnist_5k"):
        x = x.astype(np.float32) / 255  # raw pixels as the training data was scaled
    pred = ne.train.predict(model, x.astype(np.float32)).argmax(-1)
    if args.output:
        np.save(args.output, pred)
        print(f"saved {len(pred)} predictions: {args.output}")
    print(" ".join(str(int(p)) for p in pred[:50]) + (" ..." if len(pred) > 50 else ""))
    return 0


def _bench(args: argparse.Namespace) -> int:
    import glob
    import subprocess

    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    scripts = sorted(glob.glob(os.path.join(here, "bench", "bench_*.py")))
    if scripts and not args.builtin:
        rc = 0
        for s in scripts:
            print(f"== {os.path.basename(s)} --quick", flush=True)
            rc |= subprocess.call([sys.executable, s, "--quick"])
        return rc
    return _builtin_bench(args.rounds)


def _builtin_bench(rounds: int) -> int:
    """Median time of one MLP training step (784-256-10, batch 128), nnengine vs torch when installed."""
    import time

    import nnengine as ne

    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 784)).astype(np.float32)
    y = rng.integers(0, 10, 128)
    ne.manual_seed(0)
    model = ne.models.MLP([784, 256, 10])
    opt = ne.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = ne.nn.CrossEntropyLoss()
    xt, yt = ne.Tensor(x), ne.Tensor(y, dtype=np.int64)

    def ne_step():
        opt.zero_grad()
        loss_fn(model(xt), yt).backward()
        opt.step()

    steps = {"nnengine": ne_step}
    try:
        import torch

        tm = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
        topt = torch.optim.SGD(tm.parameters(), lr=0.01)
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)

        def torch_step():
            topt.zero_grad()
            torch.nn.functional.cross_entropy(tm(tx), ty).backward()
            topt.step()

        steps["torch"] = torch_step
    except ImportError:
        print("torch is not installed: nnengine timings only")
    times: Dict[str, List[float]] = {k: [] for k in steps}
    for fn in steps.values():
        fn()  # warm up
    for _ in range(rounds):
        for k, fn in steps.items():  # interleaved: A, B, A, B...
            t0 = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t0)
    print(f"MLP 784-256-10 train step, batch 128, {ne.get_num_threads()} threads, median of {rounds}:")
    med = {k: float(np.median(v)) * 1e3 for k, v in times.items()}
    for k, v in med.items():
        print(f"  {k:9s} {v:8.3f} ms")
    if "torch" in med:
        print(f"  nnengine / torch time ratio: {med['nnengine'] / med['torch']:.2f}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nnengine", description="nnengine: a fast CPU deep-learning engine")
    sub = p.add_subparsers(dest="command")
    s = sub.add_parser("info", help="version, instruction sets, threads, build options")
    s.set_defaults(func=_info)

    s = sub.add_parser("train", help="train a model (default: LeNet-5 on Fashion-MNIST), save it and a plot")
    s.add_argument("--model", default="lenet5", help="lenet5 (default), mlp or logreg")
    s.add_argument("--dataset", default=None,
                   help="fashion_mnist (default; falls back to digits when not installed), mnist_5k, digits, "
                        "iris, breast_cancer")
    s.add_argument("--epochs", type=int, default=None, help="default depends on the dataset")
    s.add_argument("--batch-size", type=int, default=64)
    s.add_argument("--optimizer", default=None, help="sgd, adam, adamw, rmsprop, adagrad (default adam, else sgd)")
    s.add_argument("--lr", type=float, default=None, help="learning rate (default 1e-3, 0.05 for sgd)")
    s.add_argument("--threads", type=int, default=None)
    s.add_argument("--output", default="model.safetensors", help="where to save the model")
    s.add_argument("--plot", default=None, help="PNG of the training curves (default: OUTPUT with .png; '' for none)")
    s.add_argument("--limit", type=int, default=None, help="train on at most this many samples (quick runs)")
    s.add_argument("--seed", type=int, default=0)
    s.set_defaults(func=_train)

    s = sub.add_parser("evaluate", help="test accuracy of a saved model")
    s.add_argument("model")
    s.add_argument("--dataset", default=None, help="default: the dataset the model was trained on")
    s.add_argument("--limit", type=int, default=None, help="default: the limit used in training")
    s.set_defaults(func=_evaluate)

    s = sub.add_parser("predict", help="class predictions of a saved model for inputs in a .npy file")
    s.add_argument("model")
    s.add_argument("input", help=".npy array of inputs (raw, as in the dataset)")
    s.add_argument("--output", default=None, help="save the predictions as .npy")
    s.set_defaults(func=_predict)

    s = sub.add_parser("bench", help="quick benchmarks (bench/ scripts if present, else a built-in timing)")
    s.add_argument("--builtin", action="store_true", help="run the built-in train-step timing")
    s.add_argument("--rounds", type=int, default=30)
    s.set_defaults(func=_bench)
    return p


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
