"""The attribution queue shows the narration after the quote and offers merges of one person's names."""

import pytest

from annotation.corpus.models import Source
from tests.factories import client_for, make_conversation, make_lines, make_reviewer, make_source

pytestmark = pytest.mark.django_db


def test_the_queue_shows_the_narration_after_the_quote_and_the_merge_offers():
    conversation = make_conversation(make_source([], title="小説", kind=Source.Kind.AOZORA))
    unknown = {
        "speaker": "",
        "text": "お金は明日お返しします",
        "speaker_by": "unknown",
        "context": "「…」\nと申しますと、",
    }
    make_lines(conversation, [("暴君ディオニス", "黙れ"), unknown, ("暴君", "ならぬ")])
    body = client_for(make_reviewer("a")).get("/corpus/attribution/").content.decode()
    assert 'class="narration-after muted"> <br>と申しますと、' in body
    assert "暴君ディオニス / 暴君" in body


def test_the_importer_offers_names_of_one_person_without_merging_them():
    from pathlib import Path

    from annotation.corpus.importing import import_path

    path = Path(__file__).resolve().parents[3] / "corpora" / "aozora" / "akutagawa_toshishun.txt"
    result = import_path(path)
    assert ["片目眇の老人", "老人"] in result.as_dict()["merge_offers"]
    assert {"片目眇の老人", "老人"} <= set(result.speakers)  # both kept as written
