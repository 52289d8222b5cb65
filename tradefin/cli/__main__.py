"""``python -m tradefin.cli``: the ``tradefin`` command."""

from . import main

main()
