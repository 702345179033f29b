import Foundation
import KtapeTestSupport
import Spawn
@testable import Gzip

/// Random bytes from a seed, so a failing case can be rerun from it.
extension SplitMix64 {
    /// Bytes that compress a little (a small alphabet with runs), like real record data.
    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: next() % 23) &+ 0x41 }
    }
}

/// Compresses `input` fed in pieces of `chunk` bytes.
func gzip(_ input: [UInt8], chunk: Int) throws -> [UInt8] {
    let compressor = try GzipCompressor()
    var out: [UInt8] = []
    var i = 0
    while i < input.count {
        let end = min(i + chunk, input.count)
        try compressor.compress(Array(input[i..<end]), into: &out)
        i = end
    }
    try compressor.finish(into: &out)
    return out
}

/// Decompresses `input` fed in pieces of `chunk` bytes, including `finish`.
func gunzip(_ input: [UInt8], chunk: Int) throws -> [UInt8] {
    let decompressor = try GzipDecompressor()
    var out: [UInt8] = []
    var i = 0
    while i < input.count {
        let end = min(i + chunk, input.count)
        try decompressor.decompress(Array(input[i..<end]), into: &out)
        i = end
    }
    try decompressor.finish()
    return out
}

/// Runs a system tool with `input` on stdin and returns its stdout and exit status.
func runTool(_ path: String, _ arguments: [String], input: [UInt8]) throws -> (output: [UInt8], status: Int32) {
    let process = ChildProcess()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let stdin = Pipe()
    let stdout = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = FileHandle.nullDevice
    try process.run()
    // Write from another thread so a large output cannot deadlock against a full stdin pipe.
    let writer = Thread {
        stdin.fileHandleForWriting.write(Data(input))
        try? stdin.fileHandleForWriting.close()
    }
    writer.start()
    let data = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ([UInt8](data), process.terminationStatus)
}
