"""Real sensor time series read from the files bundled in the ``aeon`` wheel (aeon itself is never imported).

The aeon package (BSD 3-clause) ships a few benchmark sets as plain text under ``aeon/datasets/data/``.
nnengine finds that folder with ``importlib.util.find_spec`` (which does not execute aeon's ``__init__`` and
its numba stack) and parses the files itself: the UCR/UEA ``.ts`` format and TimeEval CSVs. Install the
data with ``pip install aeon`` or ``pip install 'nnengine[iot]'``; ``NNENGINE_SENSOR_DATA`` may point at a
folder laid out like ``aeon/datasets/data`` instead.

Every series comes back as float32 ``(N, channels, T)``:

============================  ===========================================================================
``basic_motions``             smartwatch accelerometer + gyroscope, 6 x 100 (10 Hz), 4 activities, 40/40
``acsf1``                     appliance power consumption, 1 x 1460, 10 appliance types, 100/100
``italy_power_demand``        Italian daily electricity demand, 1 x 24, 2 seasons, 67/1029
``gun_point``                 hand position (x) tracked in video while drawing or pointing, 1 x 150, 2 classes,
                              50/150
``pickup_gesture_wiimote_z``  Wii remote z-axis acceleration of 10 gestures, 1 x 29-361 (unequal lengths), 50/50
``japanese_vowels``           12 LPC cepstrum coefficients of a spoken /ae/, 12 x 7-29 (unequal), 9 speakers,
                              270/370
``kdd_tsad_135``              UCR anomaly archive 135 (InternalBleeding16): 1 x 1200 normal training
                              stream, 1 x 7501 test stream with one labelled anomaly (samples 4187-4198)
``daphnet``                   Daphnet S06R02E0: 9 accelerometer channels (ankle, thigh, trunk), 7040
                              samples at ~64 Hz, no events; split in time into train / test
============================  ===========================================================================

For the two stream sets ``y_*`` are per-sample anomaly labels ``(N, T)`` (0 normal, 1 anomalous). The
unequal-length sets are zero-padded at the end to their longest case; ``load_ucr`` gives each case's length
(``TsFile.lengths``) and ``load_dataset`` puts them in ``Split.lengths_train`` / ``lengths_test``, ready for
``nn.utils.rnn.pack_padded_sequence``. ``read_ts`` also reads regression (``@targetLabel``), unlabelled,
timestamped and missing-value files.

**Where the KDD-TSAD 135 anomaly comes from.** The file's third column ``is_anomaly`` marks samples 4187 to
4198 of the test stream (12 samples). This is the region the UCR Time Series Anomaly Archive (Keogh et al.,
SIGKDD 2021 competition) encodes in its file name ``135_UCR_Anomaly_InternalBleeding16_1200_4187_4199.txt``
(training part ``[0, 1200)``, anomaly ``[4187, 4199)``); aeon's ``load_kdd_tsad_135`` returns that same column
as ``y``. The training CSV is the test stream's first 1,200 samples (all labelled normal).

Example:
    >>> from nnengine.data import load_dataset
    >>> s = load_dataset("basic_motions"); s.x_train.shape, s.num_classes
    ((40, 6, 100), 4)
"""

from __future__ import annotations

import importlib.util
import os
import re
from typing import Dict, List, NamedTuple, Optional, Tuple

import numpy as np

from .datasets import DatasetNotFoundError

INSTALL_HINT = "pip install aeon (or pip install 'nnengine[iot]')"

# name -> (folder under aeon/datasets/data, file stem) of the UCR/UEA classification sets
_TS_SETS: Dict[str, Tuple[str, str]] = {
    "basic_motions": ("BasicMotions", "BasicMotions"),
    "acsf1": ("ACSF1", "ACSF1"),
    "italy_power_demand": ("ItalyPowerDemand", "ItalyPowerDemand"),
    "gun_point": ("GunPoint", "GunPoint"),
    "pickup_gesture_wiimote_z": ("PickupGestureWiimoteZ", "PickupGestureWiimoteZ"),
    "japanese_vowels": ("JapaneseVowels", "JapaneseVowels"),
}
KDD_TSAD_135_FILE = ("KDD-TSAD_135", "135_UCR_Anomaly_InternalBleeding16")
DAPHNET_FILE = ("Daphnet_S06R02E0", "S06R02E0.csv")

