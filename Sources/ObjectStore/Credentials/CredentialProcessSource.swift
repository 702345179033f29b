import Foundation
import SigV4
import Spawn
import Threads
import TimeText

/// A profile's `credential_process`: runs the command (split like a POSIX shell's words, but not run
/// through a shell, as the AWS CLI does) and reads its stdout:
/// `{"Version": 1, "AccessKeyId": ..., "SecretAccessKey": ..., "SessionToken": ..., "Expiration": ...}`.
/// Errors name the profile and what failed; the output itself, which holds secrets, never appears.
public struct CredentialProcessSource: CredentialsProvider {
    public let profile: String
    public let command: String
    private let environment: [String: String]

    public init(profile: String, command: String, environment: [String: String]) {
        self.profile = profile
        self.command = command
        self.environment = environment
    }

    public func credentials() async throws -> Credentials {
        guard let words = ShellWords.split(command), !words.isEmpty else {
            throw failure("credential_process has an unbalanced quote or is empty")
        }
        let environment = self.environment
        let run = try await BlockingPool.shared.run { try Self.run(words, environment: environment) }
        guard run.status == 0 else {
            let detail = run.stderr.split(whereSeparator: \.isNewline).first.map { ": " + String($0.prefix(300)) } ?? ""
            throw failure("credential_process `\(words[0])` exited with status \(run.status)\(detail)")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: run.stdout)) as? [String: Any] else {
            throw failure("credential_process `\(words[0])` printed no JSON object")
        }
        guard (object["Version"] as? Int) == 1 else { throw failure("credential_process output needs \"Version\": 1") }
        guard let keyID = object["AccessKeyId"] as? String, !keyID.isEmpty,
            let secret = object["SecretAccessKey"] as? String, !secret.isEmpty
        else {
            throw failure("credential_process output lacks AccessKeyId or SecretAccessKey")
        }
        var expiration: Date?
        if let text = object["Expiration"] as? String {
            guard let date = Timestamps.parseRFC3339(text) else {
                throw failure("credential_process Expiration '\(text)' is not an ISO 8601 time")
            }
            expiration = date
        }
        let token = (object["SessionToken"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        return Credentials(accessKeyId: keyID, secretAccessKey: secret, sessionToken: token, expiration: expiration)
    }

    private func failure(_ reason: String) -> CredentialsError {
        .invalidProfile(profile: profile, reason: reason)
    }

    /// Runs the words through `/usr/bin/env` (which finds the program on PATH); stderr goes to a
    /// file so a chatty process cannot block on a full pipe while stdout is read.
    private static func run(_ words: [String], environment: [String: String]) throws -> (status: Int32, stdout: Data, stderr: String) {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["--"] + words
        process.environment = environment
        let output = Pipe()
        let errorPath = NSTemporaryDirectory() + "ktape-credential-process-" + UUID().uuidString
        // Should this fail, the handle below is nil and the child's stderr goes to /dev/null: only its message is lost.
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errorPath) }
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: errorPath)
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw CredentialsError.invalidVariable(
                name: "credential_process", reason: "cannot start /usr/bin/env: \(error.localizedDescription)")
        }
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stderr = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        return (process.terminationStatus, stdout, stderr)
    }
}

/// POSIX-shell word splitting without expansion: blanks separate words, `'...'` is literal,
/// `"..."` keeps blanks and honours `\"`, `\\`, `\$` and `` \` ``, and a backslash outside quotes escapes the next character.
enum ShellWords {
    static func split(_ text: String) -> [String]? {
        var words: [String] = []
        var current = ""
        var inWord = false
        var iterator = Array(text).makeIterator()
        while let c = iterator.next() {
            switch c {
            case " ", "\t", "\n":
                if inWord {
                    words.append(current)
                    current = ""
                    inWord = false
                }
            case "'":
                inWord = true
                while true {
                    guard let next = iterator.next() else { return nil }
                    if next == "'" { break }
                    current.append(next)
                }
            case "\"":
                inWord = true
                while true {
                    guard let next = iterator.next() else { return nil }
                    if next == "\"" { break }
                    if next == "\\" {
                        guard let escaped = iterator.next() else { return nil }
                        if !"\"\\$`".contains(escaped) { current.append("\\") }
                        current.append(escaped)
                    } else {
                        current.append(next)
                    }
                }
            case "\\":
                guard let escaped = iterator.next() else { return nil }
                inWord = true
                current.append(escaped)
            default:
                inWord = true
                current.append(c)
            }
        }
        if inWord { words.append(current) }
        return words
    }
}
