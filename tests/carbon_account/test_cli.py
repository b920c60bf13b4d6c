"""``seagreen behaviours``: the names and JSON keys operators script against.

These run the real commands against a fresh SQLite file of their own (a command commits, so it
cannot share the rolled-back test database).
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from typer.testing import CliRunner

from seagreen.cli import app
from tests.factories.carbon_account import catalogue_csv, catalogue_row, write_text

runner = CliRunner()


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'cli.db'}"
    result = runner.invoke(app, ["init", "--db", url])
    assert result.exit_code == 0, result.output
    assert "behaviour catalogue: loaded weihai-v1 (29 behaviours)" in result.output
    return url


def test_behaviours_json_has_the_scripted_keys(db_url):
    result = runner.invoke(app, ["behaviours", "--db", db_url, "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["g_per_point"] == 100
    assert body["version"] == "weihai-v1"
    assert len(body["behaviours"]) == 29
    bus = next(item for item in body["behaviours"] if item["code"] == "bus_trip")
    assert {"code", "unit", "factor_g_per_unit", "daily_cap_g", "monthly_cap_g", "partner_kinds"} <= set(bus)
    assert {"name_zh", "name_en", "dimension", "source", "factor_status"} <= set(bus)
    assert bus["factor_g_per_unit"] == "100"
    assert bus["partner_kinds"] == ["clearing", "transit"]
    assert (bus["dimension"], bus["dimension_zh"], bus["dimension_en"]) == ("travel", "出行", "Travel")
    walking = next(item for item in body["behaviours"] if item["code"] == "walking_steps")
    assert walking["factor_g_per_unit"] == "0.02"  # a string, so the Decimal stays exact


def test_behaviours_without_json_prints_a_table(db_url):
    result = runner.invoke(app, ["behaviours", "--db", db_url], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "bus_trip" in result.output and "公交出行" in result.output


def test_publish_then_the_new_version_is_listed(db_url, tmp_path):
    path = write_text(tmp_path / "v2.csv", catalogue_csv([catalogue_row(factor_g_per_unit="110")]))
    start = (date.today() + timedelta(days=40)).replace(day=1)  # a first of a month, always ahead
    args = ["behaviours", "publish", str(path), "--effective-from", start.isoformat()]
    result = runner.invoke(app, [*args, "--code", "weihai-v2", "--g-per-point", "100", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "published weihai-v2" in result.output
    listed = runner.invoke(app, ["behaviours", "versions", "--db", db_url, "--json"])
    assert [v["code"] for v in json.loads(listed.output)] == ["weihai-v1", "weihai-v2"]
    future = runner.invoke(app, ["behaviours", "--db", db_url, "--json", "--at", start.isoformat()])
    assert json.loads(future.output)["version"] == "weihai-v2"


def test_publish_with_a_bad_file_exits_non_zero_and_names_the_row(db_url, tmp_path):
    path = write_text(tmp_path / "bad.csv", catalogue_csv([catalogue_row(factor_g_per_unit="many")]))
    args = ["behaviours", "publish", str(path), "--effective-from", "2099-01-01", "--code", "bad-v9"]
    result = runner.invoke(app, [*args, "--g-per-point", "100", "--db", db_url])
    assert result.exit_code == 1
    assert "row 2, factor_g_per_unit" in result.output
