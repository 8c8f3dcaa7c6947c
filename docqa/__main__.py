"""``python -m docqa``: the same as the ``docqa`` command."""

import sys

from docqa.cli import main

sys.exit(main())
