"""The one Markdown table writer of the results scripts.

Every generated results file renders its tables from a CSV through :func:`markdown_table`,
which hands the layout to pandas (``DataFrame.to_markdown``, via ``tabulate``).
"""

from __future__ import annotations

import pandas as pd


def markdown_table(df: pd.DataFrame, floatfmt: str = ".3f", index: bool = False, numparse: bool = True) -> str:
    """``df`` as a GitHub Markdown table; floats with ``floatfmt``, missing cells empty.

    ``numparse=False`` prints every cell as it is (for cells already formatted as text,
    such as ``"16.6"`` or ``"0.730"``, which would otherwise be re-formatted with ``floatfmt``).
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"markdown_table needs a pandas DataFrame, got {type(df).__name__}")
    shown = df.astype(object).where(df.notna(), "")
    return shown.to_markdown(index=index, tablefmt="github", floatfmt=floatfmt, missingval="",
                             disable_numparse=not numparse)
