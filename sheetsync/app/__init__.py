"""The running program: the CLI, the daemon's loop, doctor, the demo, logs and metrics."""
