import numpy as np
import pytest

from course_utils.checks import check_texts


def test_accepts_any_iterable_of_strings():
    assert check_texts(("a", "b")) == ["a", "b"]
    assert check_texts(x for x in ["essay"]) == ["essay"]


@pytest.mark.parametrize(
    "texts, message",
    [
        ("one essay", "not one string"),
        ([], "essays is empty"),
        (["ok", np.nan], r"essays\[1\] is float"),
        (["ok", None], r"essays\[1\] is NoneType"),
    ],
)
def test_bad_texts_say_what_to_fix(texts, message):
    with pytest.raises(ValueError, match=message):
        check_texts(texts, "essays")
