"""Imports of many files at once (``batch``): what ``graphsvc import PATH...`` runs.

One file's import (detection, validation, the job ledger, batches) is ``graphsvc.imports.jobs``; this
package turns paths, folders and globs into a list of such imports and runs them in turn.
"""
