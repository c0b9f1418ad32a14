import GRDB

extension Database {
    /// Runs `body` in an IMMEDIATE transaction and returns its result once the transaction has
    /// committed. IMMEDIATE takes the write lock at BEGIN, so a read-then-write never fails
    /// half-way with SQLITE_BUSY when another connection writes; it waits (busy timeout) instead.
    /// If `body` or the commit throws, everything is rolled back and the error is rethrown.
    func committed<T>(_ body: () throws -> T) throws -> T {
        var result: T?
        try inTransaction(.immediate) {
            result = try body()
            return .commit
        }
        guard let result else { preconditionFailure("a committed transaction has a result") }
        return result
    }
}
