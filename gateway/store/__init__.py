"""Floor 3: the database and the files on disk: models, migrations, the hot path's prebuilt SQL, the raw archive, leases, reads that turn rows into desk views."""