SENSOR_DATASETS: Dict[str, str] = {
    "basic_motions": "BasicMotions (aeon wheel): smartwatch accel + gyro, (N, 6, 100), 4 activities, 40/40",
    "acsf1": "ACSF1 (aeon wheel): appliance power, (N, 1, 1460), 10 classes, 100/100",
    "italy_power_demand": "ItalyPowerDemand (aeon wheel): (N, 1, 24), 2 classes, 67/1029",
    "gun_point": "GunPoint (aeon wheel): hand position tracked in video, (N, 1, 150), 2 classes, 50/150",
    "pickup_gesture_wiimote_z": "PickupGestureWiimoteZ (aeon wheel): Wii remote z-acceleration, unequal lengths "
                                "29-361 (padded; lengths in Split.lengths_*), 10 gestures, 50/50",
    "japanese_vowels": "JapaneseVowels (aeon wheel): 12 LPC cepstrum channels of spoken /ae/, unequal lengths 7-29 "
                       "(padded; lengths in Split.lengths_*), 9 speakers, 270/370",
    "kdd_tsad_135": "UCR anomaly 135 InternalBleeding16 (aeon wheel): (1, 1, 1200) normal / (1, 1, 7501) test, "
                    "per-sample labels",
    "daphnet": "Daphnet S06R02E0 (aeon wheel): 9-channel accelerometer stream (1, 9, T), split in time",
}


def sensor_data_dir() -> str:
    """The folder holding aeon's bundled data (``NNENGINE_SENSOR_DATA`` overrides it).

    Raises ``DatasetNotFoundError`` naming the package to install when neither exists.

    Example:
        >>> os.path.isdir(sensor_data_dir())
        True
    """
    env = os.environ.get("NNENGINE_SENSOR_DATA")
    if env:
        if not os.path.isdir(env):
            raise DatasetNotFoundError(f"NNENGINE_SENSOR_DATA={env!r} is not a folder; unset it or {INSTALL_HINT}")
        return env
    spec = importlib.util.find_spec("aeon")  # locates the package without running its __init__
    if spec is None or not spec.submodule_search_locations:
        raise DatasetNotFoundError(f"the sensor datasets ship inside the aeon package, which is not installed: "
                                   f"{INSTALL_HINT}")
    for root in spec.submodule_search_locations:
        path = os.path.join(root, "datasets", "data")
        if os.path.isdir(path):
            return path
    raise DatasetNotFoundError(f"aeon is installed but has no datasets/data folder; reinstall it: {INSTALL_HINT}")


def _data_file(folder: str, fname: str) -> str:
    path = os.path.join(sensor_data_dir(), folder, fname)
    if not os.path.exists(path):
        raise DatasetNotFoundError(f"{path} is missing (aeon too old or trimmed?); reinstall the data: "
                                   f"{INSTALL_HINT}")
    return path


class TsFile(NamedTuple):
    """A parsed ``.ts`` file: series float32 (N, C, T), targets ``y``, and each case's length.

    ``y`` is int64 (N,) indexing ``class_labels`` for a classification file, float32 (N,) for a regression
    file (``@targetLabel true``; ``class_labels`` is empty) and empty for an unlabelled one. ``lengths`` (int64
    (N,)) is each case's number of time steps: all ``T`` for an equal-length file; for an unequal-length one,
    case ``i`` holds data in ``x[i, :, :lengths[i]]`` and ``pad_value`` after it (``nn.utils.rnn.
    pack_padded_sequence`` takes ``lengths`` as is). Missing values (``?``, ``NaN``) are NaN.

    Example:
        >>> tr, te = load_ucr("italy_power_demand")
        >>> tr.x.shape, tr.class_labels, int(tr.lengths.min())
        ((67, 1, 24), ('1', '2'), 24)
    """

    x: np.ndarray
    y: np.ndarray
    class_labels: Tuple[str, ...]
    problem_name: str
    lengths: np.ndarray


