"""Datasets of the course: ASAP essays, the reference split, and the toy fruit data.

Data comes from a local folder when ``COURSE_DATA_DIR`` is set (offline machines,
CI), otherwise from the Hugging Face Hub through ``datasets`` (Colab). Rows are never
stored in this repository.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from course_utils.config import SEED, is_offline

ASAP_COLUMNS = [
    "essay_id",
    "essay_set",
    "essay",
    "rater1_domain1",
    "rater2_domain1",
    "domain1_score",
]
ASAP_HUB_ID = "llm-aes/asap-{prompt}-original"


class DataNotFoundError(FileNotFoundError):
    """Raised when a dataset is neither in ``COURSE_DATA_DIR`` nor reachable on the Hub."""


def data_dir() -> Path | None:
    """The folder named by ``COURSE_DATA_DIR``, or ``None`` when it is not set."""
    value = os.environ.get("COURSE_DATA_DIR", "").strip()
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_dir():
        raise DataNotFoundError(
            f"COURSE_DATA_DIR={value!r} is not a folder. Point it at the folder that holds "
            "asap7/asap7.csv (the offline data copy), or unset it to load from the Hub."
        )
    return path


def _how_to_get(dataset: str, relpath: str, hub_id: str) -> str:
    return (
        f"Cannot load {dataset}. Either set COURSE_DATA_DIR to a folder containing "
        f"{relpath} (the course's offline data copy), or allow Hugging Face Hub access "
        f"(unset HF_HUB_OFFLINE / COURSE_OFFLINE) so it can be downloaded as {hub_id!r}."
    )


def load_from_hub(hub_id: str, split: str = "train") -> pd.DataFrame:
    """Load one split of a Hub dataset as a DataFrame, with a clear error when offline."""
    dataset = hub_id.split("/")[-1]
    if is_offline():
        raise DataNotFoundError(_how_to_get(dataset, "<the offline copy>", hub_id))
    try:
        from datasets import load_dataset

        return load_dataset(hub_id, split=split).to_pandas()
    except Exception as exc:  # network errors come in many types
        raise DataNotFoundError(
            _how_to_get(dataset, "<the offline copy>", hub_id) + f" (Hub error: {exc})"
        ) from exc


def _check_columns(df: pd.DataFrame, required: list[str], source: str) -> None:
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ValueError(
            f"{source} lacks the column(s) {missing}; expected {required}. "
            "Is this the right file?"
        )


def load_asap(prompt: int = 7) -> pd.DataFrame:
    """Load one ASAP-AES prompt (essay set) as a DataFrame sorted by ``essay_id``.

    Columns: ``essay_id, essay_set, essay, rater1_domain1, rater2_domain1,
    domain1_score``. Looks for ``COURSE_DATA_DIR/asap{prompt}/asap{prompt}.csv`` first,
    then the Hub dataset ``llm-aes/asap-{prompt}-original``.
    """
    if not isinstance(prompt, (int, np.integer)) or not 1 <= int(prompt) <= 8:
        raise ValueError(f"prompt must be an ASAP essay set number 1-8, got {prompt!r}.")
    relpath = f"asap{prompt}/asap{prompt}.csv"
    hub_id = ASAP_HUB_ID.format(prompt=prompt)
    root = data_dir()
    if root is not None:
        path = root / relpath
        if not path.is_file():
            available = sorted(p.name for p in root.glob("asap*") if p.is_dir())
            raise DataNotFoundError(
                f"{path} does not exist (COURSE_DATA_DIR has {available or 'no ASAP prompts'}). "
                f"Add {relpath} there, or unset COURSE_DATA_DIR to load {hub_id!r} from the Hub."
            )
        df = pd.read_csv(path)
        source = str(path)
    else:
        df = load_from_hub(hub_id)
        source = hub_id
    _check_columns(df, ASAP_COLUMNS, source)
    df = df[ASAP_COLUMNS].sort_values("essay_id").reset_index(drop=True)
    return df


def reference_split(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The original workshop's split: ``train_test_split(df, test_size=0.2, random_state=42)``.

    On ASAP-7 this gives 1,255 training and 314 test essays; every published figure
    of the course is measured on this test set.
    """
    if len(df) < 5:
        raise ValueError(f"Need at least 5 rows to split, got {len(df)}.")
    train, test = train_test_split(df, test_size=0.2, random_state=SEED)
    return train, test


def train_dev_test_split(
    df: pd.DataFrame, dev_size: float = 0.15
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Train / dev / test: the reference test set, and a dev set carved from the rest.

    The test set is exactly :func:`reference_split`'s, so results stay comparable;
    ``dev`` is ``dev_size`` (15%) of the non-test part, ``random_state=42``. Choose
    models on dev; touch test once at the end.
    """
    if not 0 < dev_size < 1:
        raise ValueError(f"dev_size must be between 0 and 1, got {dev_size}.")
    rest, test = reference_split(df)
    train, dev = train_test_split(rest, test_size=dev_size, random_state=SEED)
    return train, dev, test


def make_fruit(n_apples: int = 100, n_oranges: int = 100, seed: int = 0) -> pd.DataFrame:
    """A synthetic apples-and-oranges data set with two features and a label.

    Apples are smaller and sweeter on average than oranges, with overlap so that no
    classifier is perfect. Columns: ``size`` (cm), ``sweetness`` (0-10), ``label``.
    """
    for name, n in (("n_apples", n_apples), ("n_oranges", n_oranges)):
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"{name} must be a positive integer, got {n!r}.")
    rng = np.random.default_rng(seed)
    apples = pd.DataFrame(
        {
            "size": rng.normal(7.0, 1.0, n_apples),
            "sweetness": rng.normal(6.5, 1.2, n_apples),
            "label": "apple",
        }
    )
    oranges = pd.DataFrame(
        {
            "size": rng.normal(8.5, 1.0, n_oranges),
            "sweetness": rng.normal(5.0, 1.2, n_oranges),
            "label": "orange",
        }
    )
    fruit = pd.concat([apples, oranges], ignore_index=True)
    fruit["sweetness"] = fruit["sweetness"].clip(0, 10)
    return fruit.sample(frac=1, random_state=seed).reset_index(drop=True).round(2)
