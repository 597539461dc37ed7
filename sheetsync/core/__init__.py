"""The functional core: plain data in, plain data out; no I/O, no clock read inside.

Values and the tab as read (values, table), tickets and their IDs (tickets, identity, delta),
what changed (transitions), what to do about it (rules, effects, triage, incidents, sla,
reminders, task_links), the words and payloads sent (messages, slack_blocks, clickup_task,
privacy), the reports (reporting, kpis, clusters, schedule, reports/) and the cells and
requests written (cells, report_layout, google_cells, google_reports, setup, render).
`sheetsync/schema.py` and `sheetsync/validators.py` belong to it too, where the design
card fixes them.
"""
