"""The one exception type for errors a user can cause and fix (bad file, server down, bad option)."""

from __future__ import annotations


class ShopgraphError(Exception):
    """An error with a one-line message that tells the user what went wrong and how to fix it.

    The CLI prints ``str(error)`` on one line and exits non-zero; it never shows a traceback
    for this type. Raise it for anything the user can act on; let real bugs propagate.
    """

    exit_code = 1
