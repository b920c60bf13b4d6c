"""Retirement certificates: their content, the signature, the PDF, and verification."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from seagreen.kit.clock import from_micros
from seagreen.kit.keys import Keys
from seagreen.kit.pdf import CertificateDocument, render_certificate
from seagreen.registry.domain.certificates import CERTIFICATE_TYPE
from seagreen.registry.domain.serials import REGISTRY_CODE
from seagreen.registry.errors import RetirementNotFound
from seagreen.registry.repository import blocks as repository
from seagreen.registry.schemas import PublicKeyRead, VerificationRead
from seagreen.registry.signing import PublicKey, Signer, verify_text

REGISTRY_NAME_ZH = "海绿·威海海洋碳汇登记簿"
REGISTRY_NAME_EN = "SeaGreen Weihai ocean carbon-sink registry"


def signer(keys: Keys) -> Signer:
    return Signer(keys.registry_signing_key)


def public_key(keys: Keys) -> PublicKeyRead:
    key = signer(keys).public_key
    return PublicKeyRead(key_id=key.key_id, public_key_base64=key.base64, public_key_pem=key.pem)


@dataclass(frozen=True)
class CertificateFacts:
    number: str
    retired_at: datetime
    quantity: int
    retired_by: str
    retired_by_name: str
    beneficiary_name: str
    beneficiary_org: str | None
    purpose: str
    claim_start: date | None
    claim_end: date | None
    project: dict[str, Any]
    serials: list[dict[str, Any]]
    ledger_key: str
    ledger_seq: int | None


def content(facts: CertificateFacts) -> dict[str, Any]:
    """What the certificate says; every value text or an integer, so it hashes the same anywhere."""
    return {
        "type": CERTIFICATE_TYPE,
        "number": facts.number,
        "registry": {"code": REGISTRY_CODE, "name_zh": REGISTRY_NAME_ZH, "name_en": REGISTRY_NAME_EN},
        "retired_at": facts.retired_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "quantity_tco2e": facts.quantity,
        "retired_by": {"org_code": facts.retired_by, "name": facts.retired_by_name},
        "beneficiary": {"name": facts.beneficiary_name, "org_code": facts.beneficiary_org},
        "purpose": facts.purpose,
        "claim_period": (
            {"start": facts.claim_start.isoformat(), "end": facts.claim_end.isoformat()}
            if facts.claim_start and facts.claim_end
            else None
        ),
        "project": facts.project,
        "serials": facts.serials,
        "ledger": {"transfer_key": facts.ledger_key, "seq": facts.ledger_seq},
    }


def _row(session: Session, number: str) -> Any:
    row = repository.retirement_by_number(session, number.strip())
    if row is None:
        raise RetirementNotFound(f"no retirement certificate {number!r}", number=number)
    return row


def certificate_json(session: Session, number: str) -> str:
    """The signed certificate exactly as it was issued."""
    return str(_row(session, number).certificate_json)


def certificate_pdf(session: Session, number: str, keys: Keys) -> bytes:
    """The certificate as a PDF (deterministic bytes), with the signature and how to check it."""
    document = json.loads(certificate_json(session, number))
    return render_pdf(document, signer(keys).public_key)


def render_pdf(document: dict[str, Any], key: PublicKey) -> bytes:
    body, signature = document["certificate"], document["signature"]
    claim = body.get("claim_period")
    project = body["project"]
    serial_lines = "\n".join(f"{s['block']}（{s['quantity']} t）" for s in body["serials"])
    fields = [
        ("证书编号 No.", body["number"]),
        ("注销数量 Quantity", f"{body['quantity_tco2e']} 吨二氧化碳当量 t CO2e"),
        ("受益方 Beneficiary", body["beneficiary"]["name"]),
        ("用途 Purpose", body["purpose"]),
        ("声明期间 Claim period", f"{claim['start']} — {claim['end']}" if claim else "—"),
        ("注销方 Retired by", f"{body['retired_by']['name']} ({body['retired_by']['org_code']})"),
        ("项目 Project", f"{project['code']} {project['name_zh']}"),
        ("方法学 Methodology", f"{project['methodology']} v{project['methodology_version']}"),
        ("序列号 Serials", serial_lines),
        ("注销时间 Retired at", body["retired_at"]),
        ("账本 Ledger", f"{body['ledger']['transfer_key']} · seq {body['ledger']['seq']}"),
    ]
    footer = [
        f"Ed25519 签名 signature ({signature['key_id']}): {signature['value']}",
        f"登记簿公钥 Registry public key: {key.base64}",
        "核验 Verify: seagreen registry verify-certificate <file.json>，"
        "或在平台 /registry/verify 上传 JSON 证书。",
        "本证书的 JSON 版本为权威版本；PDF 供阅读。"
        "The signed JSON is authoritative; this PDF is for reading.",
    ]
    return render_certificate(
        CertificateDocument(
            title="海洋碳汇注销证明",
            subtitle=f"Ocean carbon-sink retirement certificate · {REGISTRY_NAME_ZH}",
            fields=fields,
            footer=footer,
        )
    )


def verify(text: str | bytes, keys: Keys | None = None, *, key: PublicKey | None = None) -> VerificationRead:
    """Check a certificate against the registry's public key (or the one given)."""
    if key is None:
        assert keys is not None
        key = signer(keys).public_key
    result = verify_text(text, key)
    return VerificationRead(
        valid=result.valid, reason=result.reason, key_id=result.key_id, certificate=result.certificate
    )


def retired_at(row: Any) -> datetime:
    return from_micros(int(row.retired_at_us))
