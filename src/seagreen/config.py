"""Runtime settings, read from the environment (prefix ``SEAGREEN_``) and an optional ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

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
    registry_signing_key: SecretStr | None = None  # Ed25519 seed (base64) signing retirement certificates
    registry_holidays_file: Path | None = None  # replaces the shipped public-holiday list (registry notices)

    default_locale: str = "zh-CN"
    timezone: str = "Asia/Shanghai"
    session_hours: int = 12
    secure_cookies: bool = False
    sql_echo: bool = False

    # Uploaded documents (seagreen.kit.storage): a local directory, or an S3-compatible bucket
    # (``pip install 'seagreen[s3]'``; credentials from boto3's usual environment, never from here).
    upload_dir: Path | None = None  # default: uploads/ beside the key file (var/uploads)
    upload_max_bytes: int = 10 * 1024 * 1024
    storage_backend: Literal["local", "s3"] = "local"
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_prefix: str = "seagreen/"

    # Email (seagreen.kit.mail): "log" appends messages to mail_log_file; "smtp" sends them.
    mail_backend: Literal["log", "smtp"] = "log"
    mail_log_file: Path | None = None  # default: mail.log beside the key file (var/mail.log)
    mail_from: str = "SeaGreen <noreply@seagreen.invalid>"
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_timeout_seconds: int = 30

    # Green sub-branch recognition (seagreen.branches): see docs/operator/green-branches.md.
    branches_authorities: list[str] = ["wh-finance-bureau", "pbc-weihai", "nfra-weihai"]
    branches_lead_authority: str = "wh-finance-bureau"
    branches_appeal_days: int = 30
    branches_reminder_days: list[int] = [30, 14, 3]
    branches_more_info_days: int = 15
    branches_number_prefix: str = "WHGB"

    @property
    def upload_path(self) -> Path:
        return self.upload_dir or self.key_file.parent / "uploads"

    @property
    def mail_log_path(self) -> Path:
        return self.mail_log_file or self.key_file.parent / "mail.log"

    # Personal carbon account II (docs/operator/benefits-and-residents.md)
    points_expiry_months: int = 12  # points expire at the end of the 12th month after earning; 0: never
    otp_sender: str = "log"  # "log" writes residents' sign-in codes to the server log (demo, development)
    run_jobs: bool = False  # run the periodic jobs (expiry, vouchers, statistics) inside the web app
    jobs_interval_s: int = 300
    # the real-time API's points reach the residents' wallets in rounds this far apart, posted by a
    # thread of the web app for every request of the round at once; 0: each request posts its own
    # before it answers (docs/decisions/0035)
    points_settle_delay_ms: int = 500


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once on first call (never at import time)."""
    return Settings()
