#!/usr/bin/env python3
"""A SCRAM client exchange computed with Python's hashlib/hmac (PBKDF2 from hashlib), an implementation
that is not Ferry's, to check Ferry's SCRAM client against (RFC 5802; RFC 7677 for SHA-256).

Usage: scram.py --hash sha256|sha512 --user U --password P --client-nonce CN --server-first MSG
Prints JSON: {"client_first": ..., "client_final": ..., "server_final": ...} for the given server-first
message (r=<nonce>,s=<base64 salt>,i=<iterations>).
"""
import argparse
import base64
import hashlib
import hmac
import json


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hash", required=True, choices=["sha256", "sha512"])
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--client-nonce", required=True)
    parser.add_argument("--server-first", required=True)
    args = parser.parse_args()
    name = args.hash
    user = args.user.replace("=", "=3D").replace(",", "=2C")
    first_bare = f"n={user},r={args.client_nonce}"
    fields = dict(part.split("=", 1) for part in args.server_first.split(","))
    salt = base64.b64decode(fields["s"])
    iterations = int(fields["i"])
    salted = hashlib.pbkdf2_hmac(name, args.password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", name).digest()
    stored_key = hashlib.new(name, client_key).digest()
    without_proof = f"c=biws,r={fields['r']}"
    auth_message = f"{first_bare},{args.server_first},{without_proof}".encode()
    signature = hmac.new(stored_key, auth_message, name).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature))
    server_key = hmac.new(salted, b"Server Key", name).digest()
    server_signature = hmac.new(server_key, auth_message, name).digest()
    print(json.dumps({
        "client_first": "n,," + first_bare,
        "client_final": f"{without_proof},p={base64.b64encode(proof).decode()}",
        "server_final": f"v={base64.b64encode(server_signature).decode()}",
    }))


if __name__ == "__main__":
    main()
