"""Claim verification: symbolic checks, numerical checks, the claim registry and the CLI.

Imports flow one way: ``theory`` <- ``simulators`` <- ``proofs_check`` <- CLI.
"""
