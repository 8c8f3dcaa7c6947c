"""One settings object for the CLI and the service, read from ``DOCQA_*`` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_MODEL = "multilingual-e5-small"
REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_CORPUS = REPO_ROOT / "data" / "corpus"
MIN_KEY_LENGTH = 16


class Settings(BaseSettings):
    """Every knob in one place; flags on the CLI override the environment."""

    # hide_input_in_errors: a rejected DOCQA_API_KEY is not echoed to the terminal or the log
    model_config = SettingsConfigDict(env_prefix="DOCQA_", extra="ignore", hide_input_in_errors=True)

    data_dir: Path = Field(default=Path("data/index"), description="where the database and indexes live")
    model: str = Field(default=DEFAULT_MODEL, description="sentence-transformers model name or path")
    aligned_model: str = Field(
        default="use-multilingual-v3",
        description="second, cross-lingually aligned encoder: use-multilingual-v3, a sentence-transformers "
        "name or path, or none",
    )
    model_cache: Path = Field(default=Path.home() / ".cache" / "docqa" / "models")
    encoder_runtime: Literal["onnx", "onnx-int8", "torch"] = Field(
        default="onnx",
        description="what runs the built-in model: onnx (its 4-bit weights on ONNX Runtime, float32 "
        "compute), onnx-int8 (the same graph, int8 compute: faster, not bit-faithful) or torch "
        "(sentence-transformers); other models run on torch",
    )
    ingest_precision: Literal["auto", "bf16", "float32"] = Field(
        default="auto",
        description="how the built-in model embeds passages at ingest: bf16 (torch, linear layers in "
        "bfloat16 on AMX: ~3x faster, cosine >= .9999 to float32), float32 (the encoder runtime's), or "
        "auto (bf16 where the CPU has amx_bf16); questions are always embedded in float32",
    )
    aligned_runtime: Literal["onnx", "numpy"] = Field(
        default="onnx",
        description="what runs the built-in aligned encoder (USE-m3): onnx (its weights as one ONNX "
        "Runtime graph, the same float32 arithmetic) or numpy (the fallback)",
    )
    query_prefix: str | None = None
    passage_prefix: str | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    api_key: str | None = Field(
        default=None,
        description=f"bearer key for the write endpoints: printable ASCII, at least {MIN_KEY_LENGTH} "
        "characters, no surrounding whitespace; unset or empty, writes are off",
    )
    allowed_hosts: Annotated[list[str] | None, NoDecode] = Field(
        default=None,
        description="Host header values the service answers (comma-separated, '*.example.com' for a "
        "domain's subdomains); unset, any host",
    )
    query_cache_size: int = Field(
        default=2048, ge=0, description="query embeddings kept in memory; 0 turns it off"
    )
    max_upload_mb: int = Field(default=50, ge=1, description="upload size limit (413 above it)")
    # What one document may cost once uploaded (docqa.ingest.limits): 413 past a limit, 422 for an
    # overdrawn page, a skipped file in `docqa ingest`. For scale (README): a 300-page Korean
    # report is 592,814 characters (2,340 at most on a page) and 1,423 passages, and took 887-1,465 s
    # on 2 busy cores; the sample corpus's largest file is 61,460 characters and 148 passages.
    max_file_mb: int = Field(
        default=1_024,
        ge=1,
        le=2_047,
        description="size of one file read by `docqa ingest` or an upload, checked before it is read "
        "(MuPDF cannot open a PDF of 2 GiB or more from memory: it crashes)",
    )
    max_pages: int = Field(default=500, ge=1, description="PDF pages per document")
    max_chars: int = Field(default=2_000_000, ge=1, description="characters of extracted text per document")
    max_page_chars: int = Field(
        default=30_000,
        ge=1,
        description="characters of text on one PDF page; more is text drawn over itself (a PDF bomb)",
    )
    max_passages: int = Field(default=5_000, ge=1, description="passages per document")
    max_ingest_seconds: float = Field(
        default=3_600, gt=0, description="working seconds to read, cut and embed one document"
    )
    write_queue: int = Field(
        default=16,
        ge=1,
        description="uploads and deletes the service holds at once (receiving, waiting or running; "
        "they run one at a time); one more is answered 503 with Retry-After",
    )
    write_query_share: float = Field(
        default=0.25,
        gt=0,
        le=1,
        description="while a write runs, the share of one core the searches may take: they run one "
        "at a time and rest between turns, so the write is visible sooner (1: no rest)",
    )

    # Where the index lives (README "Milvus"): local = SQLite + FAISS + bm25s files in data_dir;
    # milvus = Milvus collections (Milvus Lite in data_dir/milvus.db, or a server), no state in the replica
    backend: Literal["local", "milvus"] = Field(default="local", description="local or milvus")
    milvus_uri: str | None = Field(
        default=None,
        description="DOCQA_BACKEND=milvus: a Milvus Lite file (default: milvus.db in the data directory) "
        "or a server, http://host:19530",
    )
    milvus_token: str | None = Field(
        default=None, description="Milvus credentials, 'user:password' or an API key (servers only)"
    )

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

    @field_validator("api_key", mode="after")
    @classmethod
    def _usable_key(cls, value: str | None) -> str | None:
        # The messages never quote the key (hide_input_in_errors keeps pydantic from quoting it too).
        if not value:
            return None  # DOCQA_API_KEY= (empty) is unset: writes are off
        if value != value.strip():
            raise ValueError(
                "DOCQA_API_KEY has leading or trailing whitespace, so no request could ever match it: "
                "remove the whitespace"
            )
        if not all(" " <= ch <= "~" for ch in value):
            raise ValueError(
                "DOCQA_API_KEY must be printable ASCII (an HTTP header cannot carry anything else reliably)"
            )
        if len(value) < MIN_KEY_LENGTH:
            raise ValueError(
                f"DOCQA_API_KEY is {len(value)} characters; it must be at least {MIN_KEY_LENGTH} "
                "(for example: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        return value

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",")]
        return value

    @field_validator("allowed_hosts", mode="after")
    @classmethod
    def _host_patterns(cls, value: list[str] | None) -> list[str] | None:
        hosts = [host.strip().lower() for host in value or () if host.strip()]
        for host in hosts:
            # what Starlette's TrustedHostMiddleware accepts (it asserts otherwise)
            wildcard = host.startswith("*.") or host == "*"
            if "*" in host and not wildcard or "*" in host[1:]:
                raise ValueError(
                    f"DOCQA_ALLOWED_HOSTS: {host!r} is not a host name; a wildcard is only '*' or a "
                    "leading '*.' ('*.example.com')"
                )
            if any(ch in host for ch in "/: ") or not host.isascii():
                raise ValueError(
                    f"DOCQA_ALLOWED_HOSTS: {host!r} is not a host name (no scheme, port or path; "
                    "IDN names in their xn-- form)"
                )
        return hosts or None
