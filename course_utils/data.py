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


#: The target of every essay notebook: rater 1's score, 0-12 (notebook 03 explains why one rater).
TARGET = "rater1_domain1"


def essay_splits(df: pd.DataFrame, max_train: int | None = None, verbose: bool = True):
    """Train / dev / test for the essay notebooks (04-09), as :func:`train_dev_test_split`.

    ``max_train`` keeps a seeded random subset of the training essays (a profile's
    ``max_train_essays``; ``None`` keeps all). Prints the sizes and the target.
    """
    train, dev, test = train_dev_test_split(df)  # test = the original's 314-essay test set
    if max_train:
        train = train.sample(min(max_train, len(train)), random_state=SEED)
    if verbose:
        print(f"train {len(train)} | dev {len(dev)} | test {len(test)} essays; target {TARGET} (0-12)")
    return train, dev, test


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


#: The literature's five folds of ASAP (Taghipour & Ng 2016), prompt 7's essay ids only.
NEA_FOLDS_FILE = "asap7_nea_folds.csv"
NEA_FOLDS_URL = (
    "https://raw.githubusercontent.com/ai-scoring-course/ai-scoring-in-python/main/course_utils/" + NEA_FOLDS_FILE
)
N_FOLDS = 5


def load_folds(prompt: int = 7) -> pd.DataFrame:
    """The literature's fold table: ``essay_id, fold_0, ..., fold_4`` (``train``/``dev``/``test``).

    These are the essay-id lists of Taghipour & Ng (2016), used by most published
    per-prompt ASAP results. The course ships prompt 7's ids (no essay text) in
    ``course_utils/asap7_nea_folds.csv`` (package data, so Colab has it too);
    ``COURSE_DATA_DIR/asap_folds/nea_folds.csv`` (all
    prompts) is used when it exists.
    """
    if prompt != 7:
        raise ValueError(f"the course ships the fold table of prompt 7 only, got prompt={prompt!r}.")
    root = data_dir()
    shipped = Path(__file__).resolve().parent / NEA_FOLDS_FILE
    if root is not None and (root / "asap_folds" / "nea_folds.csv").is_file():
        source = root / "asap_folds" / "nea_folds.csv"
    elif shipped.is_file():
        source = shipped
    else:  # a damaged install: fall back to the repository's copy online
        source = NEA_FOLDS_URL
    try:
        folds = pd.read_csv(source)
    except Exception as exc:
        raise DataNotFoundError(
            f"Cannot read the fold table at {source}: clone the course repository (it ships "
            f"course_utils/{NEA_FOLDS_FILE}) or allow network access."
        ) from exc
    _check_columns(folds, ["essay_id"] + [f"fold_{k}" for k in range(N_FOLDS)], str(source))
    return folds


