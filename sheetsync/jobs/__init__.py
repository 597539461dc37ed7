"""Jobs: what sheetsync runs over a tracker, each a core computation with thin I/O around it."""
