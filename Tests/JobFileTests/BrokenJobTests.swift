import Foundation
import KtapeTestSupport
import Testing
import JobFile
import Layout
import JobSpec

@Suite struct BrokenJobTests {
    @Test func everyBrokenFixtureFailsWithItsLine() throws {
        let names = try JobFixtures.brokenNames()
        #expect(names.count >= 8)
        for name in names {
            let text = try JobFixtures.text("broken/\(name)")
            let expected = try #require(JobFixtures.header(text, "expect-error"), "\(name) has no expect-error")
            let command = try #require(JobFixtures.header(text, "expect-command").flatMap(JobCommand.init(rawValue:)))
            do {
                _ = try JobSpec(document: try JobFileReader.parse(yaml: text, path: name), command: command)
                Issue.record("\(name) was accepted")
            } catch {
                let line = "\(error)"
                #expect(line.hasPrefix(expected), "\(name): got '\(line)'")
                #expect(!line.contains("\n"), "\(name): error spans lines")
            }
        }
    }

    @Test func readingAMissingFileNamesIt() {
        do {
            _ = try JobFileReader.read(path: "/nonexistent/job.yaml")
            Issue.record("missing file read")
        } catch {
            #expect("\(error)".hasPrefix("/nonexistent/job.yaml: cannot read the job file"))
        }
    }

    /// The error names the line that sets a key again, the one to remove, and the first one too.
    @Test func aDuplicateSettingNamesTheLineThatRepeatsIt() {
        #expect(
            throws: JobFileError(path: "j.yaml", line: 4, reason: "duplicate setting 'flush-size' (first set on line 2)")
        ) {
            try JobFileReader.parse(yaml: "store: /tmp/x\nflush-size: 5\ntopics: a\nflush-size: 6\n", path: "j.yaml")
        }
        #expect(throws: JobFileError(path: "j.yaml", line: 5, reason: "duplicate setting 'acks' (first set on line 3)")) {
            try JobFileReader.parse(yaml: "store: /tmp/x\nX:\n  acks: all\n  linger.ms: 5\n  \"acks\" : 1\n", path: "j.yaml")
        }
    }

    /// A directory or a missing file is named in plain words (before: "The operation could not be
    /// completed. (NSCocoaErrorDomain error 256.)").
    @Test(arguments: [
        ("/tmp", "/tmp: cannot read the job file: it is a directory"),
        ("/nonexistent/job.yaml", "/nonexistent/job.yaml: cannot read the job file: No such file or directory")
    ])
    func anUnreadableJobFileIsNamedPlainly(path: String, expected: String) {
        do {
            _ = try JobFileReader.read(path: path)
            Issue.record("\(path) read as a job file")
        } catch {
            #expect("\(error)" == expected)
        }
    }

    /// A FIFO nobody writes into hung the run; /dev/zero said "permission"; bytes that are not UTF-8
    /// got a Cocoa error. A pipe with a writer (`--job <(...)`) is still read.
    @Test func oddFilesAreRefusedAndAPipeIsRead() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ktape-job-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let fifo = directory.appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(throws: JobFileError(path: fifo, line: nil, reason: "the job file is empty")) { try JobFileReader.read(path: fifo) }
        #expect(throws: JobFileError(path: "/dev/zero", line: nil, reason: "cannot read the job file: it is larger than 1 MiB")) {
            try JobFileReader.read(path: "/dev/zero")
        }
        let latin1 = directory.appendingPathComponent("latin1.yaml")
        try Data([0x73, 0x74, 0x6F, 0x72, 0x65, 0x3A, 0x20, 0xE9, 0x0A]).write(to: latin1)
        #expect(throws: JobFileError(path: latin1.path, line: nil, reason: "cannot read the job file: it is not UTF-8 text")) {
            try JobFileReader.read(path: latin1.path)
        }
        // What a shell's process substitution hands over: a pipe with its writer's bytes in it.
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let text = Array("store: /tmp/x\n".utf8)
        _ = text.withUnsafeBytes { write(ends[1], $0.baseAddress, $0.count) }
        close(ends[1])
        defer { close(ends[0]) }
        let document = try JobFileReader.read(path: "/dev/fd/\(ends[0])")
        #expect(document.entries["store"]?.value == .scalar("/tmp/x"))
    }

    /// YAML allows a byte order mark at the start; one was refused as "did not find expected
    /// <document start>" on line 2.
    @Test func aByteOrderMarkIsRead() throws {
        let document = try JobFileReader.parse(yaml: "\u{FEFF}store: /tmp/x\ntopics: a\n", path: "bom.yaml")
        #expect(document.entries["store"]?.value == .scalar("/tmp/x"))
        #expect(document.entries["store"]?.origin == .file(path: "bom.yaml", line: 1))
    }

    @Test func topLevelMustBeAMapping() {
        #expect(throws: JobFileError(path: "j.yaml", line: 1, reason: "expected a mapping of settings at the top level")) {
            try JobFileReader.parse(yaml: "- a\n- b\n", path: "j.yaml")
        }
        #expect(throws: JobFileError(path: "j.yaml", line: nil, reason: "the job file is empty")) {
            try JobFileReader.parse(yaml: "# nothing\n", path: "j.yaml")
        }
        #expect(throws: JobFileError(path: "j.yaml", line: 2, reason: "store: has no value")) {
            try JobFileReader.parse(yaml: "topics: a\nstore:\n", path: "j.yaml")
        }
        #expect(throws: JobFileError(path: "j.yaml", line: 1, reason: "X: 'ssl.ca.location' has no value")) {
            try JobFileReader.parse(yaml: "X:\n  ssl.ca.location:\n", path: "j.yaml")
        }
        #expect(throws: JobFileError(path: "j.yaml", line: 1, reason: "topics: list items must be single values")) {
            try JobFileReader.parse(yaml: "topics:\n  - [a]\n", path: "j.yaml")
        }
    }
}
