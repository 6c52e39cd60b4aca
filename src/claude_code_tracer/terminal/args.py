"""What every terminal command's options share: one-line errors, dates as people write them."""

from __future__ import annotations

import argparse
from datetime import date, datetime
from typing import NoReturn


class OneLineParser(argparse.ArgumentParser):
    """Bad arguments say so in one line (and exit 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}\n")


def day(text: str) -> date:
    """A date as YYYY-MM-DD or YYYYMMDD."""
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}")
