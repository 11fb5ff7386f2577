"""Concept diagrams for the decks, drawn from code with matplotlib, offline.

One small function per diagram; each returns a slide-wide :class:`matplotlib.figure.Figure`
(:data:`~course_tools.slide_content.FIGURE_WIDTH_IN` inches wide, every text at least
:data:`~course_tools.slide_content.LABEL_PT` points) for
:func:`course_tools.slide_content.show_figure` (``kind="diagram"``)::

    from course_tools import diagrams
    from course_tools.slide_content import show_figure
    show_figure(diagrams.text_to_score(), kind="diagram", alt="text, features, classifier")

| function | idea | deck |
|---|---|---|
| :func:`text_to_score` | text -> features -> classifier -> score | 02 |
| :func:`data_discipline` | train / dev / test and what each may be used for | 02 |
| :func:`qwk_weights` | QWK's quadratic weight matrix | 03 |
| :func:`encoder_head` | a transformer encoder + a classification or regression head | 04 |
| :func:`tokenizer_split` | how a WordPiece tokenizer splits an essay (a real tokenizer) | 04 |
| :func:`mu_cutoffs` | regression on mu(score) and the cutoffs back to scores | 03, 04 |
| :func:`ensemble_cutoffs` | notebook 09's two regressors, averaged, with cutoffs | 03 |
| :func:`lora_update` | LoRA: a frozen W plus a trainable low-rank B A | 05 |
| :func:`prompt_reply_parse` | a chat model's prompt, reply and the parsed score | 05 |
| :func:`bi_vs_cross_encoder` | bi-encoder against cross-encoder | 06 |
| :func:`guard_layers` | the short-answer guard's six layers, cheapest first | 06 |
"""

from __future__ import annotations

from course_tools.slide_content import FIGURE_WIDTH_IN, LABEL_PT

#: Colours: input text, computed features, a model, its output, a frozen part, a warning.
TEXT, FEATURE, MODEL, OUTPUT, FROZEN, WARN = ("#DDE8F5", "#FFF2CC", "#D5E8D4", "#F8CECC",
                                              "#E6E6E6", "#C0392B")
BIG = LABEL_PT + 2


