import pytest
from django.test import override_settings


@pytest.mark.django_db
def test_healthz_is_ok_when_database_and_broker_answer(client, redis_url):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": True, "broker": True}


@pytest.mark.django_db
def test_healthz_names_the_broker_when_it_is_down(client):
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0"):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["down"] == ["broker"]
    assert "broker" in response.json()["message"]


def test_home_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_home_shows_the_counts_and_the_loop(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("reader", password="pw-for-tests"))
    page = client.get("/").content.decode()
    assert "0</span> dialogue lines" in page
    assert 'href="/corpus/review/"' in page and 'href="/api/docs/"' in page
