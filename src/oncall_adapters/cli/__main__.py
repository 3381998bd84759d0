"""``python -m oncall_adapters.cli``."""

import sys

from oncall_adapters.cli import main

sys.exit(main())
