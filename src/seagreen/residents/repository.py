"""All SQL of residents' sign-in codes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from seagreen.residents.models import LoginCodeRow


def phone_requests_since(session: Session, phone_hash: str, since_us: int) -> list[int]:
    return [
        int(at)
        for at in session.scalars(
            select(LoginCodeRow.created_at_us).where(
                LoginCodeRow.phone_hash == phone_hash, LoginCodeRow.created_at_us > since_us
            )
        )
    ]


def client_requests_since(session: Session, client_hash: str, since_us: int) -> list[int]:
    return [
        int(at)
        for at in session.scalars(
            select(LoginCodeRow.created_at_us).where(
                LoginCodeRow.client_hash == client_hash, LoginCodeRow.created_at_us > since_us
            )
        )
    ]


def insert_code(session: Session, **values: Any) -> None:
    session.execute(insert(LoginCodeRow), [values])


def latest_open_code(session: Session, phone_hash: str, now_us: int) -> LoginCodeRow | None:
    """The newest code sent to this phone that is neither used nor expired (locked for update)."""
    return session.scalars(
        select(LoginCodeRow)
        .where(
            LoginCodeRow.phone_hash == phone_hash,
            LoginCodeRow.code_digest.is_not(None),
            LoginCodeRow.consumed_at_us.is_(None),
            LoginCodeRow.expires_at_us > now_us,
        )
        .order_by(LoginCodeRow.created_at_us.desc(), LoginCodeRow.id.desc())
        .limit(1)
        .with_for_update()
    ).first()


def count_attempt(session: Session, code_id: int) -> None:
    session.execute(
        update(LoginCodeRow).where(LoginCodeRow.id == code_id).values(attempts=LoginCodeRow.attempts + 1)
    )


def consume(session: Session, phone_hash: str, now_us: int) -> None:
    """Use up every open code of this phone (a code works once; older ones die with it)."""
    session.execute(
        update(LoginCodeRow)
        .where(LoginCodeRow.phone_hash == phone_hash, LoginCodeRow.consumed_at_us.is_(None))
        .values(consumed_at_us=now_us)
    )


def delete_older_than(session: Session, before_us: int) -> int:
    result = session.execute(delete(LoginCodeRow).where(LoginCodeRow.created_at_us < before_us))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
