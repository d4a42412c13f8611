"""``python -m bench`` (``make bench``); ``python -m bench --quick`` for a smoke run."""

import sys

from bench.cli import main

sys.exit(main())