def _canvas(height: float):
    """A figure :data:`FIGURE_WIDTH_IN` wide with one invisible axes in data units of
    0.1 inch (x: 0-110, y: 0-10*height), so boxes can be placed by hand."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(FIGURE_WIDTH_IN, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, FIGURE_WIDTH_IN * 10)
    ax.set_ylim(0, height * 10)
    ax.axis("off")
    return fig, ax


def _box(ax, x, y, w, h, text, color, size=LABEL_PT, weight="normal", **style):
    """A rounded box with its lower left corner at (x, y) and centred text."""
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.3,rounding_size=1.2",
                                facecolor=color, edgecolor=style.pop("edge", "#555555"),
                                linewidth=1.5, **style))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=size,
            fontweight=weight, linespacing=1.3)


def _arrow(ax, start, end, text="", color="#333333", offset=1.2):
    """An arrow from ``start`` to ``end``, with ``text`` above its middle."""
    ax.annotate("", xy=end, xytext=start,
                arrowprops={"arrowstyle": "-|>", "color": color, "lw": 2, "mutation_scale": 22})
    if text:
        ax.text((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + offset, text, ha="center",
                va="bottom", fontsize=LABEL_PT, color=color)


def text_to_score():
    """An essay becomes numbers (features); a classifier fitted on graded essays maps
    them to a score."""
    fig, ax = _canvas(3.6)
    y, h = 12, 14
    _box(ax, 1, y, 24, h, "essay\n\"I waited patiently\nfor my turn ...\"", TEXT)
    _box(ax, 32, y, 24, h, "features\nword weights (TF-IDF)\nlength, readability", FEATURE)
    _box(ax, 63, y, 22, h, "classifier\nlogistic regression,\nrandom forest", MODEL)
    _box(ax, 92, y, 16, h, "score\n0-12", OUTPUT, size=BIG, weight="bold")
    _arrow(ax, (25.5, y + h / 2), (31.5, y + h / 2))
    _arrow(ax, (56.5, y + h / 2), (62.5, y + h / 2))
    _arrow(ax, (85.5, y + h / 2), (91.5, y + h / 2))
    ax.text(28.5, 29, "transform: the same\nrecipe for every essay", ha="center",
            fontsize=LABEL_PT)
    ax.text(74, 29, "fit: learns from\ngraded essays", ha="center", fontsize=LABEL_PT)
    ax.text(55, 4, "predict: a new essay takes the same path, left to right",
            ha="center", fontsize=LABEL_PT, style="italic")
    return fig


def data_discipline(n_train: int = 60, n_dev: int = 20, n_test: int = 20, unit: str = "%"):
    """The data split into train, dev and test, sized to scale, and what each part is for."""
    fig, ax = _canvas(4.2)
    total = n_train + n_dev + n_test
    parts = (("train", n_train, MODEL, "fit the model's weights"),
             ("dev", n_dev, FEATURE, "compare models and\nsettings, often"),
             ("test", n_test, OUTPUT, "score once,\nat the end"))
    x, width = 2.0, 106.0
    for name, n, color, use in parts:
        w = width * n / total
        _box(ax, x, 18, w - 1.5, 10, f"{name}\n{n:,}{unit}", color, weight="bold")
        ax.text(x + (w - 1.5) / 2, 14, use, ha="center", va="top", fontsize=LABEL_PT)
        x += w
    dev_mid = 2 + width * (n_train + n_dev / 2) / total
    ax.annotate("", xy=(25, 29.5), xytext=(dev_mid, 29.5),
                arrowprops={"arrowstyle": "-|>", "lw": 2, "color": "#333333",
                            "connectionstyle": "arc3,rad=0.12", "mutation_scale": 22})
    ax.text((dev_mid + 25) / 2, 36.5, "choices go back into the model", ha="center",
            fontsize=LABEL_PT)
    ax.text(55, 3, "A choice made on the test set makes its score the best of several tries,"
            "\nnot a fresh measurement.", ha="center", fontsize=LABEL_PT, color=WARN)
    return fig


def qwk_weights(k: int = 13):
    """QWK's disagreement weights ``w_ij = (i - j)^2 / (k - 1)^2`` as a heat map."""
    import matplotlib.pyplot as plt
    import numpy as np

    i, j = np.indices((k, k))
    w = (i - j) ** 2 / (k - 1) ** 2
    fig, ax = plt.subplots(1, 2, figsize=(FIGURE_WIDTH_IN, 4.6),
                           gridspec_kw={"width_ratios": [1, 1.25]})
    image = ax[0].imshow(w, cmap="Reds", origin="upper")
    ticks = range(0, k, 2 if k > 8 else 1)
    ax[0].set_xticks(ticks)
    ax[0].set_yticks(ticks)
    ax[0].set_xlabel("machine score j", fontsize=LABEL_PT)
    ax[0].set_ylabel("human score i", fontsize=LABEL_PT)
    ax[0].tick_params(labelsize=LABEL_PT)
    bar = fig.colorbar(image, ax=ax[0], fraction=0.046)
    bar.ax.tick_params(labelsize=LABEL_PT)
    ax[1].plot(range(k), w[0], "o-", color="#C0392B")
    ax[1].set_xlabel("points apart |i - j|", fontsize=LABEL_PT)
    ax[1].set_ylabel("weight of the miss", fontsize=LABEL_PT)
    ax[1].set_xticks(ticks)
    ax[1].tick_params(labelsize=LABEL_PT)
    ax[1].grid(alpha=0.3)
    ax[1].annotate(f"1 apart: {w[0, 1]:.4f}\n4 apart: {w[0, 4]:.4f} (16 times)",
                   xy=(4, w[0, 4]), xytext=(0.2, 0.62), fontsize=LABEL_PT,
                   arrowprops={"arrowstyle": "->"})
    fig.tight_layout()
    return fig


