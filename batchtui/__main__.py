"""Allow `python -m batchtui`."""

import sys

from batchtui.cli import main

sys.exit(main())
