import Foundation

/// What a directory-store writer killed mid-write leaves: its journal (whose lock died with it) and
/// a temp file in each folder it names.
public enum KilledWriter {
    /// Leaves journal `id` under `root` naming `folders` (relative, "." for the root), with a temp file
    /// of `size` bytes in each; returns the temp files' paths.
    @discardableResult
    public static func leave(root: String, id: String = "00000000deadbeef", folders: [String], size: Int = 1) throws -> [String] {
        let journals = root + "/.ktape-writers"
        try FileManager.default.createDirectory(atPath: journals, withIntermediateDirectories: true)
        let lines = folders.map { $0 + "\n" }.joined()
        guard FileManager.default.createFile(atPath: journals + "/" + id, contents: Data(lines.utf8)) else {
            throw CocoaError(.fileWriteUnknown)
        }
        return try folders.map { folder in
            let directory = folder == "." ? root : root + "/" + folder
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let temp = directory + "/.ktape-tmp-\(id)-killed"
            guard FileManager.default.createFile(atPath: temp, contents: Data(count: size)) else { throw CocoaError(.fileWriteUnknown) }
            return temp
        }
    }
}
