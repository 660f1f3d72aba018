"""newsbot's indexing and search library: read, clean, split, tokenize, store and search news articles."""

import logging

logging.getLogger(__name__).addHandler(logging.NullHandler())
