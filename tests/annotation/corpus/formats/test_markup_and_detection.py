"""Aozora markup the quotes must not keep or lose, and telling a short script from a novel."""

from annotation.corpus.formats import detect_format
from annotation.corpus.formats.aozora import parse_aozora
from annotation.corpus.formats.common import strip_markup
from annotation.corpus.formats.merges import merge_offers


def test_a_gaiji_with_no_code_falls_back_to_its_base_kana():
    assert strip_markup("「僕※［＃小書き平仮名ん、168-4］とこへ来い」") == "「僕んとこへ来い」"
    assert strip_markup("※［＃小書き片仮名ト］") == "ト"


def test_editorial_remarks_leave_the_quote_but_accented_latin_stays():
    lines = list(parse_aozora(["「それは〔以下数文字分空白〕です」と太郎が言った。"]))
    assert [line.text for line in lines[0].lines] == ["それはです"]
    assert strip_markup("〔ve'rite'〕") == "〔ve'rite'〕"


def test_a_two_line_script_is_detected_as_a_script():
    assert detect_format("upload.txt", ["魔理沙「テストだぜ」", "霊夢「はいはい」"]) == "script"
    assert detect_format("novel.txt", ["　朝になった。", "「おはよう」と太郎が言った。"]) == "aozora"


def test_names_of_one_person_are_offered_together_never_merged():
    offers = merge_offers(
        ["暴君", "暴君ディオニス", "老人", "片目眇の老人", "杜子春", "母", "おたか"], [("母", "おたか")]
    )
    assert sorted(map(sorted, offers)) == [
        ["おたか", "母"],
        ["暴君", "暴君ディオニス"],
        ["片目眇の老人", "老人"],
    ]
    assert merge_offers(["杜子春", "山嵐"]) == []
