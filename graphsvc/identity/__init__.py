"""Identity: which stored record a source's person is, whether two records are the same human,
and the people users see once records are merged.

* ``records``: exact identity keys, the first stage of resolution (``Resolver``).
* ``normalise``: the normalised forms people are recognised by (names, emails, phones, URLs,
  organizations).
* ``matching``: blocking keys and the scored comparison of two records (pure functions).
* ``merging``: merges, splits, automatic merges and possible duplicates in a workspace.
* ``clusters``: every record merged into a person read as that person (``ClusteredStore``).

The store may use the pure parts (``normalise``, ``matching``); the rest sits above it.
"""
