"""Small tokenizers of the three families the labels must handle, trained in a second on a tiny text.

- SentencePiece style: Unigram + Metaspace (prepend "▁"), byte fallback — `▁いい` begins at the space.
- Byte-level BPE without a pre-tokenizer split: merges `魔理沙: ` with the utterance's first characters.
- A slow SentencePiece (the sentencepiece library, no offsets) for the segment-by-segment path.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# Repeated so that the trainers learn pieces across the prompt/utterance boundary.
TRAIN_TEXT = [
    "魔理沙: いいだろ、霊夢。\nユーザー: いいよ\n霊夢: 魔理沙: いいだろって言うな\n",
    "魔理沙: いいぜ！\n魔理沙: いいだろ？\nアリス: 人形は　かわいいわ！\n",
    "まりさ: キノコだぜ\n霧雨魔理沙: 弾幕はパワーだぜ[SEP]ユーザー: <NL>って何？\n",
] * 40
SPECIALS = ["<unk>", "<s>", "</s>", "<pad>"]
BYTES = [f"<0x{b:02X}>" for b in range(256)]


def _wrap(tok: Any) -> Any:
    from tokenizers import processors
    from transformers import PreTrainedTokenizerFast

    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", special_tokens=[("<s>", tok.token_to_id("<s>"))]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
        clean_up_tokenization_spaces=False,
    )


def sentencepiece_style() -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.Unigram())
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Sequence(
        [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]
    )
    trainer = trainers.UnigramTrainer(vocab_size=200, special_tokens=SPECIALS, unk_token="<unk>")
    tok.train_from_iterator(TRAIN_TEXT, trainer=trainer)
    spec = json.loads(tok.to_str())
    vocab = spec["model"]["vocab"]
    known = {piece for piece, _ in vocab}
    vocab.extend([b, -50.0] for b in BYTES if b not in known)
    spec["model"]["byte_fallback"] = True
    return _wrap(Tokenizer.from_str(json.dumps(spec)))


def byte_level_bpe(use_regex: bool = False) -> Any:
    """GPT-2 style byte-level BPE. use_regex=False: no split at spaces or punctuation, so merges cross
    `魔理沙: |いいだろ`; use_regex=True (GPT-NeoX and most hub models): the space joins the utterance (`Ġいい`)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=use_regex)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=600, special_tokens=SPECIALS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(TRAIN_TEXT, trainer=trainer)
    return _wrap(tok)


def slow_sentencepiece(tmp: Path) -> Any:
    """A sentencepiece-library model behind transformers' slow (offset-less) SentencePiece backend."""
    import sentencepiece as spm
    from transformers.tokenization_utils_sentencepiece import SentencePieceBackend

    prefix = tmp / "sp"
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(TRAIN_TEXT * 3),
        model_prefix=str(prefix),
        vocab_size=400,
        hard_vocab_limit=False,
        model_type="unigram",
        byte_fallback=True,
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
        user_defined_symbols=["[SEP]", "<NL>"],
        character_coverage=1.0,
        minloglevel=2,
    )
    return SentencePieceBackend(
        vocab_file=str(prefix) + ".model", bos_token="<s>", eos_token="</s>", unk_token="<unk>"
    )


def fast_twin(slow: Any) -> Any:
    """A fast tokenizer with the slow SentencePiece model's pieces and scores, for comparing both paths."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    sp = slow.sp_model
    vocab = [(sp.id_to_piece(i), sp.get_score(i)) for i in range(sp.get_piece_size())]
    tok = Tokenizer(models.Unigram(vocab, unk_id=sp.unk_id(), byte_fallback=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first")
    tok.decoder = decoders.Sequence(
        [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]
    )
    tok.add_tokens([AddedToken("[SEP]", normalized=False), AddedToken("<NL>", normalized=False)])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="<unk>", clean_up_tokenization_spaces=False
    )
