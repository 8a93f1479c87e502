"""The local stack `fireline dev` runs: the Temporal dev server, an embedded PostgreSQL (and who it
runs as under root), the codec server wiring and the files it keeps in its data folder."""
