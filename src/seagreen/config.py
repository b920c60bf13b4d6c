"""Runtime settings, read from the environment (prefix ``SEAGREEN_``) and an optional ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the platform reads from its environment.

    Secrets have no defaults in code: when they are not given, ``seagreen.kit.keys`` creates a
    private key file on first use (development); production sets them in the environment.
    """

    model_config = SettingsConfigDict(env_prefix="SEAGREEN_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///var/seagreen.db"
    key_file: Path = Path("var/keys.json")
    session_secret: SecretStr | None = None
    pii_hash_key: SecretStr | None = None
    pii_encryption_key: SecretStr | None = None

    default_locale: str = "zh-CN"
    timezone: str = "Asia/Shanghai"
    session_hours: int = 12
    secure_cookies: bool = False
    sql_echo: bool = False

    # Personal carbon account II (docs/operator/benefits-and-residents.md)
    points_expiry_months: int = 12  # points expire at the end of the 12th month after earning; 0: never
    otp_sender: str = "log"  # "log" writes residents' sign-in codes to the server log (demo, development)
    run_jobs: bool = False  # run the periodic jobs (expiry, vouchers, statistics) inside the web app
    jobs_interval_s: int = 300


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once on first call (never at import time)."""
    return Settings()
