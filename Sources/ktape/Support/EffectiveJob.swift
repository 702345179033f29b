import JobFile
import Layout
import JobSpec

/// A command's settings: the job file (if any) with the flags laid over it, validated.
enum EffectiveJob {
    /// Any problem in the file or the flags is invalid input: one line, exit 2, before any work.
    static func load(command: JobCommand, jobPath: String?, flags: JobDocument) throws -> JobSpec {
        do {
            let file = try jobPath.map { try JobFileReader.read(path: $0) } ?? JobDocument()
            return try JobSpec(document: file.merging(flags), command: command)
        } catch let error as JobSpecError {
            throw CommandFailure.invalidInput(error.description)
        } catch let error as JobFileError {
            throw CommandFailure.invalidInput(error.description)
        }
    }
}