def encoder_head():
    """Tokens -> a transformer encoder -> one vector per token -> pooled -> a small head
    that gives the score (classification: one logit per score; regression: one number)."""
    fig, ax = _canvas(4.8)
    tokens = ("[CLS]", "i", "waited", "patient", "##ly", "...", "[SEP]")
    for n, token in enumerate(tokens):
        _box(ax, 1, 42 - 6 * n, 13, 4, token, TEXT)
    _box(ax, 20, 4, 24, 40, "transformer\nencoder\n\nself-attention:\nevery token\nlooks at\nevery other",
         MODEL)
    for n in range(len(tokens)):
        ax.annotate("", xy=(19.5, 44 - 6 * n), xytext=(14.8, 44 - 6 * n),
                    arrowprops={"arrowstyle": "-|>", "lw": 1.5, "mutation_scale": 15})
    _box(ax, 50, 17, 17, 14, "one vector\n([CLS] or\nthe mean)", FEATURE)
    _arrow(ax, (44.5, 24), (49.5, 24))
    _box(ax, 73, 17, 11, 14, "head\n(linear)", MODEL, weight="bold")
    _arrow(ax, (67.5, 24), (72.5, 24))
    _box(ax, 90, 30, 19, 14, "classification\n13 logits,\nsoftmax", OUTPUT)
    _box(ax, 90, 5, 19, 14, "regression\n1 number,\nsigmoid, mu\u207b\u00b9", OUTPUT)
    _arrow(ax, (84.5, 26), (89.5, 36))
    _arrow(ax, (84.5, 22), (89.5, 12))
    ax.text(67, 7, "fine-tuning trains the\nencoder and head together",
            ha="center", fontsize=LABEL_PT, style="italic")
    return fig


def tokenizer_split(text: str, tokenizer, max_pieces: int = 48):
    """Each piece a tokenizer cuts ``text`` into, in order: a word's first piece in blue,
    its continuations (``##...``) in orange; the words and pieces counted."""
    pieces = tokenizer.tokenize(text)[:max_pieces]
    n_words = len(text.split())
    rows: list[list[str]] = [[]]
    width = 0.0
    for piece in pieces:
        w = 1.3 * len(piece) + 2.2
        if width + w > 106:
            rows.append([])
            width = 0.0
        rows[-1].append(piece)
        width += w + 0.8
    fig, ax = _canvas(1.2 + 0.75 * len(rows))
    top = 10 * (0.75 * len(rows)) + 2
    for r, row in enumerate(rows):
        x = 2.0
        for piece in row:
            w = 1.3 * len(piece) + 2.2
            color = FEATURE if piece.startswith("##") else TEXT
            _box(ax, x, top - 7.5 * r - 4, w, 4, piece, color)
            x += w + 0.8
    ax.text(2, top + 2.5, f"{n_words} words -> {len(tokenizer.tokenize(text))} pieces "
            "(orange: a piece that continues a word)", fontsize=LABEL_PT, va="bottom")
    return fig


def mu_cutoffs(lo: int = 0, hi: int = 12, example: float = 0.6):
    """Regression on scores: each score ``n`` sits at ``mu(n)``, the middle of its slice of
    [0, 1]; a prediction is mapped back by the slice it falls in (the cutoffs)."""
    import matplotlib.pyplot as plt
    import numpy as np

    from course_utils.cutoffs import mu, mu_inv

    scores = np.arange(lo, hi + 1)
    k = len(scores)
    fig, ax = plt.subplots(figsize=(FIGURE_WIDTH_IN, 3.4))
    for n in scores:
        ax.axvspan((n - lo) / k, (n - lo + 1) / k, color=FEATURE if n % 2 else TEXT, lw=0)
        ax.plot(mu(n, lo, hi), 0.5, "o", color="#2C5F8A", ms=9)
        ax.text(mu(n, lo, hi), 0.68, str(n), ha="center", fontsize=LABEL_PT)
    for c in np.arange(1, k) / k:
        ax.axvline(c, color="#555555", lw=1.2, ls="--")
    ax.annotate(f"prediction {example:.2f} -> score {int(mu_inv(example, lo, hi))}",
                xy=(example, 0.5), xytext=(example + 0.1, 0.1), fontsize=LABEL_PT,
                color=WARN, bbox={"facecolor": "white", "edgecolor": WARN}, arrowprops={"arrowstyle": "->", "color": WARN, "lw": 2})
    ax.plot([example], [0.5], "D", color=WARN, ms=10)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_yticks([])
    ax.set_xticks(np.linspace(0, 1, 6))
    ax.tick_params(labelsize=LABEL_PT)
    ax.set_xlabel("model output in [0, 1] (sigmoid); dots: mu(score), dashed: cutoffs",
                  fontsize=LABEL_PT)
    ax.set_ylabel("score", fontsize=LABEL_PT)
    fig.tight_layout()
    return fig


