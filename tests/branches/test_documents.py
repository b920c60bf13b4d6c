"""Uploaded materials: checked by what they are, kept by their SHA-256, read only by those who may."""

from __future__ import annotations

import hashlib

import pytest

from seagreen.branches import service
from seagreen.branches.errors import DocumentDamaged, DocumentInvalid, DocumentNotFound
from tests.factories.branches import actor_for, docx_bytes, draft, files, pdf_bytes, png_bytes, submitted


def attach(world, application_id, *uploads):
    return service.attach_documents(
        world.session,
        world.bank,
        application_id,
        files(world, *uploads),
        actor=actor_for(world.bank),
        now=world.now,
    )


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("materials.pdf", b"<html><script>alert(1)</script></html>", "not an accepted type"),
        ("materials.pdf", b"", "empty"),
        ("photo.jpg", png_bytes(), "content is PNG"),
        ("report.docx", pdf_bytes(), "content is PDF"),
        ("archive.zip", b"PK\x03\x04" + b"\x00" * 40, "not an accepted type"),
        ("program.exe", b"MZ\x90\x00" + b"\x00" * 40, "not an accepted type"),
    ],
)
def test_an_upload_is_judged_by_its_content_not_its_name(world, name, data, reason):
    application = draft(world, uploads=False)
    with pytest.raises(DocumentInvalid, match=reason):
        attach(world, application.id, service.Upload(name, data))


def test_too_large_is_refused_and_nothing_of_the_batch_is_kept(world):
    application = draft(world, uploads=False)
    world.max_bytes = 1000
    with pytest.raises(DocumentInvalid, match="larger than"):
        attach(
            world,
            application.id,
            service.Upload("a.pdf", pdf_bytes()),
            service.Upload("b.pdf", b"%PDF-" + b"x" * 1000),
        )
    assert service.get_application(world.session, world.bank, application.id).documents == []


def test_accepted_files_are_kept_with_their_hash_and_a_safe_name(world):
    application = draft(world, uploads=False)
    kept = attach(
        world,
        application.id,
        service.Upload("../../etc/说明.pdf", pdf_bytes("one")),
        service.Upload("台账.docx", docx_bytes()),
        service.Upload("照片.png", png_bytes()),
    )
    assert [d.filename for d in kept] == ["说明.pdf", "台账.docx", "照片.png"]
    assert kept[0].media_type == "application/pdf"
    assert kept[0].sha256 == hashlib.sha256(pdf_bytes("one")).hexdigest()
    row, data = service.read_document(world.session, world.store, world.bank, kept[0].id)
    assert data == pdf_bytes("one") and row.storage_key.endswith(kept[0].sha256)


def test_documents_are_never_served_to_another_organisation(world):
    application = submitted(world)
    document_id = application.documents[0].id
    assert service.read_document(world.session, world.store, world.authority("auth-pbc"), document_id)[1]
    assert service.read_document(world.session, world.store, world.admin, document_id)[1]
    for viewer in (world.other_bank, service.viewer_for(world.session, None, [])):
        with pytest.raises(DocumentNotFound):
            service.read_document(world.session, world.store, viewer, document_id)


def test_a_drafts_documents_stay_with_the_bank(world):
    application = draft(world)
    with pytest.raises(DocumentNotFound):
        service.read_document(
            world.session, world.store, world.authority("auth-pbc"), application.documents[0].id
        )


def test_a_file_changed_on_disk_is_detected(world):
    application = submitted(world)
    row, _ = service.read_document(world.session, world.store, world.bank, application.documents[0].id)
    (world.store.root / row.storage_key).write_bytes(b"%PDF-1.4 tampered")
    with pytest.raises(DocumentDamaged, match="SHA-256"):
        service.read_document(world.session, world.store, world.bank, application.documents[0].id)
    (world.store.root / row.storage_key).unlink()
    with pytest.raises(DocumentDamaged, match="missing"):
        service.read_document(world.session, world.store, world.bank, application.documents[0].id)
