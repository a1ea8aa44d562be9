"""``python -m glassbox``: the command-line interface."""

import sys

from glassbox.cli import main

sys.exit(main())
