"""How the classroom commands end: bad input with its message, never a traceback."""

import sys


def run_command(main) -> None:
    """Exit with ``main()``'s code; a ``ValueError`` (bad input) exits 1 with ``error: ...``."""
    try:
        sys.exit(main())
    except ValueError as error:  # the message says what to do
        sys.exit(f"error: {error}")
