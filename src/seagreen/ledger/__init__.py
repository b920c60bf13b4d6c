"""Double-entry ledger shared by carbon points and carbon credits (账本).

Modelled on TigerBeetle's account/transfer model: balance-constraint flags, client-supplied
idempotent transfer keys, linked (all-or-nothing) chains and two-phase (pending) transfers; and on
Formance's hash-chained log. See docs/decisions/0002-ledger.md.
"""
