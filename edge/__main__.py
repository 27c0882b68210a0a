"""``python -m edge --config FILE``."""

import sys

from edge.main import main

sys.exit(main())
