import pytest

from tests.factories import make_user


def test_home_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_home_shows_the_counts_and_the_loop(client):
    client.force_login(make_user("reader", "reviewer"))
    page = client.get("/").content.decode()
    assert "0</span> dialogue lines" in page
    assert 'href="/corpus/review/"' in page and 'href="/api/docs/"' in page


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["reviewer", "staff"])
def test_the_top_navigation_links_the_dashboard_and_rounds_for_reviewers_and_staff(client, role):
    client.force_login(make_user("someone", role))
    nav = client.get("/").content.decode().split("<nav>", 1)[1].split("</nav>", 1)[0]
    assert 'href="/corpus/review/dashboard/">Dashboard</a>' in nav
    assert 'href="/corpus/rounds/">Rounds</a>' in nav


@pytest.mark.django_db
def test_the_top_navigation_leaves_them_out_for_other_users(client):
    client.force_login(make_user("reader"))
    nav = client.get("/").content.decode().split("<nav>", 1)[1].split("</nav>", 1)[0]
    assert "/corpus/review/dashboard/" not in nav and "/corpus/rounds/" not in nav
