"""Jobs: what sheetsync runs over a tracker (check, the sync cycle, the reports, reminders and
SLA alerts), each the thin I/O around a computation of the core."""
