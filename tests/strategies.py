"""Hypothesis strategies shared by the property tests: anything a spreadsheet cell can hold."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import strategies as st

#: Text a person might type, including the near-misses the validators must read.
typed_text = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"\+?[0-9 ()\-.]{0,20}", fullmatch=True),
    st.from_regex(r"[0-9]{1,4}[-/.][0-9]{1,2}[-/.][0-9]{1,4}( [0-9]{1,2}[:.][0-9]{1,2})?"
                  r"( ?[aApP][mM])?", fullmatch=True),
    st.from_regex(r"[0-9.]{1,5} ?(d|h|m|s|mins?|hours?|days?|and|,| ){0,6}", fullmatch=True),
    st.from_regex(r"[A-Za-z]{0,4}[- #]?[0-9]{0,8}", fullmatch=True),
    st.sampled_from(["N/A", "n/a", "-", "Yes", "no", "Escalated", "resolved", "Bugg",
                     "Priya (Support), Rahul (Tech)", "Priya (Support", "a@b.co", "@", "+",
                     "9.19876E+11", "https://app.clickup.com/t/9hx", "#9hx"]),
)

#: Every type a cell can come back as from openpyxl or the Sheets API.
cell_values = st.one_of(
    st.none(),
    typed_text,
    st.integers(min_value=-10**20, max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.dates(),
    st.times(),
    st.timedeltas(min_value=timedelta(days=-10**4), max_value=timedelta(days=10**4)),
)
