"""`python -m sheetsync` runs the CLI."""

import sys

from sheetsync.app.cli import main

sys.exit(main())
