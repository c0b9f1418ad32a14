extension String {
    /// The text with control characters escaped (`\n`, `\u{1B}`), so that a message that quotes
    /// client or file input stays one readable line.
    package var printable: String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for scalar in unicodeScalars {
            if scalar.properties.generalCategory == .control {
                out += scalar.escaped(asASCII: true)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
