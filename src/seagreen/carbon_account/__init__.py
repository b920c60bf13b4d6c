"""Personal carbon account (个人碳账户): the behaviour catalogue, accounting rules and partner files.

Partners report residents' low-carbon behaviour; the versioned catalogue turns each event into a
CO2e reduction, caps it per day and month, and converts credited grams into carbon points.
See docs/resident/carbon-account.md and docs/partner/behaviour-catalogue.md.
"""
