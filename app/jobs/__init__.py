"""The scheduled jobs: the registry (`registry.py`) and each job beside it.

Every job has one shape: claim rows in a short transaction, call the outside
system with no transaction open, and write back through the case service.
"""
