"""One error hierarchy for the whole library.

    GraphsvcError
    ├── ConfigurationError      settings that cannot work (bad GRAPHSVC_STORE, ...)
    ├── StoreUnavailable        the store cannot be reached or refused the credentials
    ├── AnalyticsUnavailable    the server's process answering a question stopped before it answered
    ├── ImportFailed            a file that cannot be imported at all; nothing was written
    │   ├── UnrecognisedFormat  no importer understands the file
    │   ├── MissingOwner        a social export whose owner is unknown
    │   └── MissingEventInfo    an attendee list without an event date
    ├── NotFound                an id that does not exist in the caller's workspace
    ├── Conflict                a change that contradicts what is known (merging two LinkedIn profiles)
    └── InvalidArgument         a request that cannot be answered as asked
        ├── JobNotRunning       cancelling an import job that is not running (finished, failed, cancelled)
        ├── InvalidManifest     an events manifest (``graphsvc import --events``) with bad rows; nothing was imported
        └── IllegalTransition   an intro request moved to a state its current state cannot reach

The CLI and the API translate these into exit codes and GraphQL error codes at their edge;
``code`` is the stable machine-readable name both use.
"""

from __future__ import annotations


class GraphsvcError(Exception):
    code = "INTERNAL"


class ConfigurationError(GraphsvcError):
    code = "CONFIGURATION"


class StoreUnavailable(GraphsvcError):
    """The store cannot be reached, went away mid-operation or refused the credentials.

    Nothing of the failed operation was written; an import job stays resumable from its last
    committed checkpoint. The message names the store (never the password) and the cause.
    """

    code = "STORE_UNAVAILABLE"


class AnalyticsUnavailable(GraphsvcError):
    """A process answering analytic questions for the server stopped (killed, out of memory) before it
    answered, twice; nothing was written, and asking again is safe (``graphsvc.api.analytics_processes``)."""

    code = "ANALYTICS_UNAVAILABLE"


class ImportFailed(GraphsvcError):
    code = "IMPORT_FAILED"


class UnrecognisedFormat(ImportFailed):
    code = "UNRECOGNISED_FORMAT"


class MissingOwner(ImportFailed):
    code = "MISSING_OWNER"


class MissingEventInfo(ImportFailed):
    code = "MISSING_EVENT_INFO"


class NotFound(GraphsvcError):
    code = "NOT_FOUND"


class Conflict(GraphsvcError):
    code = "CONFLICT"


class InvalidArgument(GraphsvcError):
    code = "INVALID_ARGUMENT"


class JobNotRunning(InvalidArgument):
    code = "JOB_NOT_RUNNING"


class InvalidManifest(InvalidArgument):
    """An events manifest that cannot be used; ``problems`` lists each bad row or column."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


class IllegalTransition(InvalidArgument):
    """An intro request asked to move to a state its current state cannot reach (``graphsvc/intro_requests.py``)."""

    code = "ILLEGAL_TRANSITION"