def lora_update(d: int = 576, r: int = 8):
    """LoRA: the pretrained weight ``W`` (d x d) stays frozen; only ``B`` (d x r) and ``A``
    (r x d) are trained, and the layer computes ``W x + B A x``."""
    fig, ax = _canvas(4.6)
    _box(ax, 4, 8, 30, 30, f"W\n{d} x {d}\nfrozen", FROZEN, size=BIG, weight="bold")
    ax.text(40, 22, "+", fontsize=40, ha="center", va="center")
    _box(ax, 47, 8, 5, 30, "B", MODEL, size=BIG, weight="bold")
    ax.text(49.5, 4, f"{d} x {r}", ha="center", fontsize=LABEL_PT)
    _box(ax, 56, 30, 30, 5, "A", MODEL, size=BIG, weight="bold")
    ax.text(71, 26, f"{r} x {d}", ha="center", fontsize=LABEL_PT)
    ax.text(71, 15, "trained", ha="center", fontsize=BIG, color="#2E7D32", fontweight="bold")
    full, low = d * d, 2 * d * r
    ax.text(88, 31, "h = W x + (α/r) B A x", fontsize=LABEL_PT, va="center")
    ax.text(88, 20, f"trained numbers:\n{low:,} instead\nof {full:,}\n({low / full:.1%})",
            fontsize=LABEL_PT, va="center")
    ax.text(4, 41, f"one {d} x {d} weight matrix of an attention layer, with LoRA of rank r = {r}",
            fontsize=LABEL_PT)
    return fig


def prompt_reply_parse():
    """A chat model scores an essay: a prompt in, a reply out, the score parsed from it."""
    fig, ax = _canvas(3.4)
    _box(ax, 1, 9, 27, 16, "prompt\nthe task, the rubric,\nthe essay", TEXT)
    _box(ax, 36, 11, 18, 12, "chat model\n(hosted or\nlocal)", MODEL)
    _box(ax, 62, 9, 22, 16, "reply (text)\n\"... Score: 8\"", FEATURE)
    _box(ax, 92, 11, 16, 12, "parse\n-> 8", OUTPUT, weight="bold")
    _arrow(ax, (28.5, 17), (35.5, 17))
    _arrow(ax, (54.5, 17), (61.5, 17))
    _arrow(ax, (84.5, 17), (91.5, 17))
    ax.text(55, 30, "a reply without one clear score gives None:\ncounted, never guessed", ha="center",
            fontsize=LABEL_PT, style="italic")
    return fig


def bi_vs_cross_encoder():
    """A bi-encoder encodes reference and answer apart and compares the vectors; a
    cross-encoder reads the pair together and a head gives the grade."""
    fig, ax = _canvas(4.8)
    ax.text(27, 44, "bi-encoder", ha="center", fontsize=BIG, fontweight="bold")
    ax.text(83, 44, "cross-encoder", ha="center", fontsize=BIG, fontweight="bold")
    for y, what, vec in ((29, "reference", "u"), (13, "answer", "v")):
        _box(ax, 1, y, 14, 7, what, TEXT)
        _box(ax, 20, y, 12, 7, "encoder", MODEL)
        _box(ax, 37, y, 5, 7, vec, FEATURE, weight="bold")
        _arrow(ax, (15.5, y + 3.5), (19.5, y + 3.5))
        _arrow(ax, (32.5, y + 3.5), (36.5, y + 3.5))
    _box(ax, 45, 20, 10, 8, "cos(u, v)", OUTPUT)
    _arrow(ax, (42.5, 32), (46, 28.5))
    _arrow(ax, (42.5, 17), (46, 19.5))
    ax.text(27, 3, "each text encoded once;\nmany comparisons are cheap", ha="center",
            fontsize=LABEL_PT)
    ax.plot([58, 58], [2, 46], color="#999999", lw=1.5)
    _box(ax, 62, 30, 44, 6, "[CLS] reference [SEP] answer [SEP]", TEXT)
    _box(ax, 70, 19, 28, 6, "encoder reads both", MODEL)
    _box(ax, 77, 9, 14, 5, "head: grade", OUTPUT)
    _arrow(ax, (84, 29.5), (84, 25.5))
    _arrow(ax, (84, 18.5), (84, 14.5))
    ax.text(84, 1, "one pass per pair: slower,\nsees each word against the other text",
            ha="center", fontsize=LABEL_PT)
    return fig


