import Foundation
import Layout

extension JobSpec {
    /// The job's name for its lock and manifests: the job file's base name without `.yaml`/`.yml`,
    /// or `ktape` when the job comes from flags alone.
    public var jobName: String { Self.jobName(forJobFile: document.path) }

    /// See `jobName`.
    public static func jobName(forJobFile path: String?) -> String {
        guard let path, let last = path.split(separator: "/").last else { return "ktape" }
        var name = String(last)
        for suffix in [".yaml", ".yml"] where name.hasSuffix(suffix) { name.removeLast(suffix.count) }
        return name.isEmpty ? "ktape" : name
    }
}

extension BackupSettings {
    /// The canonical text of the settings that change object keys or bytes; hash it (SHA-256 hex)
    /// for the manifest's `configHash`. `flush-size` and `max-object-bytes` are left out on purpose:
    /// they only move object boundaries of later runs, which a checkpoint handles.
    public func configHashText(topicsDir: String) -> String {
        [
            "topics-dir=\(topicsDir)",
            "format=\(format.value.rawValue)",
            "compression=\(compression.value.rawValue)",
            "store-keys=\(storeKeys.value)",
            "store-headers=\(storeHeaders.value)",
            "on-invalid-json=\(onInvalidJSON.value.rawValue)"
        ].joined(separator: "\n") + "\n"
    }
}
