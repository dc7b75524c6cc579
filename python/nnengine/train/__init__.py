"""Training loop with progress, history and callbacks (``nnengine.train``).

Example:
    >>> from nnengine.train import fit, evaluate, EarlyStopping
    >>> x = ne.randn(64, 4).numpy(); y = (x[:, 0] > 0).astype(np.int64)
    >>> model = nn.Linear(4, 2); opt = ne.optim.SGD(model.parameters(), lr=0.1)
    >>> hist = fit(model, nn.CrossEntropyLoss(), opt, (x, y), validation=(x, y), epochs=3, verbose=0,
    ...            callbacks=[EarlyStopping(patience=3)])
    >>> sorted(hist.history), len(hist.history["loss"])
    (['accuracy', 'loss', 'lr', 'val_accuracy', 'val_loss'], 3)
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
