"""Write the torch twin of this example: data.py, model.py and main.py with nnengine's imports turned back
into torch's (the only lines that differ), to run the same program under PyTorch for comparison.

    python examples/word_language_model/torch_twin.py OUT_DIR && python OUT_DIR/main.py --data DATA ...
"""

from __future__ import annotations

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = ("data.py", "model.py", "main.py")


def to_torch(src: str) -> str:
    """``import nnengine as torch`` -> ``import torch``, ``import nnengine.x`` -> ``import torch.x``."""
    src = re.sub(r"^(\s*)import nnengine as torch$", r"\1import torch", src, flags=re.M)
    return re.sub(r"^(\s*)import nnengine\.", r"\1import torch.", src, flags=re.M)


def write_twin(out_dir: str) -> str:
    os.makedirs(out_dir, exist_ok=True)
    for name in FILES:
        with open(os.path.join(HERE, name), encoding="utf8") as f:
            src = to_torch(f.read())
        if re.search(r"^\s*(import|from) nnengine", src, flags=re.M):
            raise RuntimeError(f"{name}: an nnengine import left that has no torch twin")
        with open(os.path.join(out_dir, name), "w", encoding="utf8") as f:
            f.write(src)
    return out_dir


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(write_twin(sys.argv[1]))
