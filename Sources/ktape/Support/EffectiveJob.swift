import Failures
import JobFile
import Layout
import JobSpec

/// A command's settings: the job file (if any) with the flags laid over it, validated.
enum EffectiveJob {
    /// Any problem in the file or the flags is invalid input: one line, exit 2, before any work. The
    /// refusal of settings that were read is reported where the job's runs report (`JobSpec.reporting`):
    /// log format, summary JSON and metrics, so a scheduler does not keep the last run's success.
    static func load(command: JobCommand, jobPath: String?, flags: JobDocument) async throws -> JobSpec {
        var document = flags
        do {
            let file = try jobPath.map { try JobFileReader.read(path: $0) } ?? JobDocument()
            document = file.merging(flags)
            return try JobSpec(document: document, command: command)
        } catch let error as JobSpecError {
            throw await refused(RunFailure.invalidInput(error.description), document: document, command: command)
        } catch let error as JobFileError {
            throw await refused(RunFailure.invalidInput(error.description), document: document, command: command)
        }
    }

    private static func refused(_ failure: RunFailure, document: JobDocument, command: JobCommand) async -> RunFailure {
        guard let reporting = JobSpec.reporting(document, command: command) else { return failure }
        Console.configure(reporting.common)
        await RunMetrics(command: command, spec: reporting).writeFailure()
        FailureSummary.write(reporting, failure)
        return failure
    }
}
