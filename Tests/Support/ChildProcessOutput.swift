import Foundation
import Spawn

extension ChildProcess {
    /// Runs the process to its end with stdout and stderr together in a temporary file (a pipe
    /// left unread would stall a chatty tool); returns its exit status and what it wrote.
    func runCapturingOutput() throws -> (status: Int32, output: String) {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("ktape-child-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        standardOutput = handle
        standardError = handle
        try run()
        waitUntilExit()
        try handle.close()
        return (terminationStatus, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
    }
}
