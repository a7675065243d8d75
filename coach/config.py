"""Settings: the only global, read from ``COACH_*`` environment variables (or a ``.env`` file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COACH_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=Path(".coach-data"),
        description="Folder for everything the coach writes (database, Chroma index, caches). "
        "Created on first use.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the relational store, e.g. postgresql+psycopg://u:p@host/db. "
        "Default: a SQLite file coach.db in the data folder.",
    )
    chroma_path: Path | None = Field(
        default=None,
        description="Folder of the embedded Chroma index. Default: chroma/ in the data folder.",
    )
    chroma_url: str | None = Field(
        default=None,
        description="URL of a Chroma server (http://host:port). When set, it is used instead of chroma_path.",
    )
    collection: str = Field(
        default="interaction_chunks", description="Name of the Chroma collection of interaction chunks."
    )
    internal_domains: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="E-mail domains of our own company (comma-separated in the environment). "
        "People with these domains are 'internal'; everyone else in a record is 'customer'.",
    )
    engine: Literal["offline", "llm"] = Field(
        default="offline",
        description="Which engine understands interactions: 'offline' (no key, no network) or 'llm'.",
    )
    brief_engine: Literal["offline", "llm"] | None = Field(
        default=None,
        description="Engine that words prep briefs in the web app and API (default: the engine).",
    )
    llm_model: str = Field(default="gpt-4o-mini", description="Chat model name for the 'llm' engine.")
    llm_provider: str = Field(
        default="openai",
        description="LangChain provider of the chat model (openai, anthropic, ollama, ...; its langchain "
        "integration package must be installed). 'openai' also serves any OpenAI-compatible server.",
    )
    openai_api_key: str | None = Field(
        default=None,
        validation_alias=AliasChoices("COACH_OPENAI_API_KEY", "OPENAI_API_KEY"),
        description="API key of the OpenAI-compatible server (OPENAI_API_KEY works too).",
    )
    openai_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("COACH_OPENAI_BASE_URL", "OPENAI_BASE_URL"),
        description="Base URL of an OpenAI-compatible server (vLLM, Ollama, llama.cpp, LM Studio...).",
    )
    llm_timeout_seconds: float = Field(
        default=60.0, gt=0, description="Seconds before an LLM call counts as failed."
    )
    llm_retries: int = Field(
        default=2,
        ge=0,
        le=6,
        description="Retries the model client makes after a timeout, a dropped connection, a 408/409/429 or a 5xx, "
        "with backoff and the server's Retry-After (then the offline engine answers and says why). Malformed output "
        "is asked for once more regardless.",
    )
    llm_prompt_tokens: int = Field(
        default=6000,
        ge=2500,
        description="Budget of one prompt of the LLM chain, in the chat model's tokens (tiktoken): a longer interaction "
        "is read in parts that fit; an open problem's later interactions are chosen to fit.",
    )
    llm_cassette: Path | None = Field(
        default=None,
        description="A JSONL file of recorded model answers to replay instead of calling the model (tests, "
        "measurement, demos without a key). A prompt with no recorded answer falls back to offline and is counted.",
    )
    llm_cassette_record: bool = Field(
        default=False,
        description="With llm_cassette: append the prompts that have no recorded answer yet, with an empty answer, "
        "for a model or a person to fill in.",
    )
    llm_mask_pii: bool = Field(
        default=True,
        description="Replace e-mail addresses and phone numbers with placeholders before text leaves for the LLM, "
        "and put them back in its answer.",
    )
    embed_batch_size: int = Field(
        default=32, ge=1, le=512, description="Chunks per call of the embedding model."
    )
    chunk_tokens: int = Field(
        default=256,
        ge=32,
        le=256,
        description="Largest chunk, in the embedding model's own tokens (the model reads at most 256).",
    )
    chunk_overlap_tokens: int = Field(
        default=32, ge=0, le=128, description="Tokens of context a chunk repeats from the one before it."
    )
    ingest_batch_records: int = Field(
        default=64, ge=1, description="Records written per transaction during bulk ingest."
    )
    max_text_bytes: int = Field(
        default=1024 * 1024,
        ge=1,
        description="Largest interaction text accepted at ingest, in bytes (a 12,000-word transcript is ~70 kB).",
    )
    brief_prompt_tokens: int = Field(
        default=6000,
        ge=500,
        description="Budget of a prep brief's prompt, in the chat model's tokens (counted with tiktoken). The "
        "least relevant context is left out first; open problems and commitments never are.",
    )
    brief_context_passages: int = Field(
        default=6, ge=0, le=50, description="Passages of the account's history retrieved for a prep brief."
    )
    brief_passage_tokens: int = Field(
        default=70,
        ge=20,
        le=400,
        description="Longest retrieved passage in a brief, in the chat model's tokens.",
    )
    brief_playbook_passages: int = Field(
        default=3, ge=0, le=10, description="Playbook sections retrieved for a prep brief."
    )

    environment: Literal["development", "production"] = Field(
        default="development",
        description="'production' refuses to start the web app without an explicit secret key.",
    )
    secret_key: str | None = Field(
        default=None,
        description="Signs web session cookies. Default in development: a random key kept in the data folder "
        "(secret_key, mode 600). Required in production.",
    )
    api_max_text_bytes: int = Field(
        default=200_000, ge=1, description="Largest note the web form and API accept, in bytes (larger: 413)."
    )
    api_max_batch: int = Field(
        default=100, ge=1, description="Most interactions in one API batch (more: 413)."
    )
    api_max_future_days: int = Field(
        default=1,
        ge=0,
        description="How far in the future an interaction's date may lie (time zones), in days.",
    )
    api_threads: int = Field(
        default=8,
        ge=1,
        le=200,
        description="Requests one API worker handles at once (its thread pool); more wait their turn. Each may hold "
        "two database connections, so the worker's connection pool is twice this.",
    )
    db_pool_size: int | None = Field(
        default=None,
        ge=1,
        description="Database connections each process keeps (default: 2 x COACH_API_THREADS). With PostgreSQL, "
        "workers x pool size must stay under the server's max_connections.",
    )
    sign_in_max_failures: int = Field(
        default=5, ge=1, description="Failed sign-ins for one e-mail address before further tries wait (429)."
    )
    sign_in_max_failures_per_address: int = Field(
        default=30, ge=1, description="Failed sign-ins from one network address before further tries wait."
    )
    sign_in_window_seconds: int = Field(
        default=900, ge=1, description="The window, in seconds, in which failed sign-ins are counted."
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses (or networks) of the reverse proxies whose X-Forwarded-For / X-Forwarded-Proto "
        "headers are believed (comma-separated). Default: none, so a client cannot pick the address the sign-in "
        "limit counts.",
    )
    cookie_secure: bool = Field(
        default=False, description="Send the session cookie over HTTPS only (turn on behind TLS)."
    )

    app_url: str = Field(
        default="http://localhost:8000", description="Public URL of the web app, for links in digests."
    )
    digest_ageing_days: int = Field(
        default=14, ge=1, description="An unaddressed problem this old is 'ageing'."
    )
    portfolio_window_days: int = Field(
        default=90,
        ge=7,
        le=366,
        description="The portfolio weighs each account's effort over this many days, against the same span "
        "before it for the trend.",
    )
    portfolio_renewal_days: int = Field(
        default=120,
        ge=0,
        description="A renewal this many days away or nearer makes an account's case urgent.",
    )
    portfolio_sacred_cow_hours: float = Field(
        default=3.0,
        ge=0,
        description="Hours of our people's time over two portfolio windows from which a recurring meeting to "
        "reinvent or kill is a sacred cow.",
    )
    smtp_host: str | None = Field(
        default=None, description="SMTP server for digests; unset: e-mail is not sent."
    )
    smtp_port: int = Field(default=587, description="SMTP port (587 with STARTTLS).")
    smtp_starttls: bool = Field(default=True, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_username: str | None = Field(default=None, description="SMTP login, if the server wants one.")
    smtp_password: str | None = Field(default=None, description="SMTP password.")
    smtp_ca_file: Path | None = Field(
        default=None, description="CA bundle to verify the SMTP server's certificate."
    )
    smtp_from: str = Field(default="coach@localhost", description="Sender address of digests.")
    smtp_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Seconds before an SMTP step counts as failed."
    )
    slack_webhook_url: str | None = Field(
        default=None, description="Incoming webhook for digests in one channel."
    )
    slack_bot_token: str | None = Field(
        default=None, description="Bot token (xoxb-...): digests as DMs to managers."
    )
    slack_api_url: str = Field(default="https://slack.com/api", description="Slack Web API base URL.")
    slack_signing_secret: str | None = Field(
        default=None, description="Slack app's signing secret (HTTP mode)."
    )
    slack_app_token: str | None = Field(
        default=None, description="Slack app-level token (xapp-...) for Socket Mode."
    )
    coach_api_url: str = Field(
        default="http://127.0.0.1:8000", description="The coach API the Slack bot calls."
    )
    coach_api_token: str | None = Field(
        default=None,
        description="The bot's coach API token: `coach tokens create ADMIN --name slack-bot --delegate`.",
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
        return value

    @field_validator("internal_domains", mode="before")
    @classmethod
    def _split_domains(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part for part in value.replace(";", ",").split(",")]
        if isinstance(value, list):
            return [str(d).strip().lower().lstrip("@") for d in value if str(d).strip()]
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'coach.db').resolve()}"

    @property
    def resolved_pool_size(self) -> int:
        return self.db_pool_size or 2 * self.api_threads

    @property
    def resolved_chroma_path(self) -> Path:
        return self.chroma_path or self.data_dir / "chroma"

    def session_secret(self) -> str:
        """The key that signs session cookies: the setting, or in development one kept in the data folder."""
        if self.secret_key:
            return self.secret_key
        if self.environment == "production":
            raise ValueError(
                "COACH_SECRET_KEY must be set in production (e.g. `python -c "
                "'import secrets; print(secrets.token_urlsafe(48))'`)"
            )
        path = self.ensure_data_dir() / "secret_key"
        if not path.exists():
            import secrets

            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(48))
        return path.read_text().strip()

    def ensure_data_dir(self) -> Path:
        """The data folder, created readable by its owner only (it holds the database and the index)."""
        if not self.data_dir.exists():
            self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.data_dir.chmod(0o700)  # mkdir's mode is masked by the umask; this is not
        return self.data_dir


@lru_cache
def get_settings() -> Settings:
    return Settings()
