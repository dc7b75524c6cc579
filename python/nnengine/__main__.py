"""``python -m nnengine``: the command line."""

import sys

from .cli import main

if __name__ == "__main__":  # importing the module (e.g. a docs tool walking the package) runs nothing
    sys.exit(main())
