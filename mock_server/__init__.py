"""A local fake Hoko ``POST /api/links`` driven by the kit's OpenAPI spec.

Exception hierarchy::

    MockError
     +-- ConfigError                  a setting is wrong: names the key, the problem, the source
     +-- RejectedRequestError         a request gets a documented error status (401, 403, 429, 400)
          +-- UnknownPreferenceError  the Prefer header names no documented status or example
     +-- HeadTooLargeError            a request's line and headers pass 16 KiB: answered 400
     +-- QrParameterError             a /qrcode parameter is missing or out of range: answered 400
"""

from mock_server.errors import ConfigError, MockError, RejectedRequestError

__all__ = ["ConfigError", "MockError", "RejectedRequestError"]
