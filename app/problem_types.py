"""The two constants of every problem document (RFC 9457), below both `errors.py` and `logging.py`.

The request middleware in `logging.py` answers an exception nothing else caught
with a problem document of its own; it needs these without importing the error
handlers, which in turn need the request id the middleware keeps.
"""

PROBLEM_BASE = "https://varsel.example/problems/"
PROBLEM_CONTENT_TYPE = "application/problem+json"
