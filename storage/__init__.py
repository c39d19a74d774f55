"""Where the coach keeps its records: SQLModel tables, the unit of work, and the queries."""
