/// A statement with its parameters bound by type, written as one string:
///
///     try db.query("SELECT id FROM workflows WHERE parent_id = \(parent) AND attempt > \(attempt)")
///
/// Each interpolated value becomes a `$n` placeholder and travels separately from the
/// SQL text with its PostgreSQL type, so values are never spliced into SQL and no
/// caller writes a parameter as text by hand (postgres-nio's `PostgresQuery` is the
/// model). Text that must be part of the SQL itself (a column list chosen in code)
/// goes in with `\(unescaped:)`, which is never for outside data.
public struct PostgresQuery: Sendable, Hashable, ExpressibleByStringInterpolation {
    public private(set) var sql: String
    public private(set) var bindings: [PostgresBinding]
    /// Planned anew, with its values, at every run instead of prepared once: for a
    /// statement whose best plan depends on how large its tables are right now. A
    /// prepared statement keeps the generic plan made when the tables were small: on a
    /// new database the batch's `event_id = ANY($1)` then scanned the whole history.
    public var plannedEachTime = false

    /// This statement, planned anew at every run (see `plannedEachTime`).
    public func plannedEachRun() -> PostgresQuery {
        var query = self
        query.plannedEachTime = true
        return query
    }

    public init(stringLiteral value: String) {
        sql = value
        bindings = []
    }

    public init(stringInterpolation: StringInterpolation) {
        sql = stringInterpolation.sql
        bindings = stringInterpolation.bindings
    }

    /// SQL made in code from fixed parts, with values bound after it.
    public init(unsafeSQL sql: String, bindings: [PostgresBinding] = []) {
        self.sql = sql
        self.bindings = bindings
    }

    public struct StringInterpolation: StringInterpolationProtocol, Sendable {
        public private(set) var sql = ""
        public private(set) var bindings: [PostgresBinding] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
            bindings.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            sql += literal
        }

        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value) {
            bind(PostgresBinding(value))
        }

        /// Nil binds SQL NULL, typed like the value would be.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) {
            bind(value.map(PostgresBinding.init) ?? PostgresBinding(null: Value.postgresType))
        }

        public mutating func appendInterpolation(_ binding: PostgresBinding) {
            bind(binding)
        }

        /// Another statement's SQL and values, as a subquery or a fragment: its `$n`
        /// placeholders (outside quoted text) are renumbered after this one's.
        public mutating func appendInterpolation(_ fragment: PostgresQuery) {
            let offset = bindings.count
            var quoted = false
            var scalars = Array(fragment.sql.unicodeScalars)[...]
            while let scalar = scalars.popFirst() {
                if scalar == "'" { quoted.toggle() }
                guard scalar == "$", !quoted, let first = scalars.first, ("0"..."9").contains(first) else {
                    sql.unicodeScalars.append(scalar)
                    continue
                }
                var digits = ""
                while let next = scalars.first, ("0"..."9").contains(next) {
                    digits.unicodeScalars.append(next)
                    scalars.removeFirst()
                }
                sql += "$\(offset + Int(digits)!)"
            }
            bindings += fragment.bindings
        }

        /// Text that becomes part of the SQL as it is: fixed fragments chosen in code only.
        public mutating func appendInterpolation(unescaped fragment: String) {
            sql += fragment
        }

        private mutating func bind(_ binding: PostgresBinding) {
            bindings.append(binding)
            sql += "$\(bindings.count)"
        }
    }
}

/// One parameter: PostgreSQL's text form of a value (nil for NULL) and its type.
public struct PostgresBinding: Sendable, Hashable {
    public let text: String?
    public let type: PostgresDataType

    public init(_ value: some PostgresEncodable) {
        text = value.postgresText
        type = Swift.type(of: value).postgresType
    }

    public init(null type: PostgresDataType) {
        text = nil
        self.type = type
    }

    /// Already-serialized JSON, bound as `jsonb`.
    public static func jsonb(_ text: String?) -> PostgresBinding {
        PostgresBinding(text: text, type: .jsonb)
    }

    private init(text: String?, type: PostgresDataType) {
        self.text = text
        self.type = type
    }
}

/// The PostgreSQL types Baton binds, by their fixed object ids (`pg_type.oid`).
public struct PostgresDataType: Sendable, Hashable {
    public let oid: UInt32

    public static let bool = PostgresDataType(oid: 16)
    public static let int8 = PostgresDataType(oid: 20)
    public static let text = PostgresDataType(oid: 25)
    public static let float8 = PostgresDataType(oid: 701)
    public static let textArray = PostgresDataType(oid: 1009)
    public static let int8Array = PostgresDataType(oid: 1016)
    public static let boolArray = PostgresDataType(oid: 1000)
    public static let timestamptz = PostgresDataType(oid: 1184)
    public static let timestamptzArray = PostgresDataType(oid: 1185)
    public static let uuid = PostgresDataType(oid: 2950)
    public static let uuidArray = PostgresDataType(oid: 2951)
    public static let jsonb = PostgresDataType(oid: 3802)
}
