"""Training and evaluation data: labeled-page readers, synthetic pages, LMDB."""
