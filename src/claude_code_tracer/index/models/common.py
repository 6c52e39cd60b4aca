"""What every answer is made of: the frozen base model, UTC times, token counts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


def _utc(value: datetime) -> datetime:
    """Index timestamps are naive UTC; the API always says so."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class CamelModel(Model):
    """A model whose JSON names are camelCase (the reports and windows, as ccusage names them)."""

    # built on first use: a terminal report loads only the models it prints
    model_config = ConfigDict(
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        serialize_by_alias=True,
        defer_build=True,
    )


class TokenUsage(Model):
    """The four token counts, always in this order."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0


class Tokens(TokenUsage):
    """input, output, cache creation and cache read tokens; `total_tokens` is their sum."""

    total_tokens: int = 0


class ModelUsage(Model):
    model: str
    priced: bool
    tokens: Tokens
    cost: float
    messages: int = 0


class NamedCount(Model):
    value: str
    count: int
