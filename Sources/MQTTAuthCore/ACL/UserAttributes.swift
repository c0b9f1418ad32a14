/// A user's attributes: name → values (a scalar claim gives one value, an array several).
package struct UserAttributes: Sendable, Hashable {
    package var values: [String: [String]]

    package init(_ values: [String: [String]] = [:]) {
        self.values = values
    }

    package static let none = UserAttributes()
}
