#!/usr/bin/env python3
"""Verifies a proof receipt (a DSSE envelope) with securesystemslib, given the published
JWK set. Prints the payload type and the kid on success; exits 1 with the reason if the
envelope does not verify.

    python3 sslib_verify.py RECEIPT.json KEYS.json

The envelope is read by securesystemslib's own DSSE parser (standard base64 payload and
signatures), which computes the pre-authentication encoding and checks the Ed25519
signature; the keys come from the JWK set alone.
"""

import base64
import json
import sys

from securesystemslib.dsse import Envelope
from securesystemslib.exceptions import VerificationError
from securesystemslib.signer import SSlibKey


def main():
    env = json.load(open(sys.argv[1]))
    jwks = json.load(open(sys.argv[2]))
    keys = []
    for k in jwks["keys"]:
        x = base64.urlsafe_b64decode(k["x"] + "=" * (-len(k["x"]) % 4))
        keys.append(SSlibKey(k["kid"], "ed25519", "ed25519", {"public": x.hex()}))
    envelope = Envelope.from_dict(env)
    try:
        accepted = envelope.verify(keys, 1)
    except VerificationError as e:
        print(f"not verified: {e}", file=sys.stderr)
        return 1
    print(json.dumps({"payloadType": envelope.payload_type, "kids": sorted(accepted)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
