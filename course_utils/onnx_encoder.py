"""A sentence encoder run by ONNX Runtime: the same weights, about twice as fast on a CPU.

Built by :mod:`course_utils.embeddings` after ``set_backend("onnx")``, where a few short
texts at a time must be embedded quickly (a live regrade in the few-shot grader of
notebook 18). The model's transformer is exported to ONNX in memory when it is first
needed (a few seconds, once per process); tokenizing and pooling stay sentence-transformers'
own, so the vectors match the PyTorch ones to about 1e-6. Needs :data:`INSTALL_HINT`.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence

import numpy as np

INSTALL_HINT = 'pip install onnxruntime "onnx<1.23"'  # onnx 1.23 needs protobuf >= 6.31, newer than Colab's


def _require_onnx() -> None:
    import importlib.util

    missing = [name for name in ("onnxruntime", "onnx") if importlib.util.find_spec(name) is None]
    if missing:
        raise ImportError(f"The ONNX backend needs {' and '.join(missing)}: run `{INSTALL_HINT}`, "
                          "or keep the default backend, set_backend('torch').")


class OnnxEncoder:
    """``encode`` like a ``SentenceTransformer``'s, with its transformer run by ONNX Runtime."""

    def __init__(self, st_model, threads: int):
        import onnxruntime as ort
        import torch

        self.st_model = st_model
        transformer = st_model[0].auto_model.eval()
        example = self._features(["an example", "another example text"])
        self.input_names = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in example]

        class _Hidden(torch.nn.Module):  # positional inputs in, token embeddings out
            def __init__(self, model, names):
                super().__init__()
                self.model, self.names = model, names

            def forward(self, *inputs):
                return self.model(**dict(zip(self.names, inputs)), return_dict=False)[0]

        axes = {name: {0: "batch", 1: "tokens"} for name in [*self.input_names, "token_embeddings"]}
        blob = io.BytesIO()
        with torch.no_grad(), warnings.catch_warnings():
            # the exporter's notes on tracing: the example has padding, so the traced graph masks it
            warnings.simplefilter("ignore")
            torch.onnx.export(_Hidden(transformer, self.input_names), tuple(example[k] for k in self.input_names),
                              blob, input_names=self.input_names, output_names=["token_embeddings"],
                              dynamic_axes=axes, opset_version=17, dynamo=False)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # no busy threads between calls
        self.session = ort.InferenceSession(blob.getvalue(), options, providers=["CPUExecutionProvider"])

    def _features(self, texts: list[str]) -> dict:
        model = self.st_model
        return model.preprocess(texts) if hasattr(model, "preprocess") else model.tokenize(texts)

    def encode(self, texts: Sequence[str], batch_size: int = 32, normalize_embeddings: bool = True,
               **_ignored) -> np.ndarray:
        """``(n, dim)`` float32 vectors, batched by length as sentence-transformers does."""
        import torch

        texts = list(texts)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out: list = [None] * len(texts)
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                idx = order[start:start + batch_size]
                features = self._features([texts[i] for i in idx])
                hidden = self.session.run(None, {k: features[k].numpy() for k in self.input_names})[0]
                features = {**features, "token_embeddings": torch.from_numpy(hidden)}
                for module in list(self.st_model)[1:]:  # pooling (and normalising) as the model says
                    features = module(features)
                vectors = features["sentence_embedding"]
                if normalize_embeddings:
                    vectors = torch.nn.functional.normalize(vectors, p=2, dim=1)
                for i, vector in zip(idx, vectors.numpy().astype(np.float32)):
                    out[i] = vector
        return np.stack(out)
