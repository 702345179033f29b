import Layout
import JobSpec

/// Flags become a `JobDocument` with `.flag` origins, so flags and job files share one validation
/// path and a flag overrides the file's key of the same name.
extension JobDocument {
    mutating func flag(_ key: JobKey, _ value: String?) {
        if let value { setFlag(key.rawValue, .scalar(value)) }
    }

    /// A boolean flag appears only when given (`--x` or `--no-x`), so an absent flag leaves the
    /// file's value alone and `--no-x` turns off what the file turned on.
    mutating func flag(_ key: JobKey, set: Bool?) {
        if let set { setFlag(key.rawValue, .scalar(set ? "true" : "false")) }
    }

    /// A flag with no `--no-` form (`-v`, `--json`) appears only when given: false is its absence.
    mutating func flag(_ key: JobKey, set: Bool) {
        if set { setFlag(key.rawValue, .scalar("true")) }
    }

    mutating func flag(_ key: JobKey, list: [String]) {
        if !list.isEmpty { setFlag(key.rawValue, .list(list)) }
    }

    mutating func flag(_ key: JobKey, map: [String: String]) {
        if !map.isEmpty { setFlag(key.rawValue, .map(map)) }
    }
}
