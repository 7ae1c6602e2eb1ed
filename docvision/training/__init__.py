"""Training: one shared loop (time budget, checkpoints, resume, validation, export)
plus the detector- and recognizer-specific data and loss."""
