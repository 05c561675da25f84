"""``python -m digest.cli``: the ``digest`` command."""

import sys

from . import main

sys.exit(main())
