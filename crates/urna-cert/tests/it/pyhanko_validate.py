"""Validates the one signature of a PDF with pyHanko against a trusted CA.

usage: pyhanko_validate.py FILE.pdf CA.pem [TSA-CA.pem]
Prints one JSON object: intact, valid, trusted, coverage, modification_level,
signer, signing_time (the /M pyHanko read), the signed attribute OIDs and
timestamp: the signature time-stamp's intact, valid, trusted and time, its
chain checked against TSA-CA.pem (null when the signature has none).
"""
import json
import sys

from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

pdf, ca = sys.argv[1], sys.argv[2]
context = ValidationContext(trust_roots=[load_cert_from_pemder(ca)])
# The time-stamp's chain has its own anchor; without one, pyHanko uses the
# signer's context (and so distrusts any authority).
ts_context = (
    ValidationContext(trust_roots=[load_cert_from_pemder(sys.argv[3])])
    if len(sys.argv) > 3
    else None
)
with open(pdf, "rb") as f:
    reader = PdfFileReader(f)
    signatures = reader.embedded_signatures
    if len(signatures) != 1:
        print(json.dumps({"error": f"{len(signatures)} signatures"}))
        sys.exit(0)
    sig = signatures[0]
    status = validate_pdf_signature(sig, context, ts_validation_context=ts_context)
    ts = status.timestamp_validity
    attrs = sig.signer_info["signed_attrs"]
    print(json.dumps({
        "intact": status.intact,
        "valid": status.valid,
        "trusted": status.trusted,
        "coverage": status.coverage.name if status.coverage else None,
        "modification_level": status.modification_level.name if status.modification_level else None,
        "signer": status.signing_cert.subject.human_friendly,
        "signing_time": sig.self_reported_timestamp.isoformat() if sig.self_reported_timestamp else None,
        "signed_attrs": [a["type"].dotted for a in attrs],
        "timestamp": None if ts is None else {
            "intact": ts.intact,
            "valid": ts.valid,
            "trusted": ts.trusted,
            "time": ts.timestamp.isoformat(),
        },
    }))