# a case's fields are separated by ':' outside parentheses (timestamps "(2007-01-01 00:01:00,241.75)" hold ':')
_FIELD_SPLIT = re.compile(r":(?![^(]*\))")
_STAMPED_VALUE = re.compile(r"\(([^()]*),([^(),]*)\)")


def _channel(text: str, stamped: bool) -> np.ndarray:
    """One channel's comma-separated values (or ``(timestamp,value)`` pairs) as float32; ``?`` is NaN."""
    text = text.strip()
    if not text:
        return np.zeros(0, np.float32)
    vals = [v for _, v in _STAMPED_VALUE.findall(text)] if stamped else text.split(",")
    if stamped and not vals:
        raise ValueError(f"expected (timestamp,value) pairs, got {text[:40]!r}")
    vals = [v.strip() for v in vals]
    return np.array(["nan" if v == "?" else v for v in vals], dtype=np.float32)


def read_ts(path: str, class_labels: Optional[Tuple[str, ...]] = None, pad_value: float = 0.0) -> TsFile:
    """Parse a UCR/UEA ``.ts`` file (the sktime/aeon text format): classification, regression or unlabelled,
    equal or unequal length, with missing values and with or without timestamps.

    Header lines start with ``@`` (``@classLabel true A B C`` gives the label order, which fixes the integer
    codes; ``@targetLabel true`` makes a regression file; ``@timeStamps true`` means values are given as
    ``(timestamp,value)`` pairs, whose timestamps are dropped), ``#`` and ``%`` lines are comments; after
    ``@data`` each line holds one case: the channels separated by ``:``, values by ``,``, the label last when
    there is one. Unequal-length cases are padded at the end with ``pad_value`` (their lengths are in
    ``lengths``; a case's length is its longest channel's); ``?`` and ``NaN`` values become NaN.
    ``class_labels`` overrides the header's order.

    Example:
        >>> with open("toy.ts", "w") as f:
        ...     for line in ["@problemName toy", "@univariate true", "@equalLength false", "@classLabel true a b", "@data", "1,2,3:a", "4,?:b"]:
        ...         print(line, file=f)
        >>> t = read_ts("toy.ts"); t.x.shape, t.y.tolist(), t.class_labels, t.lengths.tolist()
        ((2, 1, 3), [0, 1], ('a', 'b'), [3, 2])
        >>> t.x[1, 0].tolist()
        [4.0, nan, 0.0]
    """
    if not isinstance(pad_value, (int, float, np.floating, np.integer)) or isinstance(pad_value, bool):
        raise TypeError(f"pad_value: expected a number, got {type(pad_value).__name__}")
    header: Dict[str, List[str]] = {}
    cases: List[List[np.ndarray]] = []
    labels: List[str] = []
    in_data = False
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith(("#", "%")):
                continue
            if not in_data:
                if not line.startswith("@"):
                    raise ValueError(f"{path}:{lineno}: expected a header line (@...) before @data")
                key, *vals = line.split()
                key = key.lower()
                if key == "@data":
                    in_data = True
                    labelled = header.get("@classlabel", ["false"])[0].lower() == "true"
                    regression = header.get("@targetlabel", ["false"])[0].lower() == "true"
                    stamped = header.get("@timestamps", ["false"])[0].lower() == "true"
                    if labelled and regression:
                        raise ValueError(f"{path}: both @classLabel true and @targetLabel true")
                else:
                    header[key] = vals
                continue
            fields = _FIELD_SPLIT.split(line) if "(" in line else line.split(":")  # regex only when needed
            if labelled or regression:
                if len(fields) < 2:
                    raise ValueError(f"{path}:{lineno}: expected channels separated by ':' then the "
                                     f"{'class label' if labelled else 'target value'}")
                labels.append(fields.pop().strip())
            try:
                cases.append([_channel(d, stamped or d.lstrip().startswith("(")) for d in fields])
            except ValueError as e:
                raise ValueError(f"{path}:{lineno}: {e}") from None
    if not in_data or not cases:
        raise ValueError(f"{path}: no @data section or no cases")
    chans = {len(c) for c in cases}
    if len(chans) != 1:
        raise ValueError(f"{path}: every case needs the same number of channels, got {sorted(chans)}")
    lengths = np.array([max(len(d) for d in c) for c in cases], np.int64)
    if lengths.min() == 0:
        raise ValueError(f"{path}: case {int(np.argmin(lengths))} has no values")
    x = np.full((len(cases), chans.pop(), int(lengths.max())), np.float32(pad_value), np.float32)
    for i, c in enumerate(cases):
        for ch, d in enumerate(c):
            x[i, ch, :len(d)] = d
    problem = (header.get("@problemname") or [os.path.basename(path)])[0]
    if regression:
        try:
            y = np.array([float(v) for v in labels], np.float32)
        except ValueError as e:
            raise ValueError(f"{path}: target values must be numbers ({e})") from None
        return TsFile(x, y, (), problem, lengths)
    if not labelled:
        return TsFile(x, np.zeros(0, np.int64), (), problem, lengths)
    names = tuple(class_labels) if class_labels is not None else tuple(header["@classlabel"][1:])
    code = {n: i for i, n in enumerate(names)}
    unknown = sorted(set(labels) - set(code))
    if unknown:
        raise ValueError(f"{path}: labels {unknown} not among the declared classes {list(names)}")
    y = np.asarray([code[v] for v in labels], np.int64)
    return TsFile(x, y, names, problem, lengths)


