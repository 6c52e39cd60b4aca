"""What fills the index: discovery of transcript files, parsing in worker processes (batches
and the shared-memory hand-over), and the incremental sync. Light at import: the worker
processes load `ingest.batches` and `ingest.workers` with the transcript package only."""
