"""Pure rules of the ocean carbon-sink registry, without I/O: methodologies and their receipts
(``methodologies``, ``receipts``, ``parameters``), serial blocks (``serials``), the project and
report state machines (``lifecycle``), working days for public notices (``calendar``) and the
content of retirement certificates (``certificates``)."""