def read_timeeval_csv(path: str) -> Tuple[np.ndarray, np.ndarray, Tuple[str, ...]]:
    """A TimeEval CSV (``timestamp, channel..., is_anomaly``) -> (series float32 (C, T), labels int64 (T,),
    channel names). The timestamp column is dropped.

    Example:
        >>> with open("s.csv", "w") as f:
        ...     for row in ["timestamp,a,b,is_anomaly", "0,1.0,2.0,0", "1,1.5,2.5,1"]:
        ...         print(row, file=f)
        >>> x, y, names = read_timeeval_csv("s.csv"); x.shape, y.tolist(), names
        ((2, 2), [0, 1], ('a', 'b'))
    """
    with open(path, encoding="utf-8") as f:
        head = f.readline().strip().split(",")
        if len(head) < 3 or head[-1] != "is_anomaly":
            raise ValueError(f"{path}: expected a header 'timestamp,<channels...>,is_anomaly', got {head}")
        table = np.loadtxt(f, delimiter=",", dtype=np.float64, usecols=range(1, len(head)), ndmin=2)
    if table.shape[1] != len(head) - 1:
        raise ValueError(f"{path}: expected {len(head) - 1} numeric columns, got {table.shape[1]}")
    return (np.ascontiguousarray(table[:, :-1].T, dtype=np.float32), table[:, -1].astype(np.int64),
            tuple(head[1:-1]))


def ucr_sets() -> Tuple[str, ...]:
    """The names of the classification sets ``load_ucr`` reads.

    Example:
        >>> "japanese_vowels" in ucr_sets()
        True
    """
    return tuple(_TS_SETS)


def load_ucr(name: str) -> Tuple[TsFile, TsFile]:
    """The (train, test) ``.ts`` files of a classification set (``basic_motions``, ``acsf1``,
    ``italy_power_demand``, ``gun_point``, ``pickup_gesture_wiimote_z``, ``japanese_vowels``); the test file uses
    the training file's class order. Unequal-length sets are zero-padded, their lengths in ``TsFile.lengths``.

    Example:
        >>> tr, te = load_ucr("basic_motions"); tr.class_labels[0]
        'Standing'
    """
    if name not in _TS_SETS:
        raise ValueError(f"name: expected one of {sorted(_TS_SETS)}, got {name!r}")
    folder, stem = _TS_SETS[name]
    train = read_ts(_data_file(folder, f"{stem}_TRAIN.ts"))
    test = read_ts(_data_file(folder, f"{stem}_TEST.ts"), class_labels=train.class_labels)
    steps = max(train.x.shape[2], test.x.shape[2])  # both parts padded to one length: one input shape
    pad = [((0, 0), (0, 0), (0, steps - t.x.shape[2])) for t in (train, test)]
    return train._replace(x=np.pad(train.x, pad[0])), test._replace(x=np.pad(test.x, pad[1]))


