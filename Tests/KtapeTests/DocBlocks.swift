import Foundation

/// One shell command shown in the docs, with where it is written.
struct DocCommand: CustomStringConvertible, Sendable {
    var file: String
    var line: Int
    /// As written: continuation lines kept with their backslashes, indentation removed.
    var text: String
    /// 0, or what a `# exits N` comment at the command's end says.
    var expectedStatus: Int32

    var description: String { "\(file):\(line): \(text)" }
}

/// A fenced code block of a Markdown file. An `sh` block (or `bash`, `shell`) is run by DocsTests
/// unless the line before its opening fence is `<!-- not run: reason -->`; a block of any other
/// language is shown only, and must not hold a ktape or AWS CLI command unless it carries that mark.
struct DocBlock: Sendable {
    static let shellLanguages: Set<String> = ["sh", "bash", "shell"]

    var file: String
    /// The line of the opening fence (1-based).
    var line: Int
    var language: String
    var notRunReason: String?
    var lines: [SourceLine]

    struct SourceLine: Sendable {
        var number: Int
        var text: String
    }

    var isRun: Bool { notRunReason == nil && Self.shellLanguages.contains(language) }

    /// The block's commands: lines that are neither blank nor comments, a line ending in `\` joined
    /// with the next.
    var commands: [DocCommand] {
        var commands: [DocCommand] = []
        var pending: DocCommand?
        for line in lines {
            let text = line.text.trimmingCharacters(in: .whitespaces)
            if pending == nil, text.isEmpty || text.hasPrefix("#") { continue }
            var command = pending ?? DocCommand(file: file, line: line.number, text: "", expectedStatus: 0)
            command.text += (pending == nil ? "" : "\n") + text
            if text.hasSuffix("\\") {
                pending = command
            } else {
                pending = nil
                commands.append(Self.withExpectedStatus(command))
            }
        }
        if let pending { commands.append(Self.withExpectedStatus(pending)) }
        return commands
    }

    /// Lines that call ktape (`ktape backup …`, `/usr/bin/ktape verify …`) or the AWS CLI.
    var commandLines: [SourceLine] {
        lines.filter { line in
            line.text.range(of: #"(^|[\s/=])ktape\s+(backup|restore|prune|ls|verify|demo)\b"#, options: .regularExpression) != nil
                || line.text.range(of: #"^\s*(\$\s+)?aws\s"#, options: .regularExpression) != nil
        }
    }

    private static func withExpectedStatus(_ command: DocCommand) -> DocCommand {
        var command = command
        let last = command.text.split(separator: "\n").last.map(String.init) ?? command.text
        if let range = last.range(of: #"#\s*exits\s+[0-9]+"#, options: .regularExpression),
            let status = Int32(String(last[range].drop { !$0.isNumber }))
        {
            command.expectedStatus = status
        }
        return command
    }
}

/// Reads the fenced code blocks of Markdown text.
enum DocBlocks {
    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(_ text: String, file: String) throws -> [DocBlock] {
        var blocks: [DocBlock] = []
        var open: DocBlock?
        var previous = ""
        for (index, rawLine) in text.components(separatedBy: "\n").enumerated() {
            let number = index + 1
            let trimmed = rawLine.trimmingCharacters(in: .whitespaces)
            if var block = open {
                if trimmed == "```" {
                    blocks.append(block)
                    open = nil
                } else {
                    block.lines.append(.init(number: number, text: rawLine))
                    open = block
                }
            } else if trimmed.hasPrefix("```") {
                let language = String(trimmed.dropFirst(3)).trimmingCharacters(in: .whitespaces)
                open = DocBlock(
                    file: file, line: number, language: language, notRunReason: try notRunReason(previous, file: file, line: number - 1),
                    lines: [])
            }
            previous = trimmed
        }
        if let open { throw Problem(description: "\(file):\(open.line): the code block is never closed") }
        return blocks
    }

    /// The reason of a `<!-- not run: reason -->` line; a mark without a reason is an error.
    private static func notRunReason(_ line: String, file: String, line number: Int) throws -> String? {
        guard line.hasPrefix("<!-- not run") else { return nil }
        guard line.hasPrefix("<!-- not run:"), line.hasSuffix("-->") else {
            throw Problem(description: "\(file):\(number): write the mark as <!-- not run: reason -->")
        }
        let reason = line.dropFirst("<!-- not run:".count).dropLast(3).trimmingCharacters(in: .whitespaces)
        if reason.isEmpty { throw Problem(description: "\(file):\(number): a not-run mark needs its reason") }
        return reason
    }

    /// README.md and docs/*.md, as paths relative to the repository root.
    static func documentationFiles(root: URL) throws -> [String] {
        let docs = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("docs").path)
            .filter { $0.hasSuffix(".md") }.sorted().map { "docs/\($0)" }
        return ["README.md"] + docs
    }

    static func blocks(ofFile file: String, root: URL) throws -> [DocBlock] {
        try parse(String(contentsOf: root.appendingPathComponent(file), encoding: .utf8), file: file)
    }
}
