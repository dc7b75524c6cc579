"""The ``nnengine`` command line."""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def _info(args: argparse.Namespace) -> int:
    import nnengine as ne

    print(f"nnengine {ne.__version__}")
    print(f"isa: {ne.backend.isa()}")
    print(f"available isas: {', '.join(ne.backend.available_isas())}")
    print(f"threads: {ne.get_num_threads()}")
    for k, v in ne.backend.build_info().items():
        print(f"build {k}: {v}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nnengine", description="nnengine: a fast CPU deep-learning engine")
    sub = p.add_subparsers(dest="command")
    s = sub.add_parser("info", help="version, instruction sets, threads, build options")
    s.set_defaults(func=_info)
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
