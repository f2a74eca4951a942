"""All SQL, one module per noun; functions take the connection first and return plain data."""
