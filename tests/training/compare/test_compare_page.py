"""The comparison page: versions side by side on the pinned set, the base beside them, the same answers."""

from __future__ import annotations

import pytest

from tests.factories import client_for, make_character, make_reviewer, make_user, make_version

pytestmark = pytest.mark.django_db


def _scored(name: str, ppl: float, base_ppl: float, forbidden: float, reply: str) -> object:
    return make_version(
        name=name,
        metrics={
            "eval": {
                "perplexity": ppl,
                "base_perplexity": base_ppl,
                "style_marker_rate": 0.5,
                "forbidden_marker_rate": forbidden,
                "base_forbidden_marker_rate": 0.4,
                "reference_score": 12.5,
                "distinct_2": 0.8,
                "answers": [
                    {
                        "question": "お前は誰だ？",
                        "context": [{"speaker": "霊夢", "text": "朝から騒がしいわね"}],
                        "reference": "霧雨魔理沙だぜ。",
                        "reply": reply,
                    }
                ],
                "base_answers": [{"question": "お前は誰だ？", "reply": "わたしはです"}],
            }
        },
    )


def test_versions_base_and_answers_side_by_side_with_the_best_figure_marked() -> None:
    make_character()
    _scored("v1 · aaa", 40.0, 55.0, 0.2, "魔理沙だ")
    _scored("v2 · bbb", 31.0, 55.0, 0.1, "霧雨魔理沙だぜ")
    page = client_for(make_reviewer("rev")).get("/training/compare/").content.decode()
    assert page.index("v1 · aaa") < page.index("v2 · bbb")  # oldest first: rounds read left to right
    assert "base (demo)" in page
    row = page[page.index('data-metric="perplexity"') :].split("</tr>")[0]
    assert '<td class="best">31</td>' in row and "55" in row and "40" in row
    grid = page[page.index("compare-answers") :]
    for text in (
        "お前は誰だ？",
        "霧雨魔理沙だぜ。",
        "魔理沙だ",
        "霧雨魔理沙だぜ",
        "わたしはです",
        "朝から騒がしいわね",
    ):
        assert text in grid
    assert page.count("<svg") >= 2 and "her-token ppl" in page


def test_picking_versions_keeps_their_order_and_says_which_do_not_exist() -> None:
    make_character()
    one = _scored("v1 · aaa", 40.0, 55.0, 0.2, "a")
    two = _scored("v2 · bbb", 31.0, 55.0, 0.1, "b")
    client = client_for(make_reviewer("rev"))
    page = client.get(f"/training/compare/?versions={two.pk},{one.pk},999").content.decode()
    assert page.index("v2 · bbb") < page.index("v1 · aaa")
    assert "no version 999" in page
    bad = client.get("/training/compare/?versions=abc")
    assert bad.status_code == 400 and "version numbers separated by commas" in bad.content.decode()


def test_unscored_versions_show_dashes_and_how_to_score_them() -> None:
    make_character()
    make_version(name="v1 · raw")
    page = client_for(make_reviewer("rev")).get("/training/compare/").content.decode()
    assert "v1 · raw" in page and "—" in page and "manage.py evaluate" in page


def test_users_without_a_role_get_the_reason() -> None:
    page = client_for(make_user("nobody")).get("/training/compare/")
    assert page.status_code == 403 and "reviewer role" in page.content.decode()


def test_arena_ratings_and_head_to_head_appear_beside_the_scores() -> None:
    from django.utils import timezone

    from annotation.review.arena_models import ArenaMatch
    from tests.factories import make_arena_matches

    one = _scored("v1 · aaa", 40.0, 55.0, 0.2, "a")
    two = _scored("v2 · bbb", 31.0, 55.0, 0.1, "b")
    matches = make_arena_matches(10, version_a=two, version_b=one)
    for i, match in enumerate(matches):
        outcome = ArenaMatch.Outcome.B if i == 0 else ArenaMatch.Outcome.A  # v2 wins 9 of 10
        ArenaMatch.objects.filter(pk=match.pk).update(
            status=ArenaMatch.Status.VOTED, outcome=outcome, voted_at=timezone.now()
        )
    page = client_for(make_reviewer("rev")).get("/training/compare/").content.decode()
    assert f"v2 · bbb (#{two.pk}) beats v1 · aaa (#{one.pk}): win rate 90%" in page
    ratings = page[page.index("arena rating") :].split("</tr>")[0]
    assert ratings.count("10 votes") == 2


@pytest.mark.parametrize("path", ["/training/compare/", "/training/versions/", "/training/playground/"])
def test_pages_say_the_demo_model_babbles_by_design_until_a_real_base_is_set(settings, path: str) -> None:
    make_character()
    client = client_for(make_reviewer("rev"))
    settings.MARISA_BASE_MODEL = ""
    assert "babbles by design" in client.get(path).content.decode()
    settings.MARISA_BASE_MODEL = "Qwen/Qwen2.5-7B-Instruct"
    assert "babbles by design" not in client.get(path).content.decode()
