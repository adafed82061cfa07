"""``python -m currentprint``: the command line of :mod:`currentprint.cli`."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
