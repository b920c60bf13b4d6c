"""Parameter sets: every published file is unchanged since publication; a set names each value's
source and mark; a malformed set is refused with every problem named."""

from __future__ import annotations

import pytest

from seagreen.registry import service
from seagreen.registry.domain.parameters import MARKS, ParameterSetError, parse_parameter_set
from seagreen.registry.errors import ParameterSetConflict
from seagreen.registry.service import methodologies


@pytest.mark.parametrize("entry", methodologies.published_sets(), ids=lambda e: f"{e.code}-{e.version}")
def test_every_published_parameter_set_is_unchanged_since_publication(entry):
    parsed = parse_parameter_set(entry.file.read_bytes())
    assert parsed.sha256 == entry.sha256, f"{entry.file.name} changed: publish a new version instead"
    assert (parsed.code, parsed.version) == (entry.code, entry.version)


def test_every_value_names_its_source_and_a_known_mark():
    for entry in methodologies.published_sets():
        parsed = methodologies.shipped_parameter_set(entry.code, entry.version)
        for parameter in parsed.parameters.values():
            assert parameter.source and parameter.mark in MARKS
        for species in parsed.species.values():
            assert species.source and species.mark in MARKS


def test_the_seagrass_set_is_marked_as_a_reconstruction():
    seagrass = methodologies.shipped_parameter_set("seagrass-shandong")
    assert seagrass.status == "reconstruction"
    assert seagrass.species["zostera_marina"].mark == "estimate"
    assert seagrass.parameters["ch4_default_high_salinity"].mark == "verified"


def test_a_changed_shipped_file_is_refused(tmp_path, monkeypatch):
    entry = methodologies.published_sets()[0]
    changed = tmp_path / entry.file.name
    changed.write_bytes(entry.file.read_bytes().replace(b'"0.6510"', b'"0.6600"'))
    monkeypatch.setattr(methodologies, "PARAMETERS_DIR", tmp_path)
    methodologies.shipped_parameter_set.cache_clear()
    try:
        with pytest.raises(ParameterSetConflict, match="publish a new version"):
            methodologies.shipped_parameter_set(entry.code, entry.version)
    finally:
        methodologies.shipped_parameter_set.cache_clear()


def test_loading_the_shipped_sets_twice_changes_nothing(session):
    service.load_shipped(session)
    assert service.load_shipped(session).endswith("up to date")


def test_a_set_altered_in_the_database_is_refused(session):
    from sqlalchemy import text

    service.load_shipped(session)
    assert service.parameter_set(session, "seagrass-shandong").version == "r1"
    if session.get_bind().dialect.name == "postgresql":  # someone with the owner's rights, behind the trigger
        session.execute(text("DROP TRIGGER registry_parameter_sets_append_only ON registry_parameter_sets"))
    else:
        session.execute(text("DROP TRIGGER registry_parameter_sets_no_update"))
    session.execute(text("UPDATE registry_parameter_sets SET content = replace(content, '0.0056', '0.0001')"))
    with pytest.raises(ParameterSetConflict, match="altered"):
        service.parameter_set(session, "seagrass-shandong")


HEAD = 'code = "ok-set"\nversion = "1"\nmethodologies = ["a"]\n'


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('code = "x!"\nversion = "1"\nmethodologies = ["a"]\n', "lower-case code"),
        ('code = "ok-set"\nversion = "1"\nmethodologies = []\n', "at least one methodology"),
        (HEAD + '[parameters.p]\nvalue = "1"\nmark = "guess"\nsource = "s"\n', "mark"),
        (HEAD + '[parameters.p]\nvalue = "1"\nmark = "estimate"\n', "names its source"),
        (HEAD + '[parameters.p]\nvalue = 0.1\nmark = "estimate"\nsource = "s"\n', "decimal string"),
    ],
)
def test_a_malformed_parameter_set_is_refused(text, problem):
    with pytest.raises(ParameterSetError, match=problem):
        parse_parameter_set(text.encode())
