"""``python -m program.adopt``: see :mod:`program.adopt.command`."""

import sys

from .command import main

sys.exit(main())
