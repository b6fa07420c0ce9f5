import pytest

from tests.factories import make_user


def test_home_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_home_shows_the_counts_and_the_loop(client):
    client.force_login(make_user("reader"))
    page = client.get("/").content.decode()
    assert "0</span> dialogue lines" in page
    assert 'href="/corpus/review/"' in page and 'href="/api/docs/"' in page