class AnomalyStream(NamedTuple):
    """A labelled univariate stream: normal training part (1, T0), test stream (1, T), labels (T,).

    Example:
        >>> s = load_kdd_tsad_135()
        >>> s.train.shape[0], s.test.shape[0], int(s.labels.sum()) > 0
        (1, 1, True)
    """

    train: np.ndarray
    test: np.ndarray
    labels: np.ndarray
    region: Tuple[int, int]  # [start, end) of the labelled anomaly in the test stream


def load_kdd_tsad_135() -> AnomalyStream:
    """UCR anomaly archive series 135 (InternalBleeding16) from aeon's two TimeEval CSVs.

    Example:
        >>> s = load_kdd_tsad_135(); s.train.shape, s.test.shape, s.region
        ((1, 1200), (1, 7501), (4187, 4199))
    """
    folder, stem = KDD_TSAD_135_FILE
    xtr, ytr, _ = read_timeeval_csv(_data_file(folder, f"{stem}_TRAIN.csv"))
    xte, yte, _ = read_timeeval_csv(_data_file(folder, f"{stem}_TEST.csv"))
    if ytr.any():
        raise ValueError(f"{stem}_TRAIN.csv: the training part must be all normal")
    idx = np.flatnonzero(yte)
    if idx.size == 0 or idx[-1] - idx[0] + 1 != idx.size:
        raise ValueError(f"{stem}_TEST.csv: expected one contiguous labelled anomaly")
    return AnomalyStream(xtr, xte, yte, (int(idx[0]), int(idx[-1]) + 1))


def load_daphnet() -> Tuple[np.ndarray, Tuple[str, ...]]:
    """Daphnet S06R02E0: (series float32 (9, 7040), channel names). Accelerations in mg.

    Example:
        >>> x, names = load_daphnet(); x.shape, names[0]
        ((9, 7040), 'ankle_horiz_fwd')
    """
    x, _, names = read_timeeval_csv(_data_file(*DAPHNET_FILE))
    return x, names


def class_names(name: str) -> Tuple[str, ...]:
    """The class names of a sensor classification set, in label order (``y == i`` is ``class_names[i]``).

    Example:
        >>> class_names("basic_motions")
        ('Standing', 'Running', 'Walking', 'Badminton')
    """
    return load_ucr(name)[0].class_labels


def load_sensor_split(name: str, test_fraction: float = 0.2
                      ) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """``(x_train, y_train, x_test, y_test, num_classes)`` of one sensor set, series (N, C, T) float32.

    Classification sets keep their published train/test files. ``kdd_tsad_135`` gives the normal training
    stream and the labelled test stream; ``daphnet`` is split in time (the last ``test_fraction`` is the test
    stream). For the two streams ``y`` are per-sample anomaly labels (N, T) and ``num_classes`` is 2.

    Example:
        >>> x_tr, y_tr, x_te, y_te, k = load_sensor_split("basic_motions")
        >>> x_tr.shape[1:], k
        ((6, 100), 4)
    """
    if name in _TS_SETS:
        tr, te = load_ucr(name)
        return tr.x, tr.y, te.x, te.y, len(tr.class_labels)
    if name == "kdd_tsad_135":
        s = load_kdd_tsad_135()
        return (s.train[None], np.zeros((1, s.train.shape[1]), np.int64), s.test[None], s.labels[None], 2)
    if name == "daphnet":
        if not 0.0 < test_fraction < 1.0:
            raise ValueError(f"test_fraction: expected a fraction in (0, 1), got {test_fraction!r}")
        x, _ = load_daphnet()
        cut = x.shape[1] - int(round(x.shape[1] * test_fraction))
        xtr, xte = np.ascontiguousarray(x[None, :, :cut]), np.ascontiguousarray(x[None, :, cut:])
        return xtr, np.zeros((1, cut), np.int64), xte, np.zeros((1, xte.shape[2]), np.int64), 2
    raise ValueError(f"name: expected one of {sorted(SENSOR_DATASETS)}, got {name!r}")
