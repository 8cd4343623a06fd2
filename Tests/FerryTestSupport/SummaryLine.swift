/// The `key=number` pairs of a line a test child or script prints (`responses=3000 mutated=612 ...`).
public enum SummaryLine {
    /// The numeric fields of `line`.
    public static func fields(_ line: String) -> [String: Int] {
        var result: [String: Int] = [:]
        for word in line.split(separator: " ") {
            let parts = word.split(separator: "=", maxSplits: 1)
            if parts.count == 2, let value = Int(parts[1]) { result[String(parts[0])] = value }
        }
        return result
    }
}
