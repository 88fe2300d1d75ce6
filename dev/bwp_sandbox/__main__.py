"""`python -m bwp_sandbox`: see `bwp_sandbox.serve`."""

import sys

from bwp_sandbox.serve import main

sys.exit(main())
