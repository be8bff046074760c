"""Settings read from the environment by the front ends (CLI, API, notebooks, dashboard).

The library takes explicit arguments; the ``ENGAGEMENT_*`` variables are read here, once,
at the edge. Each default is the library's own constant (one owner, one name, one unit).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .etl.reader import CHUNK_SIZE
from .rules import DEFAULT_CURRENCY, MAX_RECORD_BYTES, MAX_REJECTED
from .store import embedded
from .store.connection import DEFAULT_DATABASE, DEFAULT_TIMEOUT, Store, connect
from .store.history import KEEP_DATASETS


class Settings(BaseSettings):
    """Configuration, from ``ENGAGEMENT_*`` environment variables. Build it when needed."""

    model_config = SettingsConfigDict(env_prefix="ENGAGEMENT_", extra="ignore")

    mongodb_uri: SecretStr | None = Field(
        default=None, description="MongoDB URI; unset means the embedded server."
    )
    db: str = Field(default=DEFAULT_DATABASE, description="Database name.")
    home: Path = Field(
        default=embedded.DEFAULT_HOME,
        description="Directory of the embedded server's data, log and state.",
    )
    embedded_port: int = Field(
        default=embedded.DEFAULT_PORT,
        description="Preferred port of the embedded server (0: any free port).",
    )
    timeout: float = Field(
        default=DEFAULT_TIMEOUT, gt=0, description="Seconds to wait for the store before giving up."
    )
    api_timeout: float = Field(
        default=1.0,
        gt=0,
        description="Seconds the API waits for the store before answering 503.",
    )
    chunk_size: int = Field(default=CHUNK_SIZE, gt=0, description="Lines per ETL chunk.")
    max_record_bytes: int = Field(
        default=MAX_RECORD_BYTES,
        gt=0,
        description="Records longer than this many bytes are rejected as record_too_large.",
    )
    keep_datasets: int = Field(
        default=KEEP_DATASETS,
        ge=1,
        description="Published datasets the store keeps, the current one included "
        "(rollback and movers reach the others); older ones are dropped.",
    )
    max_rejected: float = Field(
        default=MAX_REJECTED,
        ge=0,
        le=1,
        description="A run publishes only when it rejected at most this share of its rows "
        "(and accepted at least one); 1 turns the share check off.",
    )
    currency: str = Field(
        default=DEFAULT_CURRENCY,
        description="The currency of a run's costs and price list, when it names none.",
    )
    prices: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="Earned media value's prices over the default list, comma-separated: "
        "likes=0.3,comments=0.5.",
    )
    api_key: SecretStr | None = Field(
        default=None, description="When set, the API requires this value in X-API-Key."
    )
    max_upload_bytes: int = Field(
        default=1 << 30,
        gt=0,
        description="Largest body POST /runs accepts, in bytes; the files it holds may "
        "expand to no more than this either (gzip).",
    )
    dashboard_token: SecretStr | None = Field(
        default=None,
        description="When set, the dashboard's page, kernel websocket and every other route "
        "need it (?token= once, then a cookie); unset falls back to the API key; neither set "
        "leaves the dashboard open.",
    )
    dashboard_kernels: int = Field(
        default=8,
        ge=2,
        description="Kernels the dashboard runs at most, the warm ones included; past it a new "
        "visitor is told to retry (503).",
    )
    dashboard_pool: int = Field(
        default=1,
        ge=0,
        description="Kernels kept warm with the dashboard already computed, so a first page "
        "does not wait for one to start (0: each visitor starts one).",
    )
    dashboard_grace: float = Field(
        default=30,
        ge=1,
        le=600,
        description="Seconds a visitor's kernel lives with no page connected to it (after a "
        "page is served or after its last connection closes) before it is shut down.",
    )
    cors_origins: str = Field(
        default="", description="Origins (comma-separated) browser clients may call the API from."
    )

    @field_validator("mongodb_uri", "api_key", "dashboard_token", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("prices", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(item.strip() for item in value.split(",") if item.strip())
        return value

    @field_validator("db", "home", mode="before")
    @classmethod
    def _empty_is_default(cls, value: object, info: ValidationInfo) -> object:
        """A blank name is no name: the default (not a database named "", not "." as home)."""
        if isinstance(value, str) and not value.strip():
            return cls.model_fields[str(info.field_name)].default
        return value

    def dashboard_secret(self) -> str:
        """The dashboard's token: its own, else the API key, else "" (open)."""
        chosen = self.dashboard_token or self.api_key
        return chosen.get_secret_value() if chosen else ""

    def origins(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    def uri(self) -> str | None:
        return self.mongodb_uri.get_secret_value() if self.mongodb_uri else None

    def connect(
        self,
        uri: str | None = None,
        database: str | None = None,
        *,
        timeout: float | None = None,
        check: bool = True,
    ) -> Store:
        """:func:`engagement.connect` as these settings say (arguments given win)."""
        return connect(
            uri or self.uri(),
            database=database or self.db,
            timeout=timeout or self.timeout,
            home=self.home,
            port=self.embedded_port,
            check=check,
        )


def settings_problem(error: ValidationError) -> str:
    """One line naming the environment variables that hold bad values, and why."""
    parts = []
    for item in error.errors():
        name = "ENGAGEMENT_" + "_".join(str(loc) for loc in item["loc"]).upper()
        parts.append(f"{name}: {item['msg']}")
    return "invalid setting " + "; ".join(parts)
