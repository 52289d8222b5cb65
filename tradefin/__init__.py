"""fabric-tradefin: cross-border trade finance on Hyperledger Fabric.

Parts (each a subpackage, each in its own top-level folder of the repository):

* :mod:`tradefin.gateway`   -- Python client for the Fabric Gateway service, and the typed trade-finance client
* :mod:`tradefin.chaincode` -- Python chaincode shim (chaincode as a service) and the trade-finance contracts
* :mod:`tradefin.network`   -- launcher for a real Fabric v3.1 test network (native processes or containers)
* :mod:`tradefin.protos`    -- the trade-finance schema (protobuf)

Importing this package imports none of them, so the chaincode server never loads the launcher.
"""

import logging

__version__ = "0.1.0"

# A library's loggers stay silent until the application configures logging: without this, Python's
# last-resort handler would print the warnings of ``tradefin.*`` loggers to stderr.
logging.getLogger(__name__).addHandler(logging.NullHandler())