def ensemble_cutoffs():
    """Notebook 09's scorer: features -> two regressors that err differently -> their
    average -> cutoffs fitted on out-of-fold predictions -> a score."""
    fig, ax = _canvas(4.2)
    _box(ax, 1, 12, 22, 16, "features\nSVD topics,\ntextstat,\nembeddings", FEATURE)
    _box(ax, 30, 24, 20, 8, "ridge regression", MODEL)
    _box(ax, 30, 8, 20, 8, "gradient boosting", MODEL)
    _box(ax, 57, 15, 13, 10, "average", MODEL, weight="bold")
    _box(ax, 77, 15, 14, 10, "cutoffs", OUTPUT)
    _box(ax, 97, 15, 11, 10, "score", OUTPUT, weight="bold")
    _arrow(ax, (23.5, 22), (29.5, 28))
    _arrow(ax, (23.5, 18), (29.5, 12))
    _arrow(ax, (50.5, 28), (56.5, 22))
    _arrow(ax, (50.5, 12), (56.5, 18))
    _arrow(ax, (70.5, 20), (76.5, 20))
    _arrow(ax, (91.5, 20), (96.5, 20))
    ax.text(84, 31, "fitted on out-of-fold\ntraining predictions", ha="center",
            fontsize=LABEL_PT)
    ax.text(55, 0.5, "numbers, not classes: each regressor predicts a score on a line;\n"
            "no dev or test essay is used to fit anything", ha="center", fontsize=LABEL_PT,
            style="italic")
    return fig


#: The guard's layers, cheapest first, as ``course_utils.short_answer.guard`` lists them:
#: (name, what it catches, on by default).
GUARD_LAYERS = (
    ("1 text rules", "no answer, instructions to the grader", True),
    ("2 relevance model", "another subject or question; a copy", True),
    ("3 nonsense margin", "question words around absurd content", True),
    ("4 support floor", "far from every credited answer", False),
    ("5 surprise check", "a word a language model did not expect", False),
    ("6 chat judge", "a chat model: a serious attempt?", False),
)


def guard_layers():
    """The guard's layers from cheapest to dearest; the first that objects gives grade 0
    with its reason, an answer that passes them all goes to the grader."""
    fig, ax = _canvas(5.6)
    ax.text(2, 52, "answer", fontsize=BIG, fontweight="bold", va="center")
    for n, (name, catches, on) in enumerate(GUARD_LAYERS):
        y = 43 - 7 * n
        _box(ax, 2, y, 84, 5, "", MODEL if on else FROZEN, edge="#555555" if on else "#999999")
        ax.text(3, y + 2.5, name, fontsize=LABEL_PT, fontweight="bold", va="center")
        ax.text(28.5, y + 2.5, catches, fontsize=LABEL_PT, va="center")
        ax.text(85.5, y + 2.5, "on" if on else "opt-in", fontsize=LABEL_PT, va="center",
                ha="right", style="normal" if on else "italic")
        _arrow(ax, (86.8, y + 2.5), (92, y + 2.5), color=WARN)
    ax.text(93, 28, "objects:\ngrade 0,\nwith its\nreason", fontsize=LABEL_PT, color=WARN,
            va="center")
    ax.annotate("", xy=(44, 48.6), xytext=(44, 53),
                arrowprops={"arrowstyle": "-|>", "lw": 2, "mutation_scale": 22})
    _box(ax, 26, 1, 36, 4, "passes all: the grader", OUTPUT, weight="bold")
    ax.annotate("", xy=(44, 5.6), xytext=(44, 7.6),
                arrowprops={"arrowstyle": "-|>", "lw": 2, "mutation_scale": 22})
    ax.text(64, 2.5, "cheapest first; grey: opt-in", fontsize=LABEL_PT, va="center")
    return fig


#: Every diagram function, for the tests and for a preview.
DIAGRAMS = (text_to_score, data_discipline, qwk_weights, encoder_head, mu_cutoffs,
            ensemble_cutoffs, lora_update, prompt_reply_parse, bi_vs_cross_encoder,
            guard_layers)
