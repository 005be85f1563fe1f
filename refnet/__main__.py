"""``python -m refnet``: the command line."""

import sys

from refnet.cli import main

if __name__ == "__main__":
    sys.exit(main())
