import Failures
import JobFile
import Layout
import JobSpec

/// A command's settings: the job file (if any) with the flags laid over it, validated.
enum EffectiveJob {
    /// Any problem in the file or the flags is invalid input: one line, exit 2, before any work. The
    /// refusal of settings that were read is reported where the job's runs report (`JobSpec.reporting`):
    /// log format, summary JSON and metrics, so a scheduler does not keep the last run's success.
    static func load(command: JobCommand, jobPath: String?, flags: JobDocument, reportRefusal: Bool = true) async throws -> JobSpec {
        // A job file that cannot be read still names the job its runs report under.
        var document = flags
        document.path = jobPath
        do {
            let file = try jobPath.map { try JobFileReader.read(path: $0) } ?? JobDocument()
            document = file.merging(flags)
            return try JobSpec(document: document, command: command)
        } catch let error as JobSpecError {
            let failure = RunFailure.invalidInput(error.description)
            throw reportRefusal ? await refused(failure, document: document, command: command) : failure
        } catch let error as JobFileError {
            let failure = RunFailure.invalidInput(error.description)
            throw reportRefusal ? await refused(failure, document: document, command: command) : failure
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
