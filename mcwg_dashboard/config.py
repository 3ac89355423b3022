"""Settings, read once from the environment (prefix MCWG_)."""

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MCWG_")

    # None means the embedded SQLite file under data/: the only database demo data loads into by itself.
    database_url: str | None = None
    data_dir: Path = PROJECT_ROOT / "data"
    surveys_dir: Path = PROJECT_ROOT / "surveys"
    # Behind a reverse proxy every browser has the proxy's address: count failed sign-ins against the first
    # X-Forwarded-For address instead. Only set this when a proxy you run sets that header (MCWG_BEHIND_PROXY=1).
    behind_proxy: bool = False
    # Reminders go out through this mail server when set (smtp://user:password@host:587, or smtps://host:465);
    # without it the focus group sends them from its own mail client (a ready mailto: link).
    smtp_url: str | None = None
    # The reminders' sender address (default: the SMTP user name when it is an address).
    mail_from: str = ""

    @property
    def is_embedded_default(self) -> bool:
        return self.database_url is None

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'mcwg.sqlite3'}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
