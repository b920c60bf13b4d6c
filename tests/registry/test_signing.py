"""The registry's signing key: from the environment in production, created beside the other dev
keys on first use (added to an older key file), and certificates that verify only unchanged."""

from __future__ import annotations

import base64
import json
import os
import stat

import pytest

from seagreen.config import Settings
from seagreen.kit.keys import load_keys
from seagreen.registry.domain.certificates import CERTIFICATE_TYPE
from seagreen.registry.signing import PublicKey, Signer, verify, verify_text

CERTIFICATE = {
    "type": CERTIFICATE_TYPE,
    "number": "SGWH-R-2026-000001",
    "quantity_tco2e": 5,
    "purpose": "网点碳中和",
}


def test_a_dev_machine_gets_a_signing_key_on_first_use_and_keeps_it(tmp_path):
    settings = Settings(key_file=tmp_path / "keys.json")
    first = load_keys(settings)
    assert len(base64.b64decode(first.registry_signing_key)) == 32
    assert stat.S_IMODE(os.stat(settings.key_file).st_mode) == 0o600
    assert load_keys(settings).registry_signing_key == first.registry_signing_key


def test_an_older_key_file_gets_the_signing_key_added_and_keeps_its_other_keys(tmp_path):
    path = tmp_path / "keys.json"
    old = {
        "session_secret": "s" * 40,
        "pii_hash_key": "h" * 40,
        "pii_encryption_key": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    }
    path.write_text(json.dumps(old))
    keys = load_keys(Settings(key_file=path))
    stored = json.loads(path.read_text())
    assert {k: stored[k] for k in old} == old and stored["registry_signing_key"] == keys.registry_signing_key
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_production_takes_the_signing_key_from_the_environment(tmp_path):
    seed = base64.b64encode(bytes(32)).decode()
    settings = Settings(
        key_file=tmp_path / "never.json",
        session_secret="x" * 40,
        pii_hash_key="y" * 40,
        pii_encryption_key="MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        registry_signing_key=seed,
    )
    assert load_keys(settings).registry_signing_key == seed
    assert not (tmp_path / "never.json").exists()


def test_a_signed_certificate_verifies_and_any_change_breaks_it():
    signer = Signer(base64.b64encode(os.urandom(32)).decode())
    signed, text = signer.sign_to_text(CERTIFICATE)
    assert json.loads(text) == signed
    assert verify(signed, signer.public_key).valid
    assert verify_text(
        json.dumps(signed, indent=4, ensure_ascii=True), signer.public_key
    ).valid  # any formatting
    changed = json.loads(text)
    changed["certificate"]["quantity_tco2e"] = 50
    assert not verify(changed, signer.public_key).valid


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (
            {
                "certificate": {"type": "other"},
                "signature": {"algorithm": "Ed25519", "key_id": "k", "value": "v"},
            },
            "not a SeaGreen",
        ),
        ({"certificate": CERTIFICATE}, "expected the keys"),
        (
            {"certificate": CERTIFICATE, "signature": {"algorithm": "RSA", "key_id": "k", "value": "v"}},
            "unsupported",
        ),
        ([1, 2], "not a JSON object"),
    ],
)
def test_a_document_that_is_not_a_certificate_is_said_to_be_so(document, reason):
    signer = Signer(base64.b64encode(bytes(range(32))).decode())
    result = verify(document, signer.public_key)
    assert not result.valid and reason in result.reason


def test_a_certificate_signed_by_another_key_is_refused_by_key_id():
    ours, theirs = (Signer(base64.b64encode(os.urandom(32)).decode()) for _ in range(2))
    result = verify(theirs.sign(CERTIFICATE), ours.public_key)
    assert not result.valid and theirs.public_key.key_id in result.reason


def test_the_public_key_reads_back_from_pem_and_base64():
    signer = Signer(base64.b64encode(os.urandom(32)).decode())
    key = signer.public_key
    assert PublicKey.parse(key.pem) == key == PublicKey.parse(key.base64)
    with pytest.raises(ValueError):
        PublicKey.parse("c2hvcnQ=")
