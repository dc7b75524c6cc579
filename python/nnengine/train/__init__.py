"""Training loop with progress, history and callbacks (``nnengine.train``).

Example:
    >>> from nnengine.train import fit, evaluate, predict, EarlyStopping
    >>> hist = fit(model, nn.CrossEntropyLoss(), opt, (x, y), validation=(xv, yv), epochs=20,
    ...            callbacks=[EarlyStopping(patience=3)])
    >>> hist.plot("training.png")
"""

from .callbacks import (
    BackupAndRestore,
    Callback,
    CSVLogger,
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
    TerminateOnNaN,
)
from .loop import METRICS, History, evaluate, fit, predict
from .summary import ModelSummary, summary

__all__ = ["fit", "evaluate", "predict", "History", "METRICS", "Callback", "EarlyStopping", "ModelCheckpoint",
           "TerminateOnNaN", "LearningRateScheduler", "BackupAndRestore", "CSVLogger", "summary", "ModelSummary"]
