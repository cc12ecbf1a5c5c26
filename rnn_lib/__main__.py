"""``python -m rnn_lib``: the shape explorer (see :mod:`rnn_lib.cli`)."""

import sys

from rnn_lib.cli import main

sys.exit(main())
