"""Table models: one QAbstractTableModel subclass per kind of row."""
