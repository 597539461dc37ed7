"""`python -m sheetsync` runs the CLI."""

import sys

from sheetsync.cli import main

sys.exit(main())
