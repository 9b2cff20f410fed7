"""Floor 6: scheduled and one-off work over the database: deadline sweep, retention, reports, history import."""
