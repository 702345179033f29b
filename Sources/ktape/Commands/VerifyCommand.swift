import ArgumentParser
import Failures
import Foundation
import Inspection
import Layout
import JobSpec

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a store against its manifests (e.g. after a bucket copy); exit 3 when anything is wrong.",
        discussion: """
            Stage 1 (structure): manifests parse, the run chain is whole, every object and companion a \
            manifest names is present with the recorded size, offsets are contiguous per partition apart \
            from recorded gaps. Stage 2 (data): every object is read in full and its checksum, size, gzip \
            stream, lines, record count and offsets are compared with its manifest; with \
            --stored-checksums (S3 only) the checksum S3 keeps with each object is compared instead, \
            reading no data. Objects no manifest names are warnings (--strict makes them problems). \
            See docs/verify.md.

            Examples:
              aws s3 sync s3://team-a-backups s3://team-b-backups
              ktape verify --store s3://team-b-backups
              ktape verify --store s3://team-b-backups --stored-checksums

            Exit codes: 0 no problem; 3 a problem was found (one line each on stdout); 2 invalid input, \
            or a bucket or credentials the store refuses; 1 the store could not be listed (worth a retry).
            """
    )

    @OptionGroup(title: "Store") var store: StoreOptions
    @OptionGroup(title: "Reporting") var reporting: ReportOptions
    @OptionGroup(title: "Logs") var log: LogOptions

    @Flag(name: .long, help: "Print one JSON document on stdout: every finding and what was checked (default: text lines).")
    var json = false

    @Flag(name: .long, help: "Count objects no manifest names and keys outside the layout as problems (default: warnings).")
    var strict = false

    @Flag(
        name: .customLong("structure-only"),
        help: "Check manifests, presence, sizes and continuity without reading objects (default: read everything).")
    var structureOnly = false

    @Flag(
        name: .customLong("stored-checksums"),
        help:
            "S3 only: compare the checksum S3 keeps with each object (a HEAD each) with its manifest instead of reading the objects (default: read everything)."
    )
    var storedChecksums = false

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Objects read at once.", valueName: "n"))
    var concurrency = 4

    func validate() throws {
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency \(concurrency): expected 1 to 64") }
        if structureOnly && storedChecksums { throw ValidationError("--structure-only and --stored-checksums exclude each other") }
    }

    func run() async throws {
        var flags = JobDocument()
        store.add(to: &flags)
        reporting.add(to: &flags)
        log.add(to: &flags)
        flags.flag(.json, set: json)
        let spec = try await InspectedStore.settings(command: .verify, flags: flags, log: log)
        try OutputFiles.check(spec.common)
        let metrics = RunMetrics(command: .verify, spec: spec)
        // A signal ends verify at once (it holds nothing to release), but it records the failure as
        // any failed run does; 11 s covers a push's 10 s timeout.
        Interrupts.beforeEndingAtOnce { _ in metrics.writeFailure(waitingAtMost: 11) }
        let report: VerifyReport
        let location: String
        do {
            (report, location) = try await verify(spec)
        } catch {
            Interrupts.beforeEndingAtOnce(nil)
            await metrics.writeFailure()
            throw error
        }
        // The verdict is in: a signal from here on ends verify without rewriting its metrics.
        Interrupts.beforeEndingAtOnce(nil)
        if spec.inspect?.json.value == true {
            print(try report.jsonText(store: location))
        } else {
            for problem in report.problems { print("problem: \(problem)") }
            for warning in report.warnings { print("warning: \(warning)") }
            for note in report.notes { print("note: \(note)") }
            print(report.summaryLine)
        }
        try await metrics.write(verified: report)
        if !report.isClean {
            throw RunFailure.verifyFailed("verify: \(VerifyReport.count(report.problems.count, "problem")) in \(location)")
        }
    }

    static let headConnections = 32

    private func verify(_ spec: JobSpec) async throws -> (VerifyReport, String) {
        // HEADs are small: more connections keep more of them in flight.
        let opened = try InspectedStore.open(spec, connections: storedChecksums ? Self.headConnections : 8)
        if storedChecksums, case .directory = opened.location {
            throw RunFailure.invalidInput(
                "verify --stored-checksums: \(opened.store.location) is a directory, which keeps no "
                    + "checksums; run verify without --stored-checksums")
        }
        let console = Console.standard
        let display = console.isTerminal ? VerifyProgressLine() : nil
        var options = VerifyOptions(concurrency: concurrency, readData: !structureOnly, strict: strict)
        options.storedChecksums = storedChecksums
        options.headConcurrency = Self.headConnections
        // Manifests are decoded on several threads, which leaves free pages behind that glibc keeps.
        HeapTrimmer.start()
        let report: VerifyReport
        do {
            report = try await StoreVerifier(store: opened.store, layout: opened.layout, options: options)
                .run(progress: { display?.show($0) })
        } catch let error as InspectionError {
            display?.clear()
            throw InspectedStore.failure(error)
        }
        display?.clear()
        return (report, opened.layout.storeName(at: opened.store.location))
    }
}

/// One progress line on a terminal's stderr, redrawn at most every 200 ms.
// @unchecked Sendable: its mutable state is under `lock`.
final class VerifyProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private var lastShown = Date.distantPast
    private var shown = false

    func show(_ progress: VerifyProgress) {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(lastShown) >= 0.2 || progress.objectsDone == progress.objectsTotal else { return }
        lastShown = now
        shown = true
        let text =
            "verify: \(progress.objectsDone)/\(progress.objectsTotal) objects, "
            + "\(ByteCount.rounded(progress.bytesDone)) of \(ByteCount.rounded(progress.bytesTotal))"
        StandardStreams.writeAll(Array(("\r\u{1B}[K" + text).utf8), to: STDERR_FILENO)
    }

    func clear() {
        lock.lock()
        defer { lock.unlock() }
        if shown { StandardStreams.writeAll(Array("\r\u{1B}[K".utf8), to: STDERR_FILENO) }
        shown = false
    }
}
