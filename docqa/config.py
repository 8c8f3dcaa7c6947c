"""One settings object for the CLI and the service, read from ``DOCQA_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "multilingual-e5-small"
REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_CORPUS = REPO_ROOT / "data" / "corpus"


class Settings(BaseSettings):
    """Every knob in one place; flags on the CLI override the environment."""

    model_config = SettingsConfigDict(env_prefix="DOCQA_", extra="ignore")

    data_dir: Path = Field(default=Path("data/index"), description="where the database and indexes live")
    model: str = Field(default=DEFAULT_MODEL, description="sentence-transformers model name or path")
    aligned_model: str = Field(
        default="use-multilingual-v3",
        description="second, cross-lingually aligned encoder: use-multilingual-v3, a sentence-transformers "
        "name or path, or none",
    )
    model_cache: Path = Field(default=Path.home() / ".cache" / "docqa" / "models")
    query_prefix: str | None = None
    passage_prefix: str | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    api_key: str | None = None
    query_cache_size: int = Field(
        default=2048, ge=0, description="query embeddings kept in memory; 0 turns it off"
    )
    max_upload_mb: int = Field(default=50, ge=1)

    @field_validator("data_dir", "model_cache", mode="after")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("aligned_model", mode="after")
    @classmethod
    def _stripped(cls, value: str) -> str:
        return value.strip() or "none"

    @field_validator("model", mode="after")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("DOCQA_MODEL must name a sentence-transformers model or a path")
        return value.strip()
