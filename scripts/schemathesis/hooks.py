"""Schemathesis hooks for Latchkey's API contract run (scripts/schemathesis.sh).

Two checks replace built-in ones where the API does something JSON Schema cannot state; each is
the built-in check with narrow, named allowances (schemathesis.toml switches the built-in ones
off). Any other failure still fails.

- positive_data_acceptance expects every request that matches the OpenAPI document to be
  accepted. A few rules cannot be written in JSON Schema, so a request can match the document
  and still be refused: always a 400 with one specific code, listed per operation below. And on
  every operation, Fastify refuses a JSON body with a "__proto__" key, or a "constructor" key
  holding "prototype", at any depth (prototype poisoning): 400 BAD_REQUEST. Unknown fields are
  otherwise dropped, so the document leaves them open and cannot single these out.
- negative_data_rejection expects every request that breaks the document to be refused. The API
  validates with Fastify's default type coercion (Ajv's coerceTypes: "array"), as HTML forms
  need: a JSON number, boolean or null sent where a string is expected, or a one-item array, is
  read as that string. A body broken only in this way is accepted when its coerced form matches
  the document; that is the one allowance.
"""

import math
import re

import schemathesis
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.core.parameters import ParameterLocation
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

# Why each code cannot be a schema rule:
# - EMAIL_INVALID: an address is trimmed, NFC-normalised, lower-cased and its domain turned into
#   punycode before it is judged deliverable (one @, an ASCII local part without RFC 5322
#   specials, a dotted domain that is no IP address in disguise). A pattern on the raw string
#   cannot follow the normalisation, so the document bounds only the length.
# - PASSWORD_TOO_COMMON: the password is not on Mozilla's list of common passwords
#   (fxa-common-password-list, drawn from the million most used ones); JSON Schema could only
#   list them all.
# - CODE_MISSING: the code may come under either of two names (verification_code or code); the
#   document marks both optional.
# - REFRESH_TOKEN_MISSING: the refresh token comes in the body or, for browsers
#   (X-Token-Transport: cookie), in an HttpOnly cookie; the body's field is therefore optional.
RULES_BEYOND_SCHEMA = {
    "POST /register": {"EMAIL_INVALID", "PASSWORD_TOO_COMMON"},
    "POST /password/forgot": {"EMAIL_INVALID"},
    "POST /password/reset": {"CODE_MISSING", "PASSWORD_TOO_COMMON"},
    "POST /verify": {"CODE_MISSING"},
    "POST /me/password": {"PASSWORD_TOO_COMMON"},
    "POST /token/refresh": {"REFRESH_TOKEN_MISSING"},
    "POST /logout": {"REFRESH_TOKEN_MISSING"},
}


def _error_code(response):
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


def _poisons_prototypes(value):
    """Whether a JSON value holds what secure-json-parse (Fastify's JSON parser) refuses."""
    if isinstance(value, list):
        return any(_poisons_prototypes(item) for item in value)
    if not isinstance(value, dict):
        return False
    if "__proto__" in value or isinstance(value.get("constructor"), dict) and "prototype" in value["constructor"]:
        return True
    return any(_poisons_prototypes(item) for item in value.values())


@schemathesis.check
def positive_data_acceptance_beyond_schema(ctx, response, case):
    """positive_data_acceptance, but for the refusals in RULES_BEYOND_SCHEMA and prototype poisoning."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        code = _error_code(response) if response.status_code == 400 else None
        if code in RULES_BEYOND_SCHEMA.get(f"{case.method.upper()} {case.operation.path}", set()):
            return None
        if code == "BAD_REQUEST" and _poisons_prototypes(case.body):
            return None
        raise


def _js_string(number):
    """A JSON number as JavaScript's String() writes it (what Ajv's coercion yields), near enough."""
    value = float(number) if isinstance(number, float) or abs(number) > 2**53 else number
    if isinstance(value, int):
        return str(value)
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    # Python writes 1e+21 and 1e-07; JavaScript writes 1e+21 and 1e-7.
    return re.sub(r"e([+-])0*(\d)", r"e\1\2", text)


def _coerced(value, schema):
    """Ajv's coerceTypes: "array" for a value whose schema asks for a string."""
    if not isinstance(schema, dict) or schema.get("type") != "string":
        return value
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _js_string(value)
    if value is None:
        return ""
    return value


def _valid_once_coerced(case):
    """Whether the request broke the document only in its JSON body, and the coerced body matches it."""
    meta = case.meta
    if meta is None or not meta.is_negative_at(ParameterLocation.BODY):
        return False
    others = (ParameterLocation.PATH, ParameterLocation.QUERY, ParameterLocation.HEADER, ParameterLocation.COOKIE)
    if any(meta.is_negative_at(location) for location in others):
        return False
    if not (case.media_type or "").startswith("application/json") or not isinstance(case.body, dict):
        return False
    body = case.operation.get_body_for_media_type(case.media_type)
    if body is None:
        return False
    properties = body.validation_schema.get("properties", {})
    coerced = {name: _coerced(value, properties.get(name)) for name, value in case.body.items()}
    return coerced != case.body and body.is_valid(coerced)


@schemathesis.check
def negative_data_rejection_after_coercion(ctx, response, case):
    """negative_data_rejection, but a body valid once coerced (see the top) may be accepted."""
    try:
        return negative_data_rejection(ctx, response, case)
    except AcceptedNegativeData:
        if _valid_once_coerced(case):
            return None
        raise
