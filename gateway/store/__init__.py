"""Floor 3: the database and the files on disk: models, migrations, the hot path's statements, the raw archive, leases, reads that turn rows into desk views."""
