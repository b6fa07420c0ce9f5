"""The export page of a model version: who may download, and what it offers."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.urls import reverse

from tests.factories import client_for, make_user, make_version

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # most use the trained adapter


def _url(version, **query: str) -> str:
    url = reverse("training:version_export", args=[version.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.mark.parametrize("role", ["plain", "reviewer"])
def test_the_export_page_and_downloads_refuse_users_without_the_export_role(role, trained_adapter):
    version = make_version(adapter_dir=str(trained_adapter))
    client = client_for(make_user(f"u-{role}", role))
    for url in (_url(version), _url(version, download="adapter")):
        response = client.get(url)
        assert response.status_code == 403
        assert "Can export data sets" in response.content.decode()


def test_anonymous_users_are_sent_to_log_in(client, trained_adapter):
    version = make_version(adapter_dir=str(trained_adapter))
    response = client.get(_url(version, download="adapter"))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("role", ["exporter", "staff"])
def test_exporters_and_staff_download_the_adapter_as_a_zip(role, trained_adapter):
    version = make_version(adapter_dir=str(trained_adapter))
    client = client_for(make_user(f"u-{role}", role))
    page = client.get(_url(version)).content.decode()
    assert "Download adapter" in page and f"export_model --version {version.pk} --format gguf" in page
    response = client.get(_url(version, download="adapter"))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as zf:
        names = zf.namelist()
    assert any(n.endswith("/adapter_model.safetensors") for n in names)
    assert any(n.endswith("/EXPORT.md") for n in names)


def test_the_versions_page_links_to_the_export_page_for_exporters_only(trained_adapter):
    version = make_version(adapter_dir=str(trained_adapter))
    link = _url(version)
    assert link in client_for(make_user("ex", "exporter")).get(reverse("training:versions")).content.decode()
    assert (
        link not in client_for(make_user("rv", "reviewer")).get(reverse("training:versions")).content.decode()
    )


def test_bad_downloads_are_clear_client_errors(tmp_path):
    version = make_version(adapter_dir=str(tmp_path / "gone"))
    client = client_for(make_user("ex", "exporter"))
    assert client.get(_url(version, download="tar")).status_code == 400
    missing = client.get(_url(version, download="adapter"))
    assert missing.status_code == 404 and "no adapter on disk" in missing.content.decode()
    assert client.get(_url(version, download="merged")).status_code == 404
    assert "has no adapter on disk" in client.get(_url(version)).content.decode()


def test_an_export_the_command_made_is_offered_for_download(trained_adapter):
    from django.core.management import call_command

    version = make_version(adapter_dir=str(trained_adapter))
    call_command(
        "export_model",
        "--version",
        str(version.pk),
        "--format",
        "adapter",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    client = client_for(make_user("ex", "exporter"))
    assert "Download adapter (.zip," in client.get(_url(version)).content.decode()
