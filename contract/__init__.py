"""What every layer shares: the canonical record and reject, the read context, the input-file
error, the shared name/email/URL rules and the ``Connector`` protocol.

It imports nothing of the project. Imports run one way: contract <- connectors <- pipeline <- CLI.
"""
