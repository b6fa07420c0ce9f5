"""What the bot says without generating, and how a reply is cut to fit LINE's message limits."""

from __future__ import annotations

import unicodedata

from django.conf import settings

# LINE Messaging API: a text message holds at most 5000 characters, a reply or push at most 5 messages.
MAX_CHARS = 5000
MAX_MESSAGES = 5
ELLIPSIS = "…"

GREETING = "よう、霧雨魔理沙だぜ。友だち追加ありがとな！ 気軽に話しかけてくれよ。困ったら「ヘルプ」って言えばいいぜ。"
GROUP_GREETING = "よう、霧雨魔理沙だぜ。用があるときは「魔理沙、」で始めて話しかけてくれ。"
NON_TEXT = "おっと、文字じゃないと私には読めないぜ。言葉で話してくれよな。"
CLOSED = "悪いな、今月の魔理沙はもう店じまいだぜ。来月になったらまた話しかけてくれよな！"
CLOSED_FOR_USER = "悪いな、今月お前と話せる回数はもう使い切っちまったぜ。来月また来てくれよな！"
APOLOGY = "すまん、ちょっと魔法が暴発しちまったみたいだ……。少し待ってからもう一回話しかけてくれ。"
RESET_DONE = "よし、今までの話はきれいさっぱり忘れたぜ。一から話そうじゃないか。"
EMPTY_ANSWER = "うーん……言葉が出てこないぜ。別の聞き方をしてくれないか？"


def help_text() -> str:
    words = settings
    return (
        "魔理沙の使い方だぜ。\n"
        "・普通に話しかければ私が答える。\n"
        f"・「{words.LINE_COMMAND_RESET[0]}」：今までの会話を忘れる。\n"
        f"・「{words.LINE_COMMAND_REMAINING[0]}」：今月あと何回話せるか。\n"
        f"・「{words.LINE_COMMAND_HELP[0]}」：この説明。\n"
        "グループでは「魔理沙、」で始めるか、私にメンションしてくれ。"
    )


def remaining_text(left: int, user_left: int | None = None) -> str:
    if user_left is not None:
        return f"今月お前と話せるのはあと{user_left}回だぜ（全体ではあと{left}回）。"
    if left <= 0:
        return CLOSED
    return f"今月はあと{left}回話せるぜ。大事に使えよ？"


def normalize_word(text: str) -> str:
    """Command matching only: NFKC, case-folded, without surrounding spaces and end punctuation."""
    return unicodedata.normalize("NFKC", text).strip().strip("!?。．.！？").casefold()


def split_for_line(text: str, max_chars: int = MAX_CHARS, max_messages: int = MAX_MESSAGES) -> list[str]:
    """Cut `text` into at most `max_messages` parts of at most `max_chars` characters.

    Parts break at a line end when one lies in the second half of the part, so sentences stay
    whole where possible; what does not fit in the last part is trimmed with an ellipsis.
    """
    text = text.strip() or EMPTY_ANSWER
    parts: list[str] = []
    rest = text
    while rest and len(parts) < max_messages:
        if len(rest) <= max_chars:
            parts.append(rest)
            rest = ""
            break
        if len(parts) == max_messages - 1:
            parts.append(rest[: max_chars - len(ELLIPSIS)] + ELLIPSIS)
            rest = ""
            break
        cut = rest.rfind("\n", max_chars // 2, max_chars)
        cut = cut if cut > 0 else max_chars
        parts.append(rest[:cut].rstrip("\n") or rest[:cut])
        rest = rest[cut:].lstrip("\n")
    return parts
