"""All SQL of the registry: the head row and counters (``head``), projects and their review
(``projects``), monitoring reports (``reports``), serial blocks and the operations that move them
(``blocks``), and the read models of the public pages (``public``)."""
