"""The four reports as data: the morning review, the daily summary, the weekly report and the
monthly analysis, each built from the tickets and the history of a period."""
