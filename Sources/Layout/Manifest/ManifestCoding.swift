import Foundation
import TimeText

/// Why a manifest (or another `_ktape/` document) could not be read; one line naming it.
public struct ManifestError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The manifest's key or run id.
    public var manifest: String
    public var reason: String

    public init(manifest: String, reason: String) {
        self.manifest = manifest
        self.reason = reason
    }

    public var description: String { "manifest \(manifest): \(reason)" }
}

extension RunManifest {
    /// Deterministic JSON: sorted keys, indented, dates as RFC 3339 UTC with milliseconds.
    public func encoded() throws -> Data { try LayoutJSON.encode(self) }

    /// Reads a manifest, refusing another format or a newer version first, so that a future
    /// layout is never half-understood. `name` (its key) is used in errors.
    public static func decode(_ data: Data, name: String) throws -> RunManifest {
        try LayoutJSON.decode(RunManifest.self, from: data, name: name, format: formatName, version: currentVersion)
    }
}

/// The JSON conventions of everything under `_ktape/`: sorted keys, indented, RFC 3339 dates, and
/// a `format`/`version` header checked before anything else is decoded.
enum LayoutJSON {
    struct Header: Decodable { var format: String?; var version: Int? }

    static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamps.rfc3339(date))
        }
        return try encoder.encode(value)
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data, name: String, format: String, version: Int) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = Timestamps.parseRFC3339(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                        debugDescription: "'\(text)' is not an RFC 3339 time"))
            }
            return date
        }
        let header: Header
        do {
            header = try decoder.decode(Header.self, from: data)
        } catch {
            throw ManifestError(manifest: name, reason: "not a JSON object (\(describe(error)))")
        }
        guard header.format == format else {
            throw ManifestError(manifest: name, reason: "format is '\(header.format ?? "missing")', expected '\(format)'")
        }
        guard let found = header.version else { throw ManifestError(manifest: name, reason: "no version") }
        guard found <= version else {
            throw ManifestError(manifest: name, reason: "version \(found) is newer than this ktape reads (\(version)); upgrade ktape")
        }
        do {
            return try decoder.decode(T.self, from: data)
        } catch {
            throw ManifestError(manifest: name, reason: describe(error))
        }
    }

    static func describe(_ error: Error) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?: return "missing field \(path(context)).\(key.stringValue)"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
            return "wrong type at \(path(context)): \(context.debugDescription)"
        case .dataCorrupted(let context)?: return "corrupt at \(path(context)): \(context.debugDescription)"
        default: return "\(error)"
        }
    }
}