def literature_folds(df: pd.DataFrame, fold: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(train, dev, test)`` of one of the literature's five folds (0-4) of ``df``.

    ``df`` is :func:`load_asap`'s frame. Train on ``train``, make every choice on
    ``dev``, score ``test`` once against ``domain1_score``; report the mean over folds.
    """
    if not isinstance(fold, (int, np.integer)) or not 0 <= fold < N_FOLDS:
        raise ValueError(f"fold must be an integer 0-{N_FOLDS - 1}, got {fold!r}.")
    parts = df.merge(load_folds(7)[["essay_id", f"fold_{fold}"]], on="essay_id", how="left")
    missing = int(parts[f"fold_{fold}"].isna().sum())
    if missing:
        raise ValueError(f"{missing} essay(s) of df are not in the fold table: is this ASAP prompt 7?")
    part = parts.pop(f"fold_{fold}")
    return tuple(parts[part == name].reset_index(drop=True) for name in ("train", "dev", "test"))


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


# --- Short answers (SemEval-2013 Task 7: Beetle, SciEntsBank) ------------------------

SHORT_ANSWER_COLUMNS = [
    "question_id",
    "question",
    "reference_answer",
    "student_answer",
    "label",
    "label_3way",
    "split",
]
SHORT_ANSWER_HUB_IDS = {"beetle": "nkazi/Beetle", "scientsbank": "nkazi/SciEntsBank"}
# The Hub's ClassLabel order (nkazi/Beetle, nkazi/SciEntsBank dataset cards).
LABELS_5WAY = [
    "correct",
    "contradictory",
    "partially_correct_incomplete",
    "irrelevant",
    "non_domain",
]
LABELS_3WAY = ["correct", "contradictory", "incorrect"]
FIVE_TO_THREE = {
    "correct": "correct",
    "contradictory": "contradictory",
    "partially_correct_incomplete": "incorrect",
    "irrelevant": "incorrect",
    "non_domain": "incorrect",
}
# One naming for the splits: the Hub says test_ua / test-ua, the offline copy test_unseen_answers.
SHORT_ANSWER_SPLITS = {
    "train": "train",
    "test_ua": "test_ua",
    "test-ua": "test_ua",
    "test_unseen_answers": "test_ua",
    "test_uq": "test_uq",
    "test-uq": "test_uq",
    "test_unseen_questions": "test_uq",
    "test_ud": "test_ud",
    "test-ud": "test_ud",
    "test_unseen_domains": "test_ud",
}


def _question_ids(df: pd.DataFrame) -> pd.Series:
    """Question ids for Hub rows, which carry an answer ``id`` but no question id.

    Beetle answer ids look like ``Module-QUESTION_ID.sbj3-l1.qa193``; when every id
    has that form the middle part is the question id (as in the offline copy).
    Otherwise a question is identified by its text and reference answer.
    """
    ids = df["id"].astype(str) if "id" in df.columns else pd.Series("", index=df.index)
    parsed = ids.str.extract(r"^[^-]+-([^.]+)\.", expand=False)
    if parsed.notna().all():
        return parsed
    import hashlib

    keys = df["question"].astype(str) + "\n" + df["reference_answer"].astype(str)
    return keys.map(lambda k: "q" + hashlib.sha1(k.encode("utf-8")).hexdigest()[:10])


def _normalise_short_answers(df: pd.DataFrame, source: str) -> pd.DataFrame:
    """Bring Hub or offline rows into :data:`SHORT_ANSWER_COLUMNS`."""
    df = df.copy()
    df["split"] = df["split"].astype(str).map(lambda s: SHORT_ANSWER_SPLITS.get(s, s))
    if "label_5way" in df.columns:  # the offline copy: 5-way names, NaN where unknown
        df["label"] = df["label_5way"].where(df["label_5way"].notna(), None)
    elif "label" in df.columns and pd.api.types.is_numeric_dtype(df["label"]):
        df["label"] = df["label"].map(lambda i: LABELS_5WAY[int(i)])
    bad = set(df["label"].dropna()) - set(LABELS_5WAY)
    if bad:
        raise ValueError(f"{source} has unknown 5-way label(s) {sorted(bad)}; expected {LABELS_5WAY}.")
    if "label_3way" not in df.columns:
        df["label_3way"] = df["label"].map(FIVE_TO_THREE)
    bad3 = set(df["label_3way"].dropna()) - set(LABELS_3WAY)
    if bad3 or df["label_3way"].isna().any():
        raise ValueError(
            f"{source}: label_3way must be one of {LABELS_3WAY} on every row "
            f"(found {sorted(bad3)} and {int(df['label_3way'].isna().sum())} missing)."
        )
    if "question_id" not in df.columns:
        df["question_id"] = _question_ids(df)
    _check_columns(df, SHORT_ANSWER_COLUMNS, source)
    df["label"] = df["label"].astype(object).where(df["label"].notna(), None)
    return df[SHORT_ANSWER_COLUMNS].reset_index(drop=True)


def short_answer_splits(df: pd.DataFrame, max_questions: int | None = None):
    """The training answers and the unseen answers (``test_ua``) of the questions graded.

    The questions are those of ``df``'s ``test_ua`` split, sorted by id;
    ``max_questions`` keeps the first ones (a profile's ``sa_questions``; ``None`` keeps
    all). Returns ``(train, test_ua)``, both restricted to those questions.
    """
    if "split" not in df.columns or not (df["split"] == "test_ua").any():
        raise ValueError("Expected a frame from load_short_answers() with a 'split' column "
                         "that has 'train' and 'test_ua' rows.")
    test_ua = df[df["split"] == "test_ua"]
    questions = sorted(test_ua["question_id"].unique())[:max_questions]
    graded = df["question_id"].isin(questions)
    return df[graded & (df["split"] == "train")], test_ua[test_ua["question_id"].isin(questions)]


def load_short_answers(name: str = "beetle") -> pd.DataFrame:
    """Load a SemEval-2013 Task 7 short-answer corpus in one normalised schema.

    ``name`` is ``"beetle"`` or ``"scientsbank"``. Columns (:data:`SHORT_ANSWER_COLUMNS`):

    * ``question_id, question, reference_answer, student_answer``;
    * ``label`` -- the 5-way label (``correct, partially_correct_incomplete,
      contradictory, irrelevant, non_domain``), ``None`` where unknown: the offline
      Beetle copy has 5-way gold on ``train`` only;
    * ``label_3way`` -- ``correct, contradictory, incorrect`` on every row (the three
      kinds of wrong-or-incomplete answer are ``incorrect``);
    * ``split`` -- ``train``, ``test_ua`` (unseen answers to training questions),
      ``test_uq`` (unseen questions) and, for SciEntsBank, ``test_ud`` (unseen domains).

    Reads ``COURSE_DATA_DIR/beetle/beetle.csv`` when ``COURSE_DATA_DIR`` is set,
    otherwise the Hub datasets ``nkazi/Beetle`` / ``nkazi/SciEntsBank``.
    """
    if not isinstance(name, str) or name.strip().lower() not in SHORT_ANSWER_HUB_IDS:
        raise ValueError(f"name must be one of {sorted(SHORT_ANSWER_HUB_IDS)}, got {name!r}.")
    name = name.strip().lower()
    hub_id = SHORT_ANSWER_HUB_IDS[name]
    root = data_dir()
    relpath = f"{name}/{name}.csv"
    if root is not None and (root / relpath).is_file():
        path = root / relpath
        return _normalise_short_answers(pd.read_csv(path), str(path))
    if is_offline():
        where = f"{root / relpath} does not exist" if root else "COURSE_DATA_DIR is not set"
        raise DataNotFoundError(
            f"{where} and the Hub is offline. The offline data copy "
            f"holds only Beetle (load_short_answers('beetle')). For {name}, add {relpath} "
            f"to COURSE_DATA_DIR, or allow Hub access (unset HF_HUB_OFFLINE / COURSE_OFFLINE) "
            f"to download {hub_id!r}."
        )
    frames = []
    for split in ("train", "test_ua", "test_uq", "test_ud"):
        if split == "test_ud" and name != "scientsbank":
            continue
        part = load_from_hub(hub_id, split=split)
        part["split"] = split
        frames.append(part)
    return _normalise_short_answers(pd.concat(frames, ignore_index=True), hub_id)
