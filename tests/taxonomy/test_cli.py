"""``seagreen taxonomy``: import, classify a text and a file, export, evaluate."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from seagreen.cli import app
from seagreen.db.engine import make_engine
from seagreen.db.migrate import upgrade
from tests.factories.taxonomy import edited_catalogue, loan_book_csv

runner = CliRunner()


@pytest.fixture()
def db(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    assert runner.invoke(app, ["init", "--db", url]).exit_code == 0
    return url


def test_classify_a_text_as_json(db):
    result = runner.invoke(
        app, ["taxonomy", "classify", "--text", "海上风电场建设", "--industry", "4415", "--json", "--db", db]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["decision"] == "blue" and body["code"] == "4.2.1"


def test_classify_a_loan_book_into_a_file_with_a_summary(db, tmp_path):
    book = tmp_path / "book.csv"
    book.write_bytes(loan_book_csv())
    out = tmp_path / "out.xlsx"
    result = runner.invoke(app, ["taxonomy", "classify", str(book), "--out", str(out), "--db", db])
    assert result.exit_code == 0, result.output
    assert out.exists() and out.stat().st_size > 0
    assert "海上清洁能源产业" in result.output and "1500000.50" in result.output


def test_export_is_marked_and_import_refuses_a_broken_file(db, tmp_path):
    exported = runner.invoke(app, ["taxonomy", "export", "--json", "--db", db])
    assert json.loads(exported.output)["reconstruction"] is True
    broken = tmp_path / "broken.csv"
    broken.write_bytes(edited_catalogue(lambda rows: rows[:-1]))
    result = runner.invoke(app, ["taxonomy", "import", str(broken), "--code", "bad-v1", "--db", db])
    assert result.exit_code == 1
    assert "84 level-3 items" in result.output


def test_evaluate_prints_the_figures(db):
    result = runner.invoke(app, ["taxonomy", "evaluate", "--json", "--db", db])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["all"]["level1_top1_accuracy"]["rate"] >= 0.9
