"""Training and evaluation data: labeled-page readers, synthetic pages, LMDB.

- ``types``: :class:`LabeledPage` / :class:`LabeledWord`, what every source yields.
- ``readers``: page folder, ICDAR-2015 txt, FUNSD JSON, images/ + labels.json (``PageDataset``).
- ``lmdb_store``: detection LMDB (packed pages) and recognition LMDB (CRNN key convention).
- ``formats``: ``open_labeled`` / ``open_crops`` pick the reader by sniffing a path.
- ``labels``: bad-label rules and the page-folder JSON form; ``labeled_crops``: recognition crops.
- ``synth``: the synthetic page generator; ``show``: ground-truth pictures; ``cli``: commands.
"""
