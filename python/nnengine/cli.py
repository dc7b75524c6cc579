"""The ``nnengine`` command line."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np


# ----------------------------------------------------------------------------- argument checking
class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line on stderr (no usage block), exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _number_type(convert: Callable[[str], Any], ok: Callable[[Any], bool], expected: str) -> Callable[[str], Any]:
    """An argparse type: ``convert(text)`` when it parses and satisfies ``ok``, else an error saying what was
    ``expected``."""

    def parse(text: str) -> Any:
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not ok(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return parse


positive_int = _number_type(int, lambda v: v >= 1, "a positive integer (>= 1)")
nonnegative_int = _number_type(int, lambda v: v >= 0, "an integer >= 0")
positive_float = _number_type(float, lambda v: math.isfinite(v) and v > 0, "a finite number > 0")


def _info(args: argparse.Namespace) -> int:
    import nnengine as ne

    print(f"nnengine {ne.__version__}")
    print(f"isa: {ne.backend.isa()}")
    print(f"available isas: {', '.join(ne.backend.available_isas())}")
    print(f"threads: {ne.get_num_threads()}")
    reason = ne._core.bf16_unavailable_reason()
    if reason:
        print(f"bf16 (autocast): unavailable: {reason}")
    else:
        names = {"amx": "AMX-BF16 tiles (tdpbf16ps)", "avx512bf16": "AVX512-BF16 (vdpbf16ps)"}
        print(f"bf16 (autocast): {names[ne._core.bf16_gemm_kernel()]}; available: "
              f"{', '.join(ne._core.bf16_gemm_kernels())} (NNENGINE_BF16_GEMM=auto|amx|avx512bf16)")
    c = ne.backend.cache_info()
    print(f"caches: L1d {c['l1d'] >> 10} KiB, L2 {c['l2'] >> 10} KiB, L3 {c['l3'] >> 10} KiB ({c['source']})")
    print(f"gemm blocking: KC {c['gemm_kc']}, MC {c['gemm_mc']}, NC {c['gemm_nc']}, "
          f"B in place up to {c['gemm_l2_floats']} floats")
    print(f"conv2d winograd (stride-1 3x3): {ne.backend.winograd_mode()} (NNENGINE_WINOGRAD=f2|f4|off)")
    for k, v in ne.backend.build_info().items():
        print(f"build {k}: {v}")
    return 0


# ----------------------------------------------------------------------------- train / evaluate / predict
_DEFAULT_EPOCHS = {"fashion_mnist": 2, "mnist_5k": 8, "digits": 25, "iris": 100, "breast_cancer": 40}
_OPTIMIZERS = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "adagrad": "Adagrad"}
_MODELS = ("lenet5", "mlp", "logreg")
_DATASET_ALIASES = {"fashion-mnist": "fashion_mnist"}
# integer pixels of these datasets are divided by this by load_dataset (and so by predict)
_PIXEL_SCALE = {"fashion_mnist": 255, "mnist_5k": 255, "digits": 16}


def _dataset_choices() -> List[str]:
    from .data.datasets import DATASETS

    return list(DATASETS) + list(_DATASET_ALIASES)


def _check_writable(path: str, what: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise SystemExit(f"nnengine: {what}: the folder {folder} does not exist")
    if os.path.isdir(path):
        raise SystemExit(f"nnengine: {what}: {path} is a folder; give a file name")


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
    raise SystemExit(f"nnengine: --model: unknown model {name!r} (expected {', '.join(_MODELS)})")


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
    from .distributed import process_group as dist
    from .preprocessing import StandardScaler
    from .train import evaluate, fit

    if not dist.is_initialized() and dist.launched_world_size() > 1:
        dist.init_process_group()  # under mpiexec -n N: data-parallel; only rank 0 prints and writes files
    rank, world = dist.get_rank(), dist.get_world_size()

    def say(*a: Any, **k: Any) -> None:
        if rank == 0:
            print(*a, **k)

    out = args.output
    plot = args.plot if args.plot is not None else os.path.splitext(out)[0] + ".png"
    _check_writable(out, "--output")
    if plot:
        _check_writable(plot, "--plot")
    if args.threads:
        ne.set_num_threads(args.threads)
    ne.manual_seed(args.seed)
    dataset = _DATASET_ALIASES.get(args.dataset, args.dataset)
    model_name = args.model
    try:
        split = load_dataset(dataset or "fashion_mnist", limit=args.limit)
        dataset = dataset or "fashion_mnist"
    except DatasetNotFoundError as e:
        if dataset is not None:
            raise SystemExit(f"nnengine: {e}") from None
        say(f"note: {e}\nnote: falling back to the embedded 8x8 digits (scikit-learn's, from UCI optdigits) "
            "with an MLP", flush=True)
        dataset, model_name = "digits", ("mlp" if model_name == "lenet5" else model_name)
        split = load_dataset(dataset, limit=args.limit)
    except ValueError as e:  # a damaged data file
        raise SystemExit(f"nnengine: cannot read dataset {dataset or 'fashion_mnist'}: {e}") from None
    if len(split.y_train) < 2:
        raise SystemExit(f"nnengine: --limit: need at least 2 training samples (one is held out), got "
                         f"{len(split.y_train)}")
    net, model_name = _build_net(model_name, split, lambda m: say(m, flush=True))
    # the scaler is the model's first stage, so the saved model takes raw inputs
    scaler = StandardScaler(per_channel=split.image_shape is not None).fit(split.x_train)
    model = ne.nn.Sequential(scaler, net)
    # hold out 10% of the training set for validation (seeded)
    order = np.random.default_rng(args.seed).permutation(len(split.y_train))
    n_val = max(1, len(order) // 10)
    val, tr = order[:n_val], order[n_val:]
    epochs = args.epochs or _DEFAULT_EPOCHS.get(dataset, 5)
    opt = _optimizer(args.optimizer or ("adam" if hasattr(ne.optim, "Adam") else "sgd"), model.parameters(), args.lr)
    say(f"training {model_name} on {dataset}: {len(tr)} train / {n_val} validation / {len(split.y_test)} test "
        f"samples, {epochs} epoch{'s' if epochs != 1 else ''}, {type(opt).__name__}, {ne.get_num_threads()} threads"
        + (f" x {world} MPI processes" if world > 1 else ""), flush=True)
    hist = fit(model, ne.nn.CrossEntropyLoss(), opt, (split.x_train[tr], split.y_train[tr]),
               validation=(split.x_train[val], split.y_train[val]), epochs=epochs, batch_size=args.batch_size,
               verbose=1 if sys.stdout.isatty() else 2)
    res = evaluate(model, ne.nn.CrossEntropyLoss(), (split.x_test, split.y_test))
    if rank != 0:
        return 0
    try:
        ne.io.save_model(model, out, metadata={
            "dataset": dataset, "limit": "" if args.limit is None else str(args.limit),
            "input_shape": json.dumps(list(split.image_shape or split.x_train.shape[1:])),
            "test_accuracy": repr(res["accuracy"]), "model": model_name})
    except OSError as e:
        raise SystemExit(f"nnengine: cannot write {out}: {e}") from None
    say(f"saved model: {out}")
    if plot:
        try:
            hist.plot(plot, title=f"{model_name} on {dataset}")
            say(f"saved plot: {plot}")
        except ImportError as e:
            say(f"note: no plot ({e})")
        except (OSError, ValueError) as e:  # e.g. an extension matplotlib cannot write
            say(f"note: no plot ({plot}: {e})")
    say(f"test accuracy: {res['accuracy']:.4f} (loss {res['loss']:.4f}, {len(split.y_test)} samples)")
    return 0


def _load(path: str):
    import nnengine as ne

    try:
        return ne.io.load_model(path), ne.io.read_metadata(path)
    except (OSError, ValueError) as e:
        raise SystemExit(f"nnengine: cannot load {path}: {e}") from None


def _evaluate(args: argparse.Namespace) -> int:
    import nnengine as ne

    from .data import DatasetNotFoundError, load_dataset

    model, meta = _load(args.model)
    dataset = _DATASET_ALIASES.get(args.dataset, args.dataset) or meta.get("dataset")
    if not dataset:
        raise SystemExit("nnengine: the model does not record its dataset; pass --dataset")
    limit = args.limit if args.limit is not None else (int(meta["limit"]) if meta.get("limit") else None)
    try:
        split = load_dataset(dataset, limit=limit)
    except (DatasetNotFoundError, ValueError) as e:
        raise SystemExit(f"nnengine: {e}") from None
    try:
        res = ne.train.evaluate(model, ne.nn.CrossEntropyLoss(), (split.x_test, split.y_test))
    except (ValueError, RuntimeError, IndexError) as e:
        raise SystemExit(f"nnengine: {args.model} does not fit dataset {dataset}: {e}") from None
    print(f"test accuracy: {res['accuracy']:.4f} (loss {res['loss']:.4f}, {len(split.y_test)} samples)")
    return 0


PREDICT_INPUT_HELP = """\
INPUT is one NumPy array saved with numpy.save (.npy; not CSV, not .npz) holding N samples shaped
(N,) + the model's input shape, which `nnengine train` records: (N, 1, 28, 28) for Fashion-MNIST or
mnist_5k models, (N, 1, 8, 8) for digits, (N, F) for tabular sets (iris F=4, breast_cancer F=30).
Flat images (N, H*W) and single-channel images without the channel axis (N, H, W) are accepted too; any
other shape is an error (inputs are never reshaped into a different number of samples).
Values: images as integer pixels in the dataset's raw range (uint8 0..255 for Fashion-MNIST and
mnist_5k, 0..16 for digits), which are scaled for you, or as floats already scaled to [0, 1]; tabular
features raw, as in the dataset (the model standardizes them itself).
Output: one predicted class index per line (or --output FILE.npy for an int64 array)."""


def _read_npy(path: str) -> np.ndarray:
    try:
        with open(path, "rb") as f:
            magic = f.read(6)
    except OSError as e:
        raise SystemExit(f"nnengine: cannot read {path}: {e.strerror or e}") from None
    if magic[:2] == b"PK":
        raise SystemExit(f"nnengine: {path} is a .npz archive or another zip file; predict reads a .npy file "
                         "(one array saved with numpy.save)")
    if magic != b"\x93NUMPY":
        raise SystemExit(f"nnengine: {path} is not a .npy file; predict reads one array saved with numpy.save "
                         "(for a CSV: np.save('x.npy', np.loadtxt('x.csv', delimiter=',')))")
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise SystemExit(f"nnengine: cannot read {path}: {e}") from None


def _fit_shape(x: np.ndarray, shape: Tuple[int, ...], path: str) -> np.ndarray:
    """``x`` as ``(N,) + shape`` when that keeps its number of samples N; otherwise a one-line error."""
    accepted = [(-1,) + shape]
    if len(shape) > 1:
        accepted.append((-1, int(np.prod(shape))))
        if shape[0] == 1:
            accepted.append((-1,) + shape[1:])
    for form in accepted:
        if x.ndim == len(form) and x.shape[1:] == form[1:]:
            return x.reshape((x.shape[0],) + shape)

    def show(t):
        return "(" + ", ".join("N" if d == -1 else str(d) for d in t) + ")"

    raise SystemExit(f"nnengine: {path}: expected inputs of shape {' or '.join(show(f) for f in accepted)} "
                     f"for this model, got {tuple(x.shape)}")


def _predict(args: argparse.Namespace) -> int:
    import nnengine as ne

    model, meta = _load(args.model)
    x = _read_npy(args.input)
    if x.dtype.kind not in "fiub":
        raise SystemExit(f"nnengine: {args.input}: expected a numeric array, got dtype {x.dtype}")
    try:
        shape = tuple(int(d) for d in json.loads(meta.get("input_shape", "[]")))
    except (ValueError, TypeError):
        shape = ()
    if shape:
        x = _fit_shape(x, shape, args.input)
    elif x.ndim < 2:
        raise SystemExit(f"nnengine: {args.input}: expected an array of samples (N, ...), got shape {x.shape}")
    if x.shape[0] == 0:
        raise SystemExit(f"nnengine: {args.input}: the array holds no samples (shape {x.shape})")
    scale = _PIXEL_SCALE.get(meta.get("dataset", ""))
    if scale is not None and x.dtype.kind in "iub":
        x = x.astype(np.float32) / np.float32(scale)  # raw pixels, scaled as the training data was
    x = x.astype(np.float32)
    if not np.isfinite(x).all():
        raise SystemExit(f"nnengine: {args.input}: the inputs contain NaN or infinite values")
    if scale is not None and (x.min() < -1e-3 or x.max() > 1 + 1e-3):
        raise SystemExit(f"nnengine: {args.input}: float pixels must be scaled to [0, 1] (got values in "
                         f"[{x.min():g}, {x.max():g}]); or pass integer pixels 0..{scale}")
    try:
        pred = ne.train.predict(model, x).argmax(-1)
    except (ValueError, RuntimeError, IndexError) as e:
        raise SystemExit(f"nnengine: {args.input}: the model cannot take inputs of shape {x.shape}: {e}") from None
    if args.output:
        try:
            np.save(args.output, pred.astype(np.int64))
        except OSError as e:
            raise SystemExit(f"nnengine: cannot write {args.output}: {e.strerror or e}") from None
        print(f"saved {len(pred)} predictions: {args.output}")
    else:
        sys.stdout.write("".join(f"{int(p)}\n" for p in pred))
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
        print(f"  ratio     {med['torch'] / med['nnengine']:8.2f}    (torch time / nnengine time; "
              "> 1 means nnengine is faster)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``nnengine`` argument parser (subcommands info, train, evaluate, predict, bench)."""
    from . import __version__

    p = _Parser(prog="nnengine", description="nnengine: a fast CPU deep-learning engine")
    p.add_argument("--version", action="version", version=f"nnengine {__version__}")
    sub = p.add_subparsers(dest="command")
    s = sub.add_parser("info", help="version, instruction sets, threads, build options")
    s.set_defaults(func=_info)

    datasets = _dataset_choices()
    s = sub.add_parser(
        "train", help="train a model (default: LeNet-5 on Fashion-MNIST), save it and a plot",
        description="Train a model, save it (safetensors) and a PNG of its training curves. Without --dataset: "
                    "Fashion-MNIST from the Debian package dataset-fashion-mnist (the folder can be set with "
                    "the environment variable NNENGINE_FASHION_MNIST), else the 8x8 digits embedded in "
                    "nnengine, with an MLP.")
    s.add_argument("--model", default="lenet5", choices=_MODELS, help="lenet5 (default), mlp or logreg")
    s.add_argument("--dataset", default=None, choices=datasets, metavar="DATASET",
                   help="fashion_mnist (default; falls back to the embedded digits when not installed), "
                        "mnist_5k, digits, iris, breast_cancer")
    s.add_argument("--epochs", type=positive_int, default=None, help="default depends on the dataset")
    s.add_argument("--batch-size", type=positive_int, default=64)
    s.add_argument("--optimizer", default=None, choices=list(_OPTIMIZERS),
                   help="default adam (sgd when Adam is not available)")
    s.add_argument("--lr", type=positive_float, default=None, help="learning rate (default 1e-3, 0.05 for sgd)")
    s.add_argument("--threads", type=positive_int, default=None)
    s.add_argument("--output", default="model.safetensors", help="where to save the model")
    s.add_argument("--plot", default=None, help="PNG of the training curves (default: OUTPUT with .png; '' for none)")
    s.add_argument("--limit", type=positive_int, default=None, help="train on at most this many samples (quick runs)")
    s.add_argument("--seed", type=nonnegative_int, default=0)
    s.set_defaults(func=_train)

    s = sub.add_parser("evaluate", help="test accuracy of a saved model")
    s.add_argument("model")
    s.add_argument("--dataset", default=None, choices=datasets, metavar="DATASET",
                   help="default: the dataset the model was trained on")
    s.add_argument("--limit", type=positive_int, default=None, help="default: the limit used in training")
    s.set_defaults(func=_evaluate)

    s = sub.add_parser("predict", help="class predictions of a saved model for inputs in a .npy file",
                       description="Print the predicted class of every sample in INPUT, one per line.",
                       epilog=PREDICT_INPUT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("model", help="a model saved by `nnengine train` (.safetensors)")
    s.add_argument("input", help=".npy array of N samples (see below)")
    s.add_argument("--output", default=None, help="save the predictions as .npy (int64, shape (N,))")
    s.set_defaults(func=_predict)

    s = sub.add_parser("bench", help="quick benchmarks (bench/ scripts if present, else a built-in timing)")
    s.add_argument("--builtin", action="store_true", help="run the built-in train-step timing")
    s.add_argument("--rounds", type=positive_int, default=30)
    s.set_defaults(func=_bench)
    return p


def main(argv: Optional[List[str]] = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); returns the exit status.

    Wrong arguments exit with status 2 and one line on stderr; other errors (missing files, a wrong input
    shape, ...) raise ``SystemExit`` with a one-line message (status 1). When stdout is closed early (e.g.
    ``nnengine predict m.safetensors x.npy | head -1``) the command stops quietly with status 141.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        rc = int(args.func(args) or 0)
        sys.stdout.flush()
    except SystemExit as e:  # under mpiexec a failing rank must end the whole job, not leave the others waiting
        _abort_mpi_job_at_exit(e.code)
        raise
    except BrokenPipeError:
        # the reader went away: silence the final flush at exit too (the Python docs' recipe)
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):  # stdout without a file descriptor (e.g. captured)
            pass
        return 141  # 128 + SIGPIPE, as the shell reports for a command killed by a closed pipe
    except KeyboardInterrupt:
        print("nnengine: interrupted", file=sys.stderr)
        return 130
    _abort_mpi_job_at_exit(rc)
    return rc


def _abort_mpi_job_at_exit(code: Any) -> None:
    """Under ``mpiexec -n N``, make a non-zero exit end every rank (a no-op otherwise)."""
    dist = sys.modules.get("nnengine.distributed.process_group")
    if dist is not None:
        dist.abort_at_exit(code)


if __name__ == "__main__":
    sys.exit(main())
