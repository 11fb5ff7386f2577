"""What the code slides of decks 04-06 (fine-tuning, generative models, short answers)
need, prepared in their hidden cells so that each slide shows a few lines and their real
output, run while the deck is built.

Every demo stays small and fast: a handful of essays, a model built from a config class,
one or two training steps, the stand-in chat model for a call or two:

    from course_tools import slide_demos as demos
    essays = demos.essay_sample(8)            # training essays; never test essays
    model = demos.tiny_encoder(demos.encoder_tokenizer())
"""

from __future__ import annotations

import contextlib
import io

from course_tools.slide_content import MissingData

#: The chat model that stands in for the course's local model when the Hub is offline.
STAND_IN = "HuggingFaceTB/SmolLM2-135M-Instruct"
#: Hosted providers a deck may call when their key is set where the deck is built.
HOSTED = ("groq", "cerebras")


@contextlib.contextmanager
def quiet():
    """Silence the notes that loaders print (they name local folders)."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield


# --------------------------------------------------------------------------------------
# Essays and models (deck 04)
# --------------------------------------------------------------------------------------
def essay_sample(n: int = 8, seed: int = 0, split: str = "train"):
    """``n`` essays of ASAP prompt 7 (``essay``, ``score``) from the training or the dev
    split, seeded. Never test essays. Without the data, a
    :class:`~course_tools.slide_content.MissingData` that the slide shows as "Not run here"."""
    from course_utils.data import TARGET, DataNotFoundError, load_asap, train_dev_test_split

    if split not in ("train", "dev"):
        raise ValueError(f"split must be 'train' or 'dev' (a slide never shows test essays), got {split!r}.")
    try:
        with quiet():
            train, dev, _ = train_dev_test_split(load_asap(7))
    except DataNotFoundError as exc:
        return MissingData(exc)
    rows = (train if split == "train" else dev).sample(n, random_state=seed)
    return rows.assign(score=rows[TARGET])[["essay", "score"]].reset_index(drop=True)


def encoder_tokenizer():
    """The tokenizer of the fine-tuning notebooks (offline: all-MiniLM-L6-v2's WordPiece)."""
    from course_utils import config
    from course_utils.tokenization import load_tokenizer

    with quiet():
        return load_tokenizer(config.get_profile("full").finetune_model)


def tiny_encoder(tokenizer, num_labels: int = 1, seed: int = 0):
    """A 2-layer BERT, built from ``BertConfig`` (random weights, nothing downloaded) with
    the tokenizer's vocabulary: fast enough to train a step or two while a deck is built."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(seed)
    cfg = BertConfig(vocab_size=len(tokenizer), hidden_size=64, num_hidden_layers=2,
                     num_attention_heads=2, intermediate_size=128, max_position_embeddings=512,
                     num_labels=num_labels)
    return BertForSequenceClassification(cfg)


# --------------------------------------------------------------------------------------
# Chat models (deck 05)
# --------------------------------------------------------------------------------------
def hosted_provider() -> str | None:
    """The first hosted provider whose key is set where the deck is built, or ``None``.
    The key itself is never read into the deck, only whether it is there."""
    from course_utils.llm import has_api_key

    for provider in HOSTED:
        if has_api_key(f"{provider.upper()}_API_KEY"):
            return provider
    return None


def stand_in_model():
    """The stand-in chat model and its tokenizer (SmolLM2-135M-Instruct), loaded quietly."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from course_utils.hub import resolve_model

    with quiet():
        path = resolve_model(STAND_IN)
    return AutoModelForCausalLM.from_pretrained(path), AutoTokenizer.from_pretrained(path)


# --------------------------------------------------------------------------------------
# Short answers (deck 06)
# --------------------------------------------------------------------------------------
def beetle_question(n_support: int = 20, n_new: int = 4, seed: int = 0):
    """One Beetle training question: ``(question, reference, support, new)`` where
    ``support`` holds ``n_support`` graded answers (``answer``, ``grade``) and ``new``
    ``n_new`` other answers to grade with their true grade; without the data, four
    :class:`~course_tools.slide_content.MissingData`."""
    from course_utils import short_answer as sa
    from course_utils.data import DataNotFoundError, load_short_answers

    try:
        beetle = load_short_answers("beetle")
    except DataNotFoundError as exc:
        return (MissingData(exc),) * 4
    train = beetle[beetle["split"] == "train"]
    counts = train.groupby("question_id").size()
    qid = counts[counts >= n_support + n_new].index.sort_values()[0]
    answers = train[train["question_id"] == qid].sample(frac=1.0, random_state=seed)
    answers = answers.assign(answer=answers["student_answer"],
                             grade=sa.grades_of(answers["label_3way"]))
    support = answers.iloc[:n_support].reset_index(drop=True)
    new = answers.iloc[n_support:n_support + n_new].reset_index(drop=True)
    first = answers.iloc[0]
    return first["question"], first["reference_answer"], support, new


# --------------------------------------------------------------------------------------
# Published figures beside the stand-in's (deck 05)
# --------------------------------------------------------------------------------------
PUBLISHED = "published_llm_asap"


def published_llm_rows():
    """The published LLM-on-ASAP rows (``results/published_llm_asap.csv``), split into
    those whose QWK was read in the paper's own table (:func:`course_tools.results.llm_figure_checked`)
    and the others; ``(None, None)`` when the file is missing."""
    from course_tools.results import llm_figure_checked
    from course_tools.slide_content import results_table

    table = results_table(PUBLISHED)
    if table is None:
        return None, None
    ok = [llm_figure_checked(r) for _, r in table.iterrows()]
    keep = table.index[ok]
    return table.loc[keep], table.drop(index=keep)


def short_citation(source: str) -> str:
    """"Wang, Ding & Zhai (2026). Title ..." -> "Wang et al. 2026" ("Kundu & Barbosa 2024", "Morris 2023")."""
    import re

    names = [n.strip() for n in re.split(r",|&", source.split(" (")[0]) if n.strip()]
    year = re.search(r"\((\d{4})\)", source)
    who = names[0] if len(names) == 1 else " & ".join(names) if len(names) == 2 else f"{names[0]} et al."
    return f"{who} {year.group(1) if year else ''}".strip()


def show_published_beside_stand_in(stand_in: tuple[str, ...] = ("llm_rubric",), study: str | None = None,
                                   others: bool = True) -> None:
    """Two tables: the stand-in's rows ``stand_in`` (measured here, with their 95% intervals) and the
    published QWK of real LLMs on ASAP essays (only figures read in the paper's own table, one row
    per model, one column per setting, the essays in the heading); a line that says why they do not
    rank; the references; then, with ``others``, the papers whose figures could not be checked, by
    name only. ``study``: only the checked studies whose source starts with it (one slide each);
    ``stand_in=()`` leaves the measured table out (a slide after one that shows it)."""
    import pandas as pd

    from course_tools.slide_content import md, select_results

    ours = None if not stand_in else select_results(
        "asap7", where={"id": list(stand_in)}, columns=["label", "qwk_mean", "qwk_ci_low", "qwk_ci_high", "n_test"])
    if ours is not None:
        md("**Measured here**: ASAP 7, " + f"{int(ours['n_test'].iloc[0])} test essays, rater 1, scores 0-12 "
           "(95% bootstrap interval; below 0: less agreement than chance)\n\n"
           "| model and setting | QWK [95% interval] |\n|---|---|\n"
           + "\n".join(f"| SmolLM2-135M-Instruct (stand-in): {label} | {value:.3f} [{low:.3f}, {high:.3f}] |"
                       for label, value, low, high, _ in ours.itertuples(index=False)))
    checked, unchecked = published_llm_rows()
    if checked is not None and study is not None:
        checked = checked[checked["source"].str.startswith(study)]
        if checked.empty:
            raise ValueError(f"no checked published study's source starts with {study!r}.")
    refs = []
    for source, part in checked.groupby("source", sort=False) if checked is not None else []:
        refs.append(f"{short_citation(source)}: {source}, {part['table_or_page'].iloc[0]}")
        grid = part.pivot_table(index="model", columns="setting", values="qwk", aggfunc="first", sort=False)
        grid.columns = [c.split(":")[0] for c in grid.columns]  # the setting's name; the notes describe it
        md(f"**Published, {short_citation(source)}**: {part['prompt'].iloc[0]}; the models write their score"
           "\n\n"
           "| model | " + " | ".join(grid.columns) + " |\n" + "|---" * (len(grid.columns) + 1) + "|\n"
           + "\n".join(f"| {model} | " + " | ".join("" if pd.isna(q) else f"{float(q):.3f}" for q in qs) + " |"
                       for model, qs in zip(grid.index, grid.to_numpy())))
    if checked is not None and len(checked):
        from course_utils.baselines import MIN_QWK

        q = checked["qwk"].astype(float)
        below = int((q < MIN_QWK).sum())
        md(f"**What they show**: {len(q)} setting{'s' * (len(q) != 1)}, point estimates without intervals: QWK "
           f"{q.min():.3f} to {q.max():.3f}, " + ("all" if below == len(q) else f"{below} of them")
           + f" below the {MIN_QWK:.2f} guideline (notebook 03); "
           + ("none meets it" if below == len(q) else f"{len(q) - below} at or above it") + ", none ranks against ours.")
    notes = ["Not a ranking: the stand-in's essays, score, reading and model differ, and QWK on other essays and "
             "scales is not on one ruler (0.70 applies to each figure on its own scale); a study's cells share "
             "essays, but no paired test is reported.", *refs]
    if others and unchecked is not None and len(unchecked):
        names = "; ".join(dict.fromkeys(short_citation(r.source) for r in unchecked.itertuples(index=False)
                                        if not str(r.prompt).startswith("not ASAP")))
        notes.append(f"Further reading, LLM scoring of ASAP essays (not shown: the course could not read these "
                     f"papers' own tables to check their figures): {names}.")
    md("<span class='course-small'>" + "<br>".join(notes) + "</span>")


def beetle_questions(k: int = 3, min_answers: int = 40, seed: int = 0):
    """``k`` Beetle training questions with at least ``min_answers`` answers each, as a
    list of ``(question_id, answers)``; ``answers`` has ``question``, ``answer`` and
    ``grade``, shuffled (seeded). Without the data, a list holding one
    :class:`~course_tools.slide_content.MissingData` pair."""
    from course_utils import short_answer as sa
    from course_utils.data import DataNotFoundError, load_short_answers

    try:
        beetle = load_short_answers("beetle")
    except DataNotFoundError as exc:
        return [(MissingData(exc), MissingData(exc))]
    train = beetle[beetle["split"] == "train"]
    counts = train.groupby("question_id").size()
    chosen = counts[counts >= min_answers].index.sort_values()[:k]
    out = []
    for qid in chosen:
        answers = train[train["question_id"] == qid].sample(frac=1.0, random_state=seed)
        out.append((qid, answers.assign(answer=answers["student_answer"],
                                        grade=sa.grades_of(answers["label_3way"]))
                    .reset_index(drop=True)))
    return out
