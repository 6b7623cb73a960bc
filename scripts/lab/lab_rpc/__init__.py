"""Modules of the lab-only RPC responder (scripts/lab/rpc-responder.py)."""
