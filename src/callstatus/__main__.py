"""``python -m callstatus``: the same command line as ``callstatus``."""

import sys

from .cli import main

sys.exit(main())
