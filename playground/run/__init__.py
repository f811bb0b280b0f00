"""The run behind the window, with no widgets: the session and its editable project, the trainer's
process (or thread) and its protocol, the snapshots and probes it sends, time travel and run history."""
