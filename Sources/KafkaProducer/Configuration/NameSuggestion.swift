/// "Did you mean": the known name closest to a misspelled one, by edit distance. Used for producer
/// properties here and for the agent's configuration keys.
public enum NameSuggestion {
    /// The first of `candidates` (in their order) at the smallest edit distance from `name`, if that distance is
    /// at most `maximumDistance`.
    public static func nearest(to name: String, among candidates: some Sequence<String>, maximumDistance: Int) -> String? {
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            let distance = distance(name, candidate, limit: min(maximumDistance, best.map { $0.distance - 1 } ?? maximumDistance))
            if distance <= maximumDistance, distance < (best?.distance ?? .max) { best = (candidate, distance) }
        }
        return best?.name
    }

    /// The Levenshtein distance between two strings (by character), or `limit + 1` as soon as it is known to
    /// exceed `limit`.
    public static func distance(_ a: String, _ b: String, limit: Int) -> Int {
        let a = Array(a), b = Array(b)
        guard limit >= 0 else { return limit + 1 }
        guard abs(a.count - b.count) <= limit else { return limit + 1 }
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            var rowBest = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                rowBest = min(rowBest, current[j])
            }
            if rowBest > limit { return limit + 1 }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
