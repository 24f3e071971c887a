"""``python -m dockerflow.cli``: the ``dockerflow`` command without its console script."""

import sys

from . import main

sys.exit(main())
