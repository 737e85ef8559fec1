/// The rows of a query result, in PostgreSQL's text format.
public struct PostgresRows: Sendable, Equatable {
    public let columns: [String]
    public let rows: [[String?]]
    /// Rows changed by an INSERT, UPDATE or DELETE.
    public let affectedRows: Int

    public init(columns: [String], rows: [[String?]], affectedRows: Int) {
        self.columns = columns
        self.rows = rows
        self.affectedRows = affectedRows
    }

    public var count: Int { rows.count }
    public var isEmpty: Bool { rows.isEmpty }

    /// The row at `index`, addressed by column name.
    public subscript(index: Int) -> PostgresRow { PostgresRow(columns: columns, values: rows[index]) }

    public var first: PostgresRow? { rows.isEmpty ? nil : self[0] }

    public var all: [PostgresRow] { rows.map { PostgresRow(columns: columns, values: $0) } }
}

/// One row; values are PostgreSQL's text representation (nil for NULL).
public struct PostgresRow: Sendable {
    public let columns: [String]
    public let values: [String?]

    public subscript(column: String) -> String? {
        guard let index = columns.firstIndex(of: column) else { return nil }
        return values[index]
    }

    public func string(_ column: String) throws(PostgresError) -> String {
        guard let value = self[column] else { throw .unexpectedResult("column '\(column)' is NULL or missing") }
        return value
    }

    public func int(_ column: String) throws(PostgresError) -> Int {
        guard let value = Int(try string(column)) else {
            throw .unexpectedResult("column '\(column)' is not an integer")
        }
        return value
    }

    public func bool(_ column: String) throws(PostgresError) -> Bool {
        try string(column) == "t"
    }
}
