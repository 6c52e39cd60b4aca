"""What the index needs of a price table, as protocols: `pricing.PriceBook` is one.

The index stores each model's prices (`model_prices`) and reports the table in use; the table
itself, how it is fetched and how a model name is resolved, lives in `pricing`, which the
index does not import.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from claude_code_tracer.index.models.metrics import PriceSource


class Price(Protocol):
    """Per-token prices of one model."""

    @property
    def model(self) -> str: ...
    @property
    def input(self) -> float: ...
    @property
    def output(self) -> float: ...
    @property
    def cache_write_5m(self) -> float: ...
    @property
    def cache_write_1h(self) -> float: ...
    @property
    def cache_read(self) -> float: ...
    @property
    def input_200k(self) -> float | None: ...
    @property
    def output_200k(self) -> float | None: ...
    @property
    def fast_multiplier(self) -> float | None: ...
    @property
    def us_multiplier(self) -> float | None: ...
    @property
    def derived(self) -> tuple[str, ...]: ...

    def row(self) -> tuple[Any, ...]:
        """Values in the column order of the `model_prices` table."""
        ...


class PriceResolver(Protocol):
    def resolve(self, model: str) -> Price | None:
        """The prices of `model`, or None for a model the table does not list."""
        ...


class PriceTableInfo(Protocol):
    @property
    def source(self) -> PriceSource: ...
    @property
    def url(self) -> str: ...
    @property
    def fetched_at(self) -> str: ...


class PriceCatalog(PriceResolver, Protocol):
    """The price table in use, as the pricing answer reports it."""

    @property
    def table(self) -> PriceTableInfo: ...
    @property
    def offline(self) -> bool: ...
    @property
    def last_error(self) -> str | None: ...

    def listed(self) -> Sequence[Price]:
        """Every model the table lists, by name."""
        ...
