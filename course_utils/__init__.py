"""course_utils: the small helper library of the course "AI Scoring in Python".

Modules (each readable in one sitting):

* :mod:`course_utils.config` -- profiles (full / fast / smoke), device, seeds
* :mod:`course_utils.data` -- ASAP essays, the reference split, the fruit data
* :mod:`course_utils.metrics` -- QWK, exact/adjacent agreement, SMD, Williamson checks
* :mod:`course_utils.hub` -- Hub ids and their offline real-weight stand-ins
* :mod:`course_utils.embeddings` -- cached sentence embeddings
* :mod:`course_utils.cutoffs` -- mu / mu_inv and optimised cutoffs
* :mod:`course_utils.checks` -- the shared input check for lists of texts

Heavy libraries (torch, transformers) are imported inside functions, so importing
this package is fast.
"""

__version__ = "0.1.0"
