"""``seagreen registry``: the offline calculator, certificate verification with the published key,
the public key, and the consistency check."""

from __future__ import annotations

import base64
import json

from typer.testing import CliRunner

from seagreen.cli import app
from seagreen.registry import service
from seagreen.registry.service.methodologies import DEMO_DIR
from seagreen.registry.signing import Signer
from tests.factories.registry import SIGNER, make_cast, oyster_project_with_credits, retirement

runner = CliRunner()


def test_calculate_prints_the_receipt_as_json():
    result = runner.invoke(
        app,
        [
            "registry",
            "calculate",
            "--methodology",
            "seagrass-restoration",
            "--inputs",
            str(DEMO_DIR / "rongcheng-seagrass-2021-2023.json"),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    receipt = json.loads(result.output)
    assert receipt["result_tco2e"] == "338.700"
    assert receipt["methodology_version"] == "1.0.0"
    assert len(receipt["inputs_sha256"]) == 64 and receipt["issuable_t"] == 338


def test_calculate_names_every_bad_field_and_exits_1(tmp_path):
    inputs = tmp_path / "bad.json"
    inputs.write_text('{"culture": "non-fed", "harvests": [{"species": "oyster", "fresh_weight_t": "65%"}]}')
    result = runner.invoke(
        app, ["registry", "calculate", "--methodology", "shellfish-csc", "--inputs", str(inputs)]
    )
    assert result.exit_code == 1
    assert "harvests[0].fresh_weight_t" in result.output and "not a number" in result.output


def test_calculate_refuses_a_file_that_is_not_json(tmp_path):
    inputs = tmp_path / "bad.json"
    inputs.write_text("harvest: 10")
    result = runner.invoke(
        app, ["registry", "calculate", "--methodology", "shellfish-csc", "--inputs", str(inputs)]
    )
    assert result.exit_code == 1 and "not JSON" in result.output


def test_verify_certificate_works_offline_with_the_published_key(session, tmp_path):
    cast = make_cast(session)
    code, _ = oyster_project_with_credits(session, cast)
    [done] = service.move(session, [retirement("r", code, 3)], actor=cast.owner_actor, signer=SIGNER)
    document = tmp_path / "certificate.json"
    document.write_text(service.certificate_json(session, done.retirement_number), encoding="utf-8")
    key = tmp_path / "registry.pem"
    key.write_text(SIGNER.public_key.pem)

    valid = runner.invoke(app, ["registry", "verify-certificate", str(document), "--public-key", str(key)])
    assert valid.exit_code == 0 and "valid" in valid.output and done.retirement_number in valid.output
    as_base64 = runner.invoke(
        app,
        ["registry", "verify-certificate", str(document), "--public-key", SIGNER.public_key.base64, "--json"],
    )
    assert json.loads(as_base64.output)["valid"] is True

    document.write_text(
        document.read_text(encoding="utf-8").replace('"quantity_tco2e":3', '"quantity_tco2e":30'),
        encoding="utf-8",
    )
    tampered = runner.invoke(app, ["registry", "verify-certificate", str(document), "--public-key", str(key)])
    assert tampered.exit_code == 1 and "NOT VALID" in tampered.output and "altered" in tampered.output


def test_verify_certificate_refuses_another_registrys_key(session, tmp_path):
    cast = make_cast(session)
    code, _ = oyster_project_with_credits(session, cast)
    [done] = service.move(session, [retirement("r", code, 2)], actor=cast.owner_actor, signer=SIGNER)
    document = tmp_path / "certificate.json"
    document.write_text(service.certificate_json(session, done.retirement_number), encoding="utf-8")
    other = Signer(base64.b64encode(bytes(32)).decode()).public_key.base64
    result = runner.invoke(app, ["registry", "verify-certificate", str(document), "--public-key", other])
    assert result.exit_code == 1 and "not with this registry's key" in result.output


def test_public_key_prints_base64_or_pem(cli_key_file):
    plain = runner.invoke(app, ["registry", "public-key"])
    pem = runner.invoke(app, ["registry", "public-key", "--pem"])
    assert plain.exit_code == 0 and len(plain.output.strip()) == 44
    assert pem.output.startswith("-----BEGIN PUBLIC KEY-----")


def test_verify_reports_a_consistent_registry(database_url):
    result = runner.invoke(app, ["registry", "verify", "--db", database_url, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] is True and report["problems"] == []
