"""`python -m index`: the index-side `newsbot` commands, without the chat bot."""

import sys

from index.cli import main

sys.exit(main())
